// What a blocklist feed keeps across restarts: its last good list (before screening, so a restart
// screens it again against today's ignoreip, host addresses and registrations), when it was
// fetched, and for APIBan the cursor of the next incremental pull and when the list was last pulled
// in full. SqliteStore implements it (table feed_lists, migration 3); test/fakes/memory-feed-store.ts
// is its twin. Both pass test/store/feed-store.test.ts.

export interface FeedListRow {
  readonly name: string;
  /** Canonical addresses and ranges (feed-parse.ts), in list order. */
  readonly entries: readonly string[];
  readonly fetchedAt: number;
  /** APIBan's next `ID`; null for other formats or when the next pull starts from the full list. */
  readonly cursor: string | null;
  /** When the list was last replaced as a whole (every pull for plain and csv-column). */
  readonly fullAt: number;
}

export interface FeedStore {
  loadFeedList(name: string): FeedListRow | undefined;
  /** Replaces the feed's row in one transaction. Throws VG_STORE_WRITE. */
  saveFeedList(row: FeedListRow): void;
}

/** Entries are stored as one newline-separated text: a 200,000-entry list is one row, one write. */
export function joinEntries(entries: readonly string[]): string {
  return entries.join('\n');
}

export function splitEntries(text: string): string[] {
  return text === '' ? [] : text.split('\n');
}
