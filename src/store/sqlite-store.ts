// The real Store: better-sqlite3, WAL, synchronous=NORMAL (a committed transaction survives a
// kill -9 of the process; fail2ban runs with synchronous=OFF), busy_timeout for a CLI reading while
// the daemon writes.
//
// Opening is strict: a file that is not a database, fails quick_check, was written by a newer
// voipguard or cannot be written is a VG_STORE_OPEN/VG_STORE_SCHEMA error at start, never a silent
// fresh database (that would forget every ban). A failing write afterwards (disk full) throws
// VG_STORE_WRITE for the caller to log, count and retry: the ban itself still reaches the firewall.

import Database from 'better-sqlite3';
import { accessSync, chmodSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { VoipguardError } from '../core/errors.js';
import type { BanRecord } from '../core/types.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import type { ActiveBan, FailureWindowRow, FilePosition, Store } from './store.js';
import { joinEntries, splitEntries, type FeedListRow, type FeedStore } from './feed-store.js';
import { activeOf, prepareStatements, type BanRow, type Db } from './sqlite-statements.js';

export interface SqliteStoreOptions {
  /** How long a write waits for another connection's lock. */
  readonly busyTimeoutMs?: number;
  /** Addresses of the ban history read per banCount() until all are known (tests make it small). */
  readonly historySlice?: number;
}

const HISTORY_SLICE = 2000;

export class SqliteStore implements Store, FeedStore {
  private closed = false;
  private readonly st: ReturnType<typeof prepareStatements>;
  /**
   * Every address with a row in ban_history, kept by addBan(): an address outside it has no
   * earlier ban, answered without a query (a flood of new attackers asked SQLite once per ban). A
   * superset: a purge or a rolled-back ban leaves an address in it, which only costs the query
   * again. This process is the database's only writer while it runs. Read a slice per banCount()
   * (`historyLoad`, in address order) so that no ban waits for a large history at once (100,000
   * addresses: about 150 ms); counts are queried as before until it is whole.
   */
  private historyIps: Set<string> | null = null;
  private historyLoad: { readonly ips: Set<string>; after: string } | null = null;
  private readonly historySlice: number;

  private constructor(
    private readonly db: Db,
    readonly path: string,
    opts: SqliteStoreOptions,
  ) {
    this.st = prepareStatements(db);
    this.historySlice = Math.max(1, opts.historySlice ?? HISTORY_SLICE);
  }

  /** Opens (creating when absent) and migrates. Throws VG_STORE_OPEN or VG_STORE_SCHEMA. */
  static open(path: string, opts: SqliteStoreOptions = {}): SqliteStore {
    const memory = path === ':memory:';
    const fresh = !memory && !existsSync(path);
    let db: Db | undefined;
    try {
      if (fresh) mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      db = new Database(path, { timeout: opts.busyTimeoutMs ?? 5000 });
      if (fresh) chmodSync(path, 0o600);
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (!memory && mode !== 'wal') throw new Error(`journal_mode is ${String(mode)}, not wal`);
      db.pragma('synchronous = NORMAL');
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`quick_check: ${String(check)}`);
      migrate(db, path);
      // prove the file can be written now rather than at the first ban
      db.prepare("INSERT INTO meta (key, value) VALUES ('opens', '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1").run();
      return new SqliteStore(db, path, opts);
    } catch (e) {
      db?.close();
      if (e instanceof VoipguardError) throw e;
      const ro = memory ? null : readOnlyReason(path);
      throw new VoipguardError(
        'VG_STORE_OPEN',
        `cannot use the database ${path}: ${describe(e)}${ro ? `; ${ro}` : ''} (fix or move the file; voipguard does not replace it)`,
        { file: path },
        { cause: e },
      );
    }
  }

  /** For diagnostics and tests. */
  settings(): { journalMode: string; synchronous: number; userVersion: number } {
    return {
      journalMode: String(this.db.pragma('journal_mode', { simple: true })),
      synchronous: Number(this.db.pragma('synchronous', { simple: true })),
      userVersion: Number(this.db.pragma('user_version', { simple: true })),
    };
  }

  addBan(ban: BanRecord, applied: boolean): void {
    (this.historyIps ?? this.historyLoad?.ips)?.add(ban.ip);
    this.write(() => this.st.addBan(ban, applied ? 1 : 0));
  }

  setApplied(jail: string, ip: string, applied: boolean): void {
    this.write(() => this.st.setApplied.run(applied ? 1 : 0, jail, ip));
  }

  removeBan(jail: string, ip: string): void {
    this.write(() => this.st.removeBan.run(jail, ip));
  }

  activeBans(jail?: string): ActiveBan[] {
    const rows = (jail === undefined ? this.st.allBans.all() : this.st.jailBans.all(jail)) as BanRow[];
    return rows.map(activeOf);
  }

  activeBansPage(jail: string, after: string | null, limit: number): ActiveBan[] {
    // the primary key's order (jail, ip): a range read, no sort, whatever the table holds
    return (this.st.banPage.all(jail, after ?? '', limit) as BanRow[]).map(activeOf);
  }

  activeBan(jail: string, ip: string): ActiveBan | undefined {
    const r = this.st.oneBan.get(jail, ip) as BanRow | undefined;
    return r && activeOf(r);
  }

  banCount(ip: string, jail: string | null, since: number): number {
    const known = this.historyIps ?? this.loadHistorySlice();
    if (known !== null && !known.has(ip)) return 0;
    const row = (jail === null ? this.st.countAll.get(ip, since) : this.st.countJail.get(ip, since, jail)) as { n: number };
    return row.n;
  }

  /** Reads the next slice of the history's addresses; the whole set once the last is read, else null. */
  private loadHistorySlice(): Set<string> | null {
    const load = (this.historyLoad ??= { ips: new Set(), after: '' });
    const ips = this.st.historyIps.all(load.after, this.historySlice) as string[];
    for (const ip of ips) load.ips.add(ip);
    if (ips.length < this.historySlice) {
      this.historyIps = load.ips;
      this.historyLoad = null;
      return this.historyIps;
    }
    load.after = ips[ips.length - 1]!;
    return null;
  }

  purgeHistory(before: number): number {
    const n = this.write(() => this.st.purge.run(before).changes);
    // the addresses are read again from what is left: the set stays the size of the history
    if (n > 0) {
      this.historyIps = null;
      this.historyLoad = null;
    }
    return n;
  }

  getPosition(path: string): FilePosition | undefined {
    const r = this.st.getPosition.get(path) as { path: string; inode: number; offset: number; first_line_hash: string } | undefined;
    return r && { path: r.path, inode: r.inode, offset: r.offset, firstLineHash: r.first_line_hash };
  }

  setPosition(pos: FilePosition): void {
    this.write(() => this.st.setPosition.run(pos.path, pos.inode, pos.offset, pos.firstLineHash));
  }

  getMeta(key: string): string | undefined {
    return (this.st.getMeta.get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.write(() => this.st.setMeta.run(key, value));
  }

  getClusterCursor(prefix: string): string | undefined {
    return (this.st.getCursor.get(prefix) as { last_id: string } | undefined)?.last_id;
  }

  setClusterCursor(prefix: string, id: string): void {
    this.write(() => this.st.setCursor.run(prefix, id));
  }

  batch<T>(fn: () => T): T {
    if (this.db.inTransaction) return fn();
    try {
      return this.db.transaction(fn)();
    } catch (e) {
      if (e instanceof VoipguardError) throw e;
      throw new VoipguardError('VG_STORE_WRITE', `database write failed: ${describe(e)}`, { file: this.path }, { cause: e });
    }
  }

  saveWindows(jail: string, rows: readonly FailureWindowRow[]): void {
    if (rows.length === 0) return;
    this.write(() => this.st.saveWindows(jail, rows));
  }

  loadWindows(jail: string, since: number): FailureWindowRow[] {
    const rows = this.st.loadWindows.all(jail, since) as { ip: string; times: string }[];
    const out: FailureWindowRow[] = [];
    for (const r of rows) {
      const times = parseTimes(r.times);
      if (times.length) out.push({ ip: r.ip, times });
    }
    return out;
  }

  pruneWindows(jail: string, before: number, keep: number): number {
    return this.write(() => this.st.pruneWindows(jail, before, Math.max(0, keep)));
  }

  loadFeedList(name: string): FeedListRow | undefined {
    const r = this.db.prepare('SELECT name, entries, fetched_at, cursor, full_at FROM feed_lists WHERE name = ?').get(name) as
      { name: string; entries: string; fetched_at: number; cursor: string | null; full_at: number } | undefined;
    return r && { name: r.name, entries: splitEntries(r.entries), fetchedAt: r.fetched_at, cursor: r.cursor, fullAt: r.full_at };
  }

  saveFeedList(row: FeedListRow): void {
    const sql = 'INSERT OR REPLACE INTO feed_lists (name, entries, fetched_at, cursor, full_at) VALUES (?, ?, ?, ?, ?)';
    this.write(() => this.db.prepare(sql).run(row.name, joinEntries(row.entries), row.fetchedAt, row.cursor, row.fullAt));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private write<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw new VoipguardError('VG_STORE_WRITE', `database write failed: ${describe(e)}`, { file: this.path }, { cause: e });
    }
  }
}

