// Only SystemClock reads the wall clock. Everything else takes a Clock (or a `now` argument),
// so tests and replays drive time by hand and never sleep.

export interface Clock {
  now(): number; // ms since epoch
}

export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }
}

export class ManualClock implements Clock {
  constructor(private t: number = 0) {}
  now(): number {
    return this.t;
  }
  set(t: number): void {
    this.t = t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}
