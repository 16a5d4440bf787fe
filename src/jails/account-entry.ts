// One tracked account of the account windows (account-windows.ts): its name and hash, its newest
// failure times, its first address inline and the head of its other addresses in the pair table
// (pair-table.ts), its attack, and its number in the account windows' index and order.

import type { PairOwner, PairTimes } from './pair-table.js';

/** Failure times: one number while there is one, else the times oldest first. */
export type Times = PairTimes;

/**
 * One tracked account. Times are kept as a double field plus an array only once there are two (a
 * number stored where an array may also be is a fresh heap number each time), and entries are
 * reused: the one evicted takes the next new name, so a spray of new names allocates no entry.
 */
export class Entry implements PairOwner {
  name = '';
  /** The name's hash in AccountWindows' index. */
  hash = 0;
  /** The newest failure against the account while it is the only one in the window. */
  t1 = 0;
  /** The newest failures against the account, oldest first, at most `retry`, once there are two. */
  tl: number[] | null = null;
  /** The account's first address (no pair in the table for the common case: one address per account)
   *  and its newest failures against the account, at most `minFailures`. */
  ip: string | null = null;
  ipT1 = 0;
  ipTl: number[] | null = null;
  /** Its other addresses: pairs in AccountWindows.pairs (pair-table.ts), oldest first. */
  pairHead = -1;
  pairTail = -1;
  pairCount = 0;
  /** Under attack while an event time is ≤ this. */
  hotUntil = -Infinity;
  since = 0;
  banned = 0;
  /** Listed in AccountWindows.hot. */
  inHot = false;
  /** Its number in AccountWindows' index, order and arrays (fixed: an entry is reused under the same number). */
  constructor(readonly id: number) {}

  reset(name: string, hash: number, t: number, ip: string): this {
    this.name = name;
    this.hash = hash;
    this.t1 = t;
    this.tl = null;
    this.ip = ip;
    this.ipT1 = t;
    this.ipTl = null;
    this.pairHead = -1;
    this.pairTail = -1;
    this.pairCount = 0;
    this.hotUntil = -Infinity;
    this.since = 0;
    this.banned = 0;
    this.inHot = false;
    return this;
  }

  get times(): Times {
    return this.tl ?? this.t1;
  }

  set times(v: Times) {
    if (typeof v === 'number') {
      this.t1 = v;
      this.tl = null;
    } else this.tl = v;
  }

  get ipTimes(): Times {
    return this.ipTl ?? this.ipT1;
  }

  set ipTimes(v: Times) {
    if (typeof v === 'number') {
      this.ipT1 = v;
      this.ipTl = null;
    } else this.ipTl = v;
  }

  get count(): number {
    return this.tl === null ? 1 : this.tl.length;
  }

  get newest(): number {
    return this.tl === null ? this.t1 : this.tl[this.tl.length - 1]!;
  }

  get addressCount(): number {
    return this.pairCount + (this.ip !== null ? 1 : 0);
  }
}
