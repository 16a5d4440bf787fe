// The addresses failing against each tracked account of the account windows (account-windows.ts),
// and their failures there: the account's first address inline in its entry (account-entry.ts),
// an address's one failure kept with the address's own record in the failure windows
// (single-failures.ts, while `singles` holds), and every other address as an (account, address)
// pair in one table for all accounts (pair-table.ts). Bounded per account (its oldest other address
// goes past the cap) and in all (the least recently failed pair goes, never its account).
// Pure, as the account windows: every call takes the event time.

import type { Entry } from './account-entry.js';
import type { RecordAddresses } from './failure-windows.js';
import { PairTable } from './pair-table.js';
import { SingleFailures } from './single-failures.js';
import type { StringHasher } from './string-hasher.js';
import { count, countSince, push } from './times-window.js';

const NONE = -1;

export class AccountAddresses {
  private readonly pairs: PairTable<Entry>;
  /** Addresses' single failures, by the address's record number in the failure windows. */
  private readonly single: SingleFailures;

  /**
   * `entries`: the account windows' entries by account number (read, never changed here);
   * `records`: the addresses of the failure windows' records (single failures become pairs with
   * them when they stop: flush()); `accounts`: the account numbers' cap.
   */
  constructor(
    private readonly entries: readonly (Entry | undefined)[],
    private readonly hasher: StringHasher,
    private readonly records: RecordAddresses | null,
    accounts: number,
    private readonly maxPerAccount: number,
    maxPairs: number,
  ) {
    this.pairs = new PairTable(maxPairs);
    this.single = new SingleFailures(accounts);
  }

  /** Pairs pushed out by the pair cap so far (their accounts stay). */
  get evictedPairs(): number {
    return this.pairs.evicted;
  }

  /** Adds t to the address's window against e (a tracked account); returns its count there.
   *  `record`: the address's record in the failure windows (-1: none); `singles`: its single
   *  failure may be kept there (AccountLimits.singles). */
  add(e: Entry, ip: string, ipHash: number, t: number, minFailures: number, findtime: number, record: number, singles: boolean): number {
    if (e.ip === ip) {
      e.ipTimes = push(e.ipTimes, t, minFailures, findtime);
      return e.ipTl === null ? 1 : e.ipTl.length;
    }
    const pairs = this.pairs;
    const ih = ipHash >= 0 ? ipHash : this.hasher.hash(ip);
    if (record >= 0 && this.single.account(record) !== NONE) {
      const again = this.takeSingle(record, e, ip, ih);
      if (again >= 0) {
        // its second failure against the account: a pair from now on, unless the first left the window
        const times = push(again, t, minFailures, findtime);
        if (typeof times === 'number') return this.keepSingle(e, record, times);
        if (this.takesFirst(e)) {
          e.ip = ip;
          e.ipTimes = times;
          return count(times);
        }
        const p = this.newPair(e, ip, ih, again);
        pairs.setTimes(p, times);
        return count(times);
      }
    }
    const p = e.pairCount === 0 ? -1 : pairs.find(e, ip, ih);
    if (p >= 0) {
      pairs.touch(p);
      const next = push(pairs.times(p), t, minFailures, findtime);
      pairs.setTimes(p, next);
      return count(next);
    }
    if (this.takesFirst(e)) {
      e.ip = ip;
      e.ipTimes = t;
      return 1;
    }
    if (record >= 0 && singles) return this.keepSingle(e, record, t);
    this.newPair(e, ip, ih, t);
    return 1;
  }

  /** The attack on e starts: takes out, into `ban`, each address with at least `minFailures`
   *  failures against it since `lower` (its first and its pairs; a single failure is one). */
  takeAtStart(e: Entry, lower: number, minFailures: number, ban: string[]): void {
    if (e.ip !== null && countSince(e.ipTimes, lower) >= minFailures) {
      ban.push(e.ip);
      e.ip = null;
    }
    const pairs = this.pairs;
    for (let p = e.pairHead; p >= 0;) {
      const after = pairs.after(p);
      if (countSince(pairs.times(p), lower) >= minFailures) {
        ban.push(pairs.ip(p));
        pairs.remove(p);
      }
      p = after;
    }
  }

  /** Forgets the address's failures against e (it is banned). */
  forget(e: Entry, ip: string): void {
    if (e.ip === ip) {
      e.ip = null;
      return;
    }
    const p = e.pairCount === 0 ? -1 : this.pairs.find(e, ip, this.hasher.hash(ip));
    if (p >= 0) this.pairs.remove(p);
  }

  /** The jail's failure windows no longer hold `record`: its single failure goes with it. */
  gone(record: number): void {
    const a = this.single.account(record);
    if (a !== NONE) this.entries[a]!.singles--;
    this.single.clear(record);
  }

  /** e is dropped: its pairs go, and the single failures kept for its number are stale from now on. */
  dropped(e: Entry): void {
    this.single.dropped(e.id);
    if (e.pairCount > 0) this.pairs.removeAll(e);
  }

  /** Single failures stop (a runtime change of the limits): each kept with an address's record
   *  becomes the address's pair (or the account's first place, when free), as it would have been
   *  from the start. Without the records' addresses they are forgotten. */
  flush(): void {
    const single = this.single;
    for (const r of single.held()) {
      const e = this.entries[single.account(r)]!;
      const t = single.time(r);
      single.clear(r);
      e.singles--;
      if (this.records === null) continue;
      const ip = this.records.addressOf(r);
      if (this.takesFirst(e)) {
        e.ip = ip;
        e.ipTimes = t;
      } else this.newPair(e, ip, this.records.hashOf(r), t);
    }
  }

  /** True when a new address of e goes in its first place: the place is free, or the cap of
   *  addresses per account is reached with no other address to make room (a cap of one: the first
   *  is replaced). At the cap otherwise, newPair() lets e's oldest other address go. */
  private takesFirst(e: Entry): boolean {
    return e.ip === null || (e.keptCount >= this.maxPerAccount && e.pairCount === 0);
  }

  /** Keeps t as the address's single failure against e, in the address's record. */
  private keepSingle(e: Entry, record: number, t: number): number {
    this.single.set(record, e.id, t);
    e.singles++;
    return 1;
  }

  /**
   * Takes the single failure out of the address's record. Against e, returns its time (-1 when it
   * was against another account: that one becomes a pair of the other account, as it would have
   * been had it never been kept apart, unless that account was dropped since).
   */
  private takeSingle(record: number, e: Entry, ip: string, ih: number): number {
    const single = this.single;
    const a = single.account(record);
    const at = single.time(record);
    single.clear(record);
    if (a === NONE) return NONE;
    const owner = this.entries[a]!;
    owner.singles--;
    if (owner === e) return at;
    this.newPair(owner, ip, ih, at);
    return NONE;
  }

  /** A new pair of e with one failure at t; at the cap of addresses per account, e's oldest pair goes first. */
  private newPair(e: Entry, ip: string, ih: number, t: number): number {
    if (e.keptCount >= this.maxPerAccount && e.pairCount > 0) this.pairs.remove(e.pairHead);
    return this.pairs.add(e, ip, ih, t);
  }
}
