// Answers the control thread awaits from the main thread, by id (relay-handler.ts for requests,
// scrape-relay.ts for /metrics). When one has not come within waitMs, its stand-in answers it, if
// it has one and the stand-in has something to give; otherwise it keeps waiting. A main-thread
// answer that comes after the stand-in's is dropped.

/** Schedules fn after ms; the tests pass one they fire themselves. */
export type Timer = (fn: () => void, ms: number) => { cancel(): void };

export const realTimer: Timer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  return { cancel: () => clearTimeout(t) };
};

interface Waiting<T> {
  readonly resolve: (v: T) => void;
  readonly reject: (e: Error) => void;
  timer: { cancel(): void } | null;
}

export class LateAnswers<T> {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting<T>>();
  /** Answers given by a stand-in so far. */
  served = 0;

  constructor(
    private readonly waitMs: number,
    private readonly timer: Timer = realTimer,
  ) {}

  /**
   * Sends a new id (`send`) and waits for its answer. `standIn`, asked once waitMs has passed,
   * gives the answer to use instead, or undefined to keep waiting; null: only the main thread answers.
   */
  ask(send: (id: number) => void, standIn: (() => T | undefined) | null): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const w: Waiting<T> = { resolve, reject, timer: null };
      this.waiting.set(id, w);
      if (standIn !== null)
        w.timer = this.timer(() => {
          w.timer = null;
          const v = standIn();
          if (v === undefined || !this.waiting.has(id)) return;
          this.settle(id, w);
          this.served++;
          resolve(v);
        }, this.waitMs);
      send(id);
    });
  }

  /** The main thread's answer (ignored when a stand-in answered first). */
  answer(id: number, v: T): void {
    const w = this.take(id);
    w?.resolve(v);
  }

  fail(id: number, e: Error): void {
    const w = this.take(id);
    w?.reject(e);
  }

  /** Every answer still awaited fails (the thread is closing). */
  abandon(e: Error): void {
    for (const id of [...this.waiting.keys()]) this.fail(id, e);
  }

  private take(id: number): Waiting<T> | undefined {
    const w = this.waiting.get(id);
    if (w) this.settle(id, w);
    return w;
  }

  private settle(id: number, w: Waiting<T>): void {
    w.timer?.cancel();
    this.waiting.delete(id);
  }
}
