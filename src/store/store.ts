// The Store interface: what the jails, actions and sources keep across restarts. SqliteStore
// (better-sqlite3, WAL) is the real one; MemoryStore (test/fakes/) is its twin for unit tests. Both pass the same
// contract tests (test/store/store-contract.ts).

import type { BanRecord } from '../core/types.js';

export interface ActiveBan extends BanRecord {
  /** false while the firewall has not confirmed it (command failed, retry pending). */
  readonly applied: boolean;
}

export interface FilePosition {
  readonly path: string;
  readonly inode: number;
  readonly offset: number;
  /** Hash of the file's first line: tells a rotated-and-recreated file from the same file. */
  readonly firstLineHash: string;
}

/**
 * The failures of one address still inside a jail's findtime (jails/failure-windows.ts), kept so
 * that a restart does not reset an attacker's budget. `times` are event times in ms, oldest first,
 * at most maxretry of them; an empty list in saveWindows means the address is no longer tracked.
 */
export interface FailureWindowRow {
  readonly ip: string;
  readonly times: readonly number[];
}

export interface Store {
  /** Inserts or replaces the active ban of (jail, ip) and appends it to the ban history. */
  addBan(ban: BanRecord, applied: boolean): void;
  setApplied(jail: string, ip: string, applied: boolean): void;
  removeBan(jail: string, ip: string): void;
  activeBans(jail?: string): ActiveBan[];
  /**
   * The active bans of `jail` whose address sorts after `after` (null: from the first), in address
   * order, at most `limit`: the start reads them back page by page (daemon/jail-restore.ts).
   */
  activeBansPage(jail: string, after: string | null, limit: number): ActiveBan[];
  /** The active ban of (jail, ip), if any: one row, read by key. */
  activeBan(jail: string, ip: string): ActiveBan | undefined;
  /** Number of earlier bans of ip (in jail, or in every jail when jail is null) since `since`. */
  banCount(ip: string, jail: string | null, since: number): number;
  /** Drops history older than `before` (dbpurgeage). */
  purgeHistory(before: number): number;
  getPosition(path: string): FilePosition | undefined;
  setPosition(pos: FilePosition): void;
  /** Small key/value space for sources (journal cursor, …). */
  getMeta(key: string): string | undefined;
  setMeta(key: string, value: string): void;
  /** The last Redis stream ID this node read under `prefix` ([cluster]); undefined before the first. */
  getClusterCursor(prefix: string): string | undefined;
  setClusterCursor(prefix: string, id: string): void;
  /** Writes the changed windows of a jail in one transaction (empty times: delete the row). */
  saveWindows(jail: string, rows: readonly FailureWindowRow[]): void;
  /** The windows of a jail whose newest failure is at or after `since`, least recently failed first. */
  loadWindows(jail: string, since: number): FailureWindowRow[];
  /**
   * Deletes the windows of a jail whose newest failure is before `before`, then all but the `keep`
   * most recently failed (the tracked-address cap). Returns how many rows went.
   */
  pruneWindows(jail: string, before: number, keep: number): number;
  close(): void;
  /**
   * Runs `fn` as one transaction: the writes of a whole firewall flush commit together (one fsync
   * for a flood, not one per ban). Nested calls join the outer one. A throw rolls back `fn`'s writes.
   */
  batch<T>(fn: () => T): T;
}

/**
 * The jail's history lookup (JailDeps.history) backed by a store: earlier bans of an address within
 * `lookback` ms (the service passes dbpurgeage: older history is pruned anyway). A failing read
 * counts as no history, so the ban still happens (at the base bantime); `onError` hears about it.
 */
export function storeHistory(
  store: Pick<Store, 'banCount'>,
  lookback: number,
  onError: (e: unknown) => void = () => {},
): (ip: string, jail: string | null, now: number) => number {
  return (ip, jail, now) => {
    try {
      return store.banCount(ip, jail, now - lookback);
    } catch (e) {
      onError(e);
      return 0;
    }
  };
}
