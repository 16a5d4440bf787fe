// Where this node stands in the fleet's stream (cluster-node.ts): the cursor saved in SQLite (the
// last entry whose bans are in the kernel and the store), and the read position ahead of it while
// the commits of the reads in flight run. Commits settle in order: the cursor moves to a read's
// last ID once that read's commits and every earlier one have settled; after a failed one, the
// next read starts again at the cursor.

import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';

export class StreamPosition {
  private cursor: string | null;
  /** The last entry read, ahead of the cursor while its commit runs (null: read after the cursor). */
  private readPos: string | null = null;
  private committing: Promise<unknown> = Promise.resolve();
  private uncommitted = 0;
  private failed = false;

  constructor(
    private readonly store: Pick<Store, 'getClusterCursor' | 'setClusterCursor'>,
    private readonly prefix: string,
    private readonly log: Pick<Logger, 'error' | 'warn'>,
  ) {
    this.cursor = store.getClusterCursor(prefix) ?? null;
  }

  /** The saved position (null: this node never read the stream). */
  get saved(): string | null {
    return this.cursor;
  }

  /** Where the next read starts. */
  get next(): string {
    return this.readPos ?? this.cursor ?? '0-0';
  }

  /** Reads whose commits have not settled yet. */
  get inFlight(): number {
    return this.uncommitted;
  }

  /** Entries up to `id` were read (and are being committed): the next read starts after it. */
  readTo(id: string): void {
    this.readPos = id;
  }

  /** Every read so far has settled: the next read starts after the cursor. */
  rewind(): void {
    this.readPos = null;
  }

  /**
   * The cursor moves to `id` (null: it stays) once `done` (a read's commits, their store writes
   * included) and every commit before it have settled; a failure sends the next read back to the
   * saved cursor (settled()).
   */
  commit(done: Promise<unknown>, id: string | null): void {
    this.uncommitted++;
    this.committing = Promise.all([this.committing, done]).then(
      () => {
        this.uncommitted--;
        if (this.failed) return;
        if (id !== null) this.save(id);
      },
      (e: unknown) => {
        this.uncommitted--;
        this.failed = true;
        this.log.warn({ event: 'cluster-apply-failed', err: e as Error });
      },
    );
  }

  /** Waits for the commits of the reads in flight; after a failed one, the next read starts again at the cursor. */
  async settled(): Promise<void> {
    await this.committing;
    if (this.failed) {
      this.failed = false;
      this.readPos = null;
    }
  }

  private save(id: string): void {
    this.cursor = id;
    try {
      this.store.setClusterCursor(this.prefix, id);
    } catch (e) {
      this.log.error({ event: 'store-failed', step: 'cluster-cursor', err: e as Error });
    }
  }
}
