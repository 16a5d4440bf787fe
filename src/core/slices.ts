// Large batches (a restore of 100,000 bans, a burst) are worked through in slices with a turn of
// the event loop between them, so the control socket, /metrics and the log tails are served while
// a batch is handled (docs/flood.md). The work stays one batch: one kernel script, one flush.

/** Addresses handled between two turns of the event loop. */
export const SLICE = 2_000;

/** Lets the event loop run whatever is waiting (I/O callbacks, timers), then resumes. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Counts items: `if (s.due()) await turn();` once per item gives a turn every SLICE of them. */
export class Slicer {
  private n = 0;
  due(): boolean {
    return ++this.n % SLICE === 0;
  }
}
