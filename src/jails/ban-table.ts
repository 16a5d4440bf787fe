// The addresses a jail holds banned now, with their ends. A ban that ends is found by the jail's
// tick: the table remembers the soonest end, so a tick before it costs one comparison, and the walk
// over every ban runs only when some ban is due.

import type { BanReason } from '../core/types.js';

export interface BannedEntry {
  readonly ip: string;
  readonly start: number;
  readonly until: number | null;
  readonly banCount: number;
  readonly reason: BanReason;
}

export class BanTable {
  private readonly banned = new Map<string, BannedEntry>();
  /** No ban ends before this (Infinity: none ends). */
  private nextExpiry = Infinity;

  get size(): number {
    return this.banned.size;
  }

  has(ip: string): boolean {
    return this.banned.size !== 0 && this.banned.has(ip);
  }

  set(b: BannedEntry): void {
    this.banned.set(b.ip, b);
    if (b.until !== null && b.until < this.nextExpiry) this.nextExpiry = b.until;
  }

  /** False when ip was not banned. */
  delete(ip: string): boolean {
    return this.banned.delete(ip);
  }

  /** Takes out every ban whose end is at or before `now`; returns their addresses. */
  expire(now: number): string[] {
    if (now < this.nextExpiry) return [];
    const out: string[] = [];
    let next = Infinity;
    for (const [ip, b] of this.banned) {
      if (b.until === null) continue;
      if (b.until <= now) {
        this.banned.delete(ip);
        out.push(ip);
      } else if (b.until < next) next = b.until;
    }
    this.nextExpiry = next;
    return out;
  }

  /** Every ban, oldest first (a copy and a sort: for the requests that show the list). */
  sorted(): BannedEntry[] {
    return [...this.banned.values()].sort((a, b) => a.start - b.start || (a.ip < b.ip ? -1 : 1));
  }
}
