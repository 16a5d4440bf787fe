// An address's one failure against an account, kept beside the address's own record in the
// failure windows (failure-windows.ts) instead of as an (account, address) pair (pair-table.ts).
//
// Why: in a scan (sipvicious-style: every address new, each trying one extension once), nearly
// every failure made a pair that no second failure ever read, and each pair cost an insert and
// the eviction of the least recently failed one from a table of 200,000: 40 % of the scan's time
// (docs/benchmarks.md, twenty-first session). Kept here, such a failure costs three writes in
// arrays indexed by the address's record number, which the jail has just read. It becomes a pair
// when it matters: when the address fails again, against the same account (then it has two
// failures there) or another one (an address keeps one single failure here; the earlier one moves
// to the pair table).
//
// It lives as long as the address's record: the failure windows report each record that goes
// (evicted at their cap, deleted at a ban, pruned once its newest failure is findtime old), and
// its single failure goes with it. Accounts are numbered records that are reused: each single
// failure keeps the generation of its account's number, and one whose account was dropped since
// is no longer read as that account's.

import { grownFloat64, grownInt32 } from './grown.js';

const NONE = -1;
const MIN_RECORDS = 64;

export class SingleFailures {
  /** Per address record: the account number (NONE: none), its generation, the failure's time. */
  private accounts = new Int32Array(0);
  private generations = new Int32Array(0);
  private times = new Float64Array(0);
  /** Per account number: bumped when its account is dropped (what was kept for it is then stale). */
  private readonly current: Int32Array;

  /** `accounts`: the account numbers' cap (they run from 0 below it). */
  constructor(accounts: number) {
    this.current = new Int32Array(accounts);
    this.resize(MIN_RECORDS);
  }

  /** The account of record r's single failure, NONE when it has none or its account was dropped since. */
  account(r: number): number {
    if (r >= this.accounts.length) return NONE;
    const a = this.accounts[r]!;
    return a !== NONE && this.generations[r] === this.current[a] ? a : NONE;
  }

  /** The time of record r's single failure (read while account(r) is not NONE). */
  time(r: number): number {
    return this.times[r]!;
  }

  /** Keeps a single failure against `account` at t in record r (which holds none). */
  set(r: number, account: number, t: number): void {
    if (r >= this.accounts.length) this.resize(Math.max(this.accounts.length * 2, r + 1));
    this.accounts[r] = account;
    this.generations[r] = this.current[account]!;
    this.times[r] = t;
  }

  clear(r: number): void {
    if (r < this.accounts.length) this.accounts[r] = NONE;
  }

  /** The records holding a single failure whose account was not dropped since. */
  held(): number[] {
    const out: number[] = [];
    for (let r = 0; r < this.accounts.length; r++) if (this.account(r) !== NONE) out.push(r);
    return out;
  }

  /** The account numbered `account` is dropped: the single failures kept for it are stale from now on. */
  dropped(account: number): void {
    this.current[account] = (this.current[account]! + 1) | 0;
  }

  private resize(n: number): void {
    this.accounts = grownInt32(this.accounts, n, NONE);
    this.generations = grownInt32(this.generations, n);
    this.times = grownFloat64(this.times, n);
  }
}
