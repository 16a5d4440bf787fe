// The in-memory twin of SqliteStore, for unit tests and `dbfile = :memory:`-like dry runs. It passes
// the same contract tests (test/store/store-contract.ts).

import type { BanRecord } from '../../src/core/types.js';
import type { ActiveBan, FailureWindowRow, FilePosition, Store } from '../../src/store/store.js';

export class MemoryStore implements Store {
  private readonly bans = new Map<string, ActiveBan>();
  private history: BanRecord[] = [];
  private readonly positions = new Map<string, FilePosition>();
  private readonly meta = new Map<string, string>();
  /** jail → ip → times; a Map keeps insertion order, re-set on save: least recently failed first. */
  private readonly windows = new Map<string, Map<string, readonly number[]>>();

  addBan(ban: BanRecord, applied: boolean): void {
    const record: BanRecord = { jail: ban.jail, ip: ban.ip, start: ban.start, until: ban.until, banCount: ban.banCount, reason: ban.reason };
    this.bans.set(key(ban.jail, ban.ip), Object.freeze({ ...record, applied }));
    this.history.push(Object.freeze(record));
  }

  setApplied(jail: string, ip: string, applied: boolean): void {
    const b = this.bans.get(key(jail, ip));
    if (b) this.bans.set(key(jail, ip), Object.freeze({ ...b, applied }));
  }

  removeBan(jail: string, ip: string): void {
    this.bans.delete(key(jail, ip));
  }

  activeBans(jail?: string): ActiveBan[] {
    return [...this.bans.values()]
      .filter((b) => jail === undefined || b.jail === jail)
      .sort((a, b) => a.start - b.start || cmp(a.jail, b.jail) || cmp(a.ip, b.ip));
  }

  activeBansPage(jail: string, after: string | null, limit: number): ActiveBan[] {
    return [...this.bans.values()]
      .filter((b) => b.jail === jail && (after === null || b.ip > after))
      .sort((a, b) => cmp(a.ip, b.ip))
      .slice(0, limit);
  }

  activeBan(jail: string, ip: string): ActiveBan | undefined {
    return this.bans.get(key(jail, ip));
  }

  banCount(ip: string, jail: string | null, since: number): number {
    let n = 0;
    for (const h of this.history) if (h.ip === ip && h.start >= since && (jail === null || h.jail === jail)) n++;
    return n;
  }

  purgeHistory(before: number): number {
    const kept = this.history.filter((h) => h.start >= before);
    const purged = this.history.length - kept.length;
    this.history = kept;
    return purged;
  }

  getPosition(path: string): FilePosition | undefined {
    return this.positions.get(path);
  }

  setPosition(pos: FilePosition): void {
    this.positions.set(pos.path, Object.freeze({ path: pos.path, inode: pos.inode, offset: pos.offset, firstLineHash: pos.firstLineHash }));
  }

  private readonly cursors = new Map<string, string>();
  getClusterCursor(prefix: string): string | undefined {
    return this.cursors.get(prefix);
  }
  setClusterCursor(prefix: string, id: string): void {
    this.cursors.set(prefix, id);
  }
  getMeta(key: string): string | undefined {
    return this.meta.get(key);
  }

  setMeta(key: string, value: string): void {
    this.meta.set(key, value);
  }

  saveWindows(jail: string, rows: readonly FailureWindowRow[]): void {
    let m = this.windows.get(jail);
    if (!m) this.windows.set(jail, (m = new Map()));
    for (const r of rows) {
      m.delete(r.ip);
      if (r.times.length) m.set(r.ip, Object.freeze([...r.times]));
    }
  }

  loadWindows(jail: string, since: number): FailureWindowRow[] {
    const rows = [...(this.windows.get(jail) ?? [])].map(([ip, times]) => ({ ip, times: [...times] }));
    return rows.filter((r) => r.times[r.times.length - 1]! >= since).sort((a, b) => last(a.times) - last(b.times) || cmp(a.ip, b.ip));
  }

  pruneWindows(jail: string, before: number, keep: number): number {
    const m = this.windows.get(jail);
    if (!m) return 0;
    let n = 0;
    for (const [ip, times] of m) {
      if (last(times) < before) {
        m.delete(ip);
        n++;
      }
    }
    const byNewest = [...m].sort((a, b) => last(b[1]) - last(a[1]) || cmp(a[0], b[0]));
    for (const [ip] of byNewest.slice(Math.max(0, keep))) {
      m.delete(ip);
      n++;
    }
    return n;
  }

  close(): void {}

  batch<T>(fn: () => T): T {
    return fn();
  }
}

function last(times: readonly number[]): number {
  return times[times.length - 1]!;
}

function key(jail: string, ip: string): string {
  return `${jail}\u0000${ip}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
