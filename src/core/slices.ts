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

/** Asked between two pieces of synchronous work: should the event loop run now? */
export interface TurnPace {
  /** True once the work since the last turn has held the event loop for the budget. */
  due(): boolean;
  /** The event loop has just run (a turn was given, or an await gave one). */
  turned(): void;
}

/** Time since the last turn, read every 16th question (a clock read per line would show). */
export class BudgetPace implements TurnPace {
  private since: number;
  private n = 0;

  constructor(
    /** How long synchronous work may hold the event loop (ms). */
    private readonly budgetMs: number,
    /** A monotonic reading in ms (performance.now in the daemon). */
    private readonly elapsed: () => number,
  ) {
    this.since = elapsed();
  }

  due(): boolean {
    if ((++this.n & 15) !== 0) return false;
    return this.elapsed() - this.since >= this.budgetMs;
  }

  turned(): void {
    this.since = this.elapsed();
  }
}
