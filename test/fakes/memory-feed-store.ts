// The in-memory twin of SqliteStore's feed lists (store/feed-store.ts), for unit tests.

import type { FeedListRow, FeedStore } from '../../src/store/feed-store.js';

export class MemoryFeedStore implements FeedStore {
  private readonly rows = new Map<string, FeedListRow>();
  /** Set to make the next save fail like a full disk. */
  failWrites = false;

  loadFeedList(name: string): FeedListRow | undefined {
    const r = this.rows.get(name);
    return r && { ...r, entries: [...r.entries] };
  }

  saveFeedList(row: FeedListRow): void {
    if (this.failWrites) throw new Error('disk full');
    this.rows.set(row.name, Object.freeze({ ...row, entries: Object.freeze([...row.entries]) }));
  }
}
