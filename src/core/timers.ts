// Timers behind an interface, so keepalives, action timeouts, retry schedules and digest intervals
// (AMI, journal, notifications, firewall retries) can be driven by hand in tests (ManualTimers)
// while sockets and processes stay real.

import type { Clock } from './clock.js';

export type TimerHandle = { readonly __timer: true };

export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export const systemTimers: Timers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.(); // a pending retry or ping never keeps the process alive by itself
    return t as unknown as TimerHandle;
  },
  clearTimeout(handle) {
    clearTimeout(handle as unknown as NodeJS.Timeout);
  },
};

interface ManualTimer {
  readonly id: number;
  readonly at: number;
  readonly delay: number;
  readonly fn: () => void;
}

/** A clock and timers in one: `advance(ms)` moves time and fires what falls due, in order. */
export class ManualTimers implements Timers, Clock {
  private t: number;
  private seq = 0;
  private readonly queue = new Map<number, ManualTimer>();

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.queue.set(id, { id, at: this.t + Math.max(0, ms), delay: ms, fn });
    return { __timer: true, id } as unknown as TimerHandle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.queue.delete((handle as unknown as { id: number }).id);
  }

  /** The delays of the timers still pending, in the order they were set. */
  pendingDelays(): number[] {
    return [...this.queue.values()].map((x) => x.delay);
  }

  /** Moves time forward by `ms`, firing every timer that falls due (timers set while firing included). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const x of this.queue.values()) if (x.at <= end && (next === undefined || x.at < next.at)) next = x;
      if (next === undefined) break;
      this.queue.delete(next.id);
      this.t = Math.max(this.t, next.at);
      next.fn();
    }
    this.t = end;
  }
}
