// A tiny in-memory Store for the firewall tests (the real MemoryStore is src/store's); it also
// records every setApplied call so tests can see what the actions told the store.

import type { BanRecord } from '../../src/core/types.js';
import type { ActiveBan, FilePosition, Store } from '../../src/store/store.js';

export class TinyStore implements Store {
  readonly bans = new Map<string, ActiveBan>();
  readonly appliedCalls: { jail: string; ip: string; applied: boolean }[] = [];
  private readonly meta = new Map<string, string>();
  private readonly positions = new Map<string, FilePosition>();

  addBan(ban: BanRecord, applied: boolean): void {
    this.bans.set(`${ban.jail}\u0000${ban.ip}`, { ...ban, applied });
  }
  setApplied(jail: string, ip: string, applied: boolean): void {
    this.appliedCalls.push({ jail, ip, applied });
    const k = `${jail}\u0000${ip}`;
    const b = this.bans.get(k);
    if (b) this.bans.set(k, { ...b, applied });
  }
  removeBan(jail: string, ip: string): void {
    this.bans.delete(`${jail}\u0000${ip}`);
  }
  activeBans(jail?: string): ActiveBan[] {
    return [...this.bans.values()].filter((b) => jail === undefined || b.jail === jail);
  }
  activeBansPage(jail: string, after: string | null, limit: number): ActiveBan[] {
    return this.activeBans(jail)
      .filter((b) => after === null || b.ip > after)
      .sort((a, b) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0))
      .slice(0, limit);
  }
  activeBan(jail: string, ip: string): ActiveBan | undefined {
    return this.bans.get(`${jail}\u0000${ip}`);
  }
  banCount(): number {
    return 0;
  }
  purgeHistory(): number {
    return 0;
  }
  getPosition(path: string): FilePosition | undefined {
    return this.positions.get(path);
  }
  setPosition(pos: FilePosition): void {
    this.positions.set(pos.path, pos);
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
  saveWindows(): void {}
  loadWindows(): [] {
    return [];
  }
  pruneWindows(): number {
    return 0;
  }
  close(): void {}
  batch<T>(fn: () => T): T {
    return fn();
  }
  /** The last applied flag told for ip, or undefined. */
  lastApplied(ip: string): boolean | undefined {
    for (let i = this.appliedCalls.length - 1; i >= 0; i--) if (this.appliedCalls[i]!.ip === ip) return this.appliedCalls[i]!.applied;
    return undefined;
  }
}