/** A stored times list; anything that is not a list of finite numbers counts as no failures. */
function parseTimes(text: string): number[] {
  try {
    const v: unknown = JSON.parse(text);
    if (Array.isArray(v) && v.every((t) => typeof t === 'number' && Number.isFinite(t))) return (v as number[]).slice().sort((a, b) => a - b);
  } catch {
    /* a damaged row: treated as empty, overwritten at the next failure */
  }
  return [];
}

function migrate(db: Db, path: string): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version > SCHEMA_VERSION) {
    throw new VoipguardError('VG_STORE_SCHEMA', `the database ${path} has schema ${version}; this voipguard knows up to ${SCHEMA_VERSION}`, { file: path });
  }
  for (const m of MIGRATIONS) {
    if (m.version <= version) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

/** Why the file or its directory cannot be written (WAL needs both), or null. */
function readOnlyReason(path: string): string | null {
  for (const p of [path, dirname(path)]) {
    try {
      accessSync(p, constants.W_OK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EROFS') return `${p} is on a read-only file system`;
      if (code === 'EACCES' || code === 'EPERM') return `${p} is read-only for this user`;
    }
  }
  return null;
}

function describe(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  const msg = e instanceof Error ? e.message : String(e);
  return typeof code === 'string' && !msg.includes(code) ? `${msg} (${code})` : msg;
}
