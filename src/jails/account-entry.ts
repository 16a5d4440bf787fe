// One tracked account of the account windows (account-windows.ts): its name and hash, its newest
// failure times, its first address inline and the head of its other addresses in the pair table
// (pair-table.ts), its attack, and its number in the account windows' index and order.

import type { PairOwner, PairTimes } from './pair-table.js';

/** Failure times: one number while there is one, else the times oldest first. */
export type Times = PairTimes;

/** The numbers per entry in the shared Float64Array (AccountWindows makes it, one row per entry). */
export const ENTRY_NUMBERS = 4;
const T1 = 0;
const IP_T1 = 1;
const HOT_UNTIL = 2;
const SINCE = 3;

/**
 * One tracked account. Times are kept as a number plus an array only once there are two (a
 * number stored where an array may also be is a fresh heap number each time), and entries are
 * reused: the one evicted takes the next new name, so a spray of new names allocates no entry.
 * Its four event times sit in a row of one Float64Array shared by all entries, not in fields of
 * its own: V8 keeps a double field in a box of its own, four more objects per entry for the
 * collector to mark and four more places to write at each new name (docs/benchmarks.md,
 * eighteenth session).
 */
export class Entry implements PairOwner {
  /** The name as a string of its own, once the account is under attack (its key in
   *  AccountWindows.hot); '' before. The name itself is kept by AccountWindows (account-names.ts). */
  name = '';
  /** The name's hash in AccountWindows' index. */
  hash = 0;
  /** The newest failures against the account, oldest first, at most `retry`, once there are two. */
  tl: number[] | null = null;
  /** The account's first address (no pair in the table for the common case: one address per account)
   *  and its newest failures against the account, at most `minFailures`. */
  ip: string | null = null;
  ipTl: number[] | null = null;
  /** Its other addresses: pairs in AccountWindows.pairs (pair-table.ts), oldest first. */
  pairHead = -1;
  pairTail = -1;
  pairCount = 0;
  /** Addresses whose one failure against the account is kept with the address (single-failures.ts). */
  singles = 0;
  banned = 0;
  /** Listed in AccountWindows.hot. */
  inHot = false;
  /** Where its times start in `nums`. */
  private readonly at: number;

  /** `id`: its number in AccountWindows' index, order and arrays (fixed: an entry is reused under
   *  the same number); `nums`: the shared times, ENTRY_NUMBERS per number. */
  constructor(
    readonly id: number,
    private readonly nums: Float64Array,
  ) {
    this.at = id * ENTRY_NUMBERS;
  }

  /** The newest failure against the account while it is the only one in the window. */
  get t1(): number {
    return this.nums[this.at + T1]!;
  }

  set t1(t: number) {
    this.nums[this.at + T1] = t;
  }

  /** The first address's failure while it has one. */
  get ipT1(): number {
    return this.nums[this.at + IP_T1]!;
  }

  set ipT1(t: number) {
    this.nums[this.at + IP_T1] = t;
  }

  /** Under attack while an event time is ≤ this. */
  get hotUntil(): number {
    return this.nums[this.at + HOT_UNTIL]!;
  }

  set hotUntil(t: number) {
    this.nums[this.at + HOT_UNTIL] = t;
  }

  /** When its attack started (event time). */
  get since(): number {
    return this.nums[this.at + SINCE]!;
  }

  set since(t: number) {
    this.nums[this.at + SINCE] = t;
  }

  reset(hash: number, t: number, ip: string): this {
    this.name = '';
    this.hash = hash;
    this.t1 = t;
    this.tl = null;
    this.ip = ip;
    this.ipT1 = t;
    this.ipTl = null;
    this.pairHead = -1;
    this.pairTail = -1;
    this.pairCount = 0;
    this.singles = 0;
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

  /** Addresses seen failing against the account (within the caps). */
  get addressCount(): number {
    return this.pairCount + (this.ip !== null ? 1 : 0) + this.singles;
  }

  /** Those the cap of addresses per account bounds: its first and its pairs (a single failure is
   *  bounded by the failure windows' cap, with its address). */
  get keptCount(): number {
    return this.pairCount + (this.ip !== null ? 1 : 0);
  }
}
