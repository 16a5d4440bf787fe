// The SQL the SQLite store runs (sqlite-store.ts), prepared once per connection: every statement,
// the writes of several rows (each atomic), and the row shape of the bans table.

import type Database from 'better-sqlite3';
import type { BanReason, BanRecord } from '../core/types.js';
import type { ActiveBan, FailureWindowRow } from './store.js';

export type Db = Database.Database;

export interface BanRow {
  jail: string;
  ip: string;
  start: number;
  until: number | null;
  ban_count: number;
  reason: string;
  applied: number;
}

/**
 * fn as one transaction, or inside the caller's when one is open: better-sqlite3 makes a nested
 * transaction a SAVEPOINT and a RELEASE around every call, two more statements per ban inside a
 * flush's batch. Atomic either way: a throw rolls back the caller's whole transaction.
 */
function atomic<A extends unknown[], R>(db: Db, fn: (...a: A) => R): (...a: A) => R {
  const tx = db.transaction(fn);
  return (...a: A) => (db.inTransaction ? fn(...a) : tx(...a));
}

export function prepareStatements(db: Db) {
  // positional parameters: a named one costs a lookup per name, and the row object a copy per ban
  const insertBan = db.prepare('INSERT OR REPLACE INTO bans (jail, ip, start, until, ban_count, reason, applied) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const insertHistory = db.prepare('INSERT INTO ban_history (jail, ip, start, until, ban_count, reason) VALUES (?, ?, ?, ?, ?, ?)');
  const cols = 'jail, ip, start, until, ban_count, reason, applied';
  const putWindow = db.prepare('INSERT OR REPLACE INTO failure_windows (jail, ip, times, newest) VALUES (?, ?, ?, ?)');
  const dropWindow = db.prepare('DELETE FROM failure_windows WHERE jail = ? AND ip = ?');
  const staleWindows = db.prepare('DELETE FROM failure_windows WHERE jail = ? AND newest < ?');
  // whether the jail holds more than `keep` windows, read along the (jail, newest) index: the
  // exact cut below sorts every window by address for its ties (140 ms at 100,000 windows, every
  // action check), and is run only when there is something past the cap to cut
  const pastCap = db.prepare('SELECT 1 FROM failure_windows WHERE jail = @jail ORDER BY newest DESC LIMIT 1 OFFSET @keep').pluck();
  const overCap = db.prepare(
    'DELETE FROM failure_windows WHERE jail = @jail AND ip IN (SELECT ip FROM failure_windows WHERE jail = @jail ORDER BY newest DESC, ip LIMIT -1 OFFSET @keep)',
  );
  return {
    addBan: atomic(db, (b: BanRecord, applied: number) => {
      insertBan.run(b.jail, b.ip, b.start, b.until, b.banCount, b.reason, applied);
      insertHistory.run(b.jail, b.ip, b.start, b.until, b.banCount, b.reason);
    }),
    setApplied: db.prepare('UPDATE bans SET applied = ? WHERE jail = ? AND ip = ?'),
    removeBan: db.prepare('DELETE FROM bans WHERE jail = ? AND ip = ?'),
    allBans: db.prepare(`SELECT ${cols} FROM bans ORDER BY start, jail, ip`),
    jailBans: db.prepare(`SELECT ${cols} FROM bans WHERE jail = ? ORDER BY start, ip`),
    banPage: db.prepare(`SELECT ${cols} FROM bans WHERE jail = ? AND ip > ? ORDER BY ip LIMIT ?`),
    oneBan: db.prepare(`SELECT ${cols} FROM bans WHERE jail = ? AND ip = ?`),
    countAll: db.prepare('SELECT COUNT(*) AS n FROM ban_history WHERE ip = ? AND start >= ?'),
    countJail: db.prepare('SELECT COUNT(*) AS n FROM ban_history WHERE ip = ? AND start >= ? AND jail = ?'),
    historyIps: db.prepare('SELECT DISTINCT ip FROM ban_history WHERE ip > ? ORDER BY ip LIMIT ?').pluck(),
    purge: db.prepare('DELETE FROM ban_history WHERE start < ?'),
    getPosition: db.prepare('SELECT path, inode, offset, first_line_hash FROM positions WHERE path = ?'),
    setPosition: db.prepare('INSERT OR REPLACE INTO positions (path, inode, offset, first_line_hash) VALUES (?, ?, ?, ?)'),
    getMeta: db.prepare('SELECT value FROM meta WHERE key = ?'),
    setMeta: db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)'),
    getCursor: db.prepare('SELECT last_id FROM cluster_cursor WHERE prefix = ?'),
    setCursor: db.prepare('INSERT OR REPLACE INTO cluster_cursor (prefix, last_id) VALUES (?, ?)'),
    // one transaction per burst of failures: the hot path never pays a commit per line
    saveWindows: atomic(db, (jail: string, rows: readonly FailureWindowRow[]) => {
      for (const r of rows) {
        if (r.times.length === 0) dropWindow.run(jail, r.ip);
        else putWindow.run(jail, r.ip, JSON.stringify(r.times), r.times[r.times.length - 1]);
      }
    }),
    loadWindows: db.prepare('SELECT ip, times FROM failure_windows WHERE jail = ? AND newest >= ? ORDER BY newest, ip'),
    pruneWindows: atomic(db, (jail: string, before: number, keep: number) => {
      const stale = staleWindows.run(jail, before).changes;
      return pastCap.get({ jail, keep }) === undefined ? stale : stale + overCap.run({ jail, keep }).changes;
    }),
  };
}

export function activeOf(r: BanRow): ActiveBan {
  return { jail: r.jail, ip: r.ip, start: r.start, until: r.until, banCount: r.ban_count, reason: r.reason as BanReason, applied: r.applied === 1 };
}
