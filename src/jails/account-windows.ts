// Per-account counting across addresses (docs/beyond-one-address.md, "accountretry"). Pure: every
// call takes the event time, nothing reads a clock.
//
// An account (the AccountID / user a failure names) is *under attack* once `retry` failures against
// it, from any addresses, fall within `findtime`; it stays so until `findtime` after the last
// failure that kept the count at `retry`. While it is, every address with at least `minFailures`
// failures against it within `findtime` is to be banned: those already there when the attack
// starts, and each further one as it gets there.
//
// The account name is the attacker's text: it is cut to ACCOUNT_NAME_MAX characters before it is a
// key, kept as its UTF-8 bytes (account-names.ts: never the cut itself, which would keep the line it
// was cut from), and never leaves this file except for the jail's status and log facts (never a
// metric label).
// A name that one failure named and no other since is only *seen once* (account-newcomers.ts):
// its hash, time and address, no entry; a second failure against it makes it a tracked account
// with both failures. Memory is bounded four ways: names seen once (each lasts until as many newer
// names arrived after it as the cap), tracked accounts (least recently failed evicted first, and
// only for another tracked account: a spray of names tried once never pushes one out), addresses
// per account (its least recently failed goes), and (account, address) pairs past each account's
// first address, in all (pair-table.ts: the least recently failed pair goes, never a whole account,
// so an account under attack in a wide scan keeps its count and its attack); the addresses of an
// account are account-addresses.ts's. The
// accounts are numbered records (an Entry object each, reused; the names seen once numbered from
// the accounts' cap on); the jail's own index (key-index.ts, keyed by its seed: the names are the
// attacker's) maps a name to its number, and the tracked accounts' least-recently-failed order is
// a ring of numbers (recency-ring.ts). A failure against a tracked account is one lookup, and one
// against a new name a lookup, an insert and (at the cap) the removal of the one pushed out by its
// kept hash, its name never read; plus arrays no longer than retry and minFailures.

import { AccountAddresses } from './account-addresses.js';
import { Entry, ENTRY_NUMBERS } from './account-entry.js';
import { AccountNames } from './account-names.js';
import { AccountNewcomers } from './account-newcomers.js';
import { KeyIndex } from './key-index.js';
import type { RecordAddresses } from './failure-windows.js';
import { RecencyRing } from './recency-ring.js';
import { countSince, push } from './times-window.js';
import { randomSeed, StringHasher } from './string-hasher.js';

export const ACCOUNT_NAME_MAX = 128;
export const DEFAULT_MAX_ACCOUNTS = 50_000;
export const DEFAULT_MAX_ADDRESSES_PER_ACCOUNT = 4096;
export const DEFAULT_MAX_PAIRS = 200_000;

export interface AccountLimits {
  /** Failures against one account within findtime that put it under attack (≥ 1). */
  readonly retry: number;
  readonly findtime: number;
  /** Failures of one address against an account under attack that ban the address. */
  readonly minFailures: number;
  /** Keep an address's one failure against an account with the address's record (single-failures.ts)
   *  when the caller passes one: only while that record lives at least as long as the failure counts
   *  (findtime no longer than the address windows') and one failure never bans (minFailures ≥ 2). */
  readonly singles?: boolean;
}

export interface AccountCaps {
  readonly accounts?: number;
  readonly addressesPerAccount?: number;
  /** (account, address) pairs past each account's first address, in all. */
  readonly pairs?: number;
  /** Names seen once (one failure named each): by default as many as `accounts`. */
  readonly newcomers?: number;
}

/** An account under attack, as status shows it. */
export interface AccountAttack {
  readonly account: string;
  /** When the attack started (event time). */
  readonly since: number;
  /** Addresses seen failing against the account (within the caps). */
  readonly addresses: number;
  /** Addresses banned for it so far. */
  readonly banned: number;
}

/** What one failure did: addresses to ban (account-attack) and, once per attack, its start. */
export interface AccountOutcome {
  readonly ban: readonly string[];
  /** Set on the failure that put the account under attack. */
  readonly started: AccountAttack | null;
}

const NOTHING: AccountOutcome = Object.freeze({ ban: Object.freeze([]) as readonly string[], started: null });

/** Entries kept for reuse after a prune dropped them (evictions reuse theirs at once); past this
 *  many free numbers, a dropped number lets its entry go. */
const SPARE_MAX = 1024;
const NONE = -1;

export class AccountWindows {
  private readonly index: KeyIndex;
  /** Per account number: its entry (undefined once dropped past SPARE_MAX free ones) and its name
   *  (what the index compares). */
  private readonly entries: (Entry | undefined)[] = [];
  private readonly names: AccountNames;
  /** The entries' event times, ENTRY_NUMBERS per account number (account-entry.ts). */
  private readonly nums: Float64Array;
  /** Numbers free for reuse (below entries.length). */
  private readonly free: number[] = [];
  /** Least recently failed first. */
  private readonly order = new RecencyRing();
  /** Accounts under attack (a subset of the index), for status and the tick. */
  private readonly hot = new Map<string, Entry>();
  /** The addresses failing against each tracked account: first, single failures, pairs. */
  private readonly addresses: AccountAddresses;
  /** Names seen once, numbered from maxAccounts on (account-newcomers.ts). */
  private readonly newcomers: AccountNewcomers;
  private evictedCount = 0;
  private attacksCount = 0;
  private readonly maxAccounts: number;

  constructor(
    private limits: AccountLimits,
    caps: AccountCaps = {},
    hasher: StringHasher = new StringHasher(randomSeed()),
    /** The addresses of the records single failures are kept in (the jail's failure windows). */
    records: RecordAddresses | null = null,
  ) {
    this.index = new KeyIndex(hasher);
    this.names = new AccountNames(hasher, ACCOUNT_NAME_MAX);
    this.maxAccounts = caps.accounts ?? DEFAULT_MAX_ACCOUNTS;
    const maxPerAccount = caps.addressesPerAccount ?? DEFAULT_MAX_ADDRESSES_PER_ACCOUNT;
    const maxPairs = caps.pairs ?? DEFAULT_MAX_PAIRS;
    if (!(this.maxAccounts >= 1 && maxPerAccount >= 1 && maxPairs >= 1)) throw new RangeError('caps must be at least 1');
    this.addresses = new AccountAddresses(this.entries, hasher, records, this.maxAccounts, maxPerAccount, maxPairs);
    // numbers never pass the cap: a new one is made only when none is free and the cap is not reached
    this.nums = new Float64Array(this.maxAccounts * ENTRY_NUMBERS);
    this.newcomers = new AccountNewcomers(this.maxAccounts, caps.newcomers ?? this.maxAccounts);
  }

  /** New limits. When single failures stop (accountminfailures set to 1, accountfindtime raised
   *  past findtime), those kept so far become pairs, as they would have been from the start: kept
   *  with their addresses, they would go unseen at an attack's start or with the address's record. */
  setLimits(limits: AccountLimits): void {
    if (this.limits.singles === true && limits.singles !== true) this.addresses.flush();
    this.limits = limits;
  }

  /** Names held now: tracked accounts and names seen once. */
  get size(): number {
    return this.index.size;
  }

  /** Tracked accounts and names seen once pushed out by their caps so far (not pruned). */
  get evicted(): number {
    return this.evictedCount;
  }

  /** (account, address) pairs pushed out by the pair cap so far (their accounts stay). */
  get evictedPairs(): number {
    return this.addresses.evictedPairs;
  }

  /** Attacks started so far. */
  get attacks(): number {
    return this.attacksCount;
  }

  /**
   * Records a failure of `ip` against `account` at event time `t`; `ipHash`: ip's hash, when the
   * caller has it; `record`: ip's record number in the jail's failure windows (-1: none), which
   * holds ip's single failure against an account until addressGone(record).
   */
  add(account: string, ip: string, t: number, ipHash = -1, record = NONE): AccountOutcome {
    const name = account.length > ACCOUNT_NAME_MAX ? account.slice(0, ACCOUNT_NAME_MAX) : account;
    const { retry, findtime, minFailures } = this.limits;
    const h = this.names.load(name);
    const id = this.index.find(h, this.names);
    let e: Entry;
    let mine = 1;
    if (id === NONE) {
      // one failure never puts an account under attack unless retry is 1: a name seen once
      if (retry >= 2) {
        this.welcome(h, t, ip);
        return NOTHING;
      }
      e = this.track(h, t, ip);
    } else {
      if (this.newcomers.owns(id)) {
        // its second failure: a tracked account from its first failure and address on
        const nc = this.newcomers;
        const t1 = nc.time(id);
        const ip1 = nc.ip(id);
        this.leave(id);
        e = this.track(h, t1, ip1);
      } else {
        e = this.entries[id]!;
        this.order.touch(id); // now the most recently failed
      }
      e.times = push(e.times, t, retry, findtime);
      mine = this.addresses.add(e, ip, ipHash, t, minFailures, findtime, record, this.limits.singles === true);
    }

    const wasHot = e.hotUntil >= t;
    if (e.count >= retry) e.hotUntil = Math.max(e.hotUntil, e.newest + findtime);
    if (e.hotUntil < t) return NOTHING;
    if (wasHot) {
      if (mine < minFailures) return NOTHING;
      this.addresses.forget(e, ip);
      e.banned++;
      return { ban: [ip], started: null };
    }
    // the attack starts: every address already at minFailures within the window goes
    e.since = t;
    this.attacksCount++;
    // a string of its own for the attack (the status, the fact), not the cut of the line
    e.name = this.names.name(e.id);
    this.hot.set(e.name, e);
    e.inHot = true;
    const lower = t - findtime;
    const ban: string[] = [];
    const addresses = e.addressCount;
    this.addresses.takeAtStart(e, lower, minFailures, ban);
    e.banned += ban.length;
    return { ban, started: { account: e.name, since: t, addresses, banned: ban.length } };
  }

  /** True when `account` is under attack at event time `now`. */
  underAttack(account: string, now: number): boolean {
    const name = account.length > ACCOUNT_NAME_MAX ? account.slice(0, ACCOUNT_NAME_MAX) : account;
    const e = this.hot.get(name);
    return e !== undefined && e.hotUntil >= now;
  }

  /** The accounts under attack at `now`, oldest attack first (at most `limit`), and how many there are. */
  attacked(now: number, limit = 100): { readonly count: number; readonly list: readonly AccountAttack[] } {
    const list: AccountAttack[] = [];
    let n = 0;
    for (const [account, e] of this.hot) {
      if (e.hotUntil < now) continue;
      n++;
      if (list.length < limit) list.push({ account, since: e.since, addresses: e.addressCount + e.banned, banned: e.banned });
    }
    list.sort((a, b) => a.since - b.since || (a.account < b.account ? -1 : 1));
    return { count: n, list };
  }

  /** Per account: failures within findtime of `now` and the addresses behind them (for `voipguard regex`). */
  counts(now: number): { account: string; failures: number; addresses: number; underAttack: boolean }[] {
    const lower = now - this.limits.findtime;
    const out: { account: string; failures: number; addresses: number; underAttack: boolean }[] = [];
    for (const r of this.order.walk()) {
      const e = this.entries[r]!;
      out.push({ account: this.names.name(r), failures: countSince(e.times, lower), addresses: e.addressCount + e.banned, underAttack: e.hotUntil >= now });
    }
    // then the names seen once, oldest first
    for (const r of this.newcomers.walk()) {
      out.push({ account: this.names.name(r), failures: this.newcomers.time(r) >= lower ? 1 : 0, addresses: 1, underAttack: false });
    }
    return out;
  }

  /** Forgets attacks that ended and accounts whose newest failure left the window (oldest first, until a fresh one). */
  prune(now: number): void {
    for (const [name, e] of this.hot) {
      if (e.hotUntil >= now) continue;
      if (e.inHot) this.hot.delete(name); // most dropped accounts were never attacked: no lookup
      e.inHot = false;
    }
    const lower = now - this.limits.findtime;
    for (let r = this.order.oldest(); r !== NONE; r = this.order.oldest()) {
      const e = this.entries[r]!;
      if (e.newest >= lower || e.hotUntil >= now) break;
      this.drop(e);
      this.release(r);
    }
    const nc = this.newcomers;
    for (let r = nc.oldest(); r !== NONE && nc.time(r) < lower; r = nc.oldest()) this.leave(r);
  }

  /** A name seen once (hash h, the loaded name) at t from ip; it takes the place of the name that
   *  arrived `newcomers` names before it, if that one is still there. */
  private welcome(h: number, t: number, ip: string): void {
    const nc = this.newcomers;
    const r = nc.next();
    if (nc.holds(r)) {
      this.leave(r);
      this.evictedCount++;
    }
    nc.put(r, h, t, ip);
    this.names.keep(r);
    this.index.insert(h, r);
  }

  /** A name seen once leaves: its place, its name, its index entry. */
  private leave(r: number): void {
    this.index.remove(this.newcomers.hash(r), r);
    this.names.free(r);
    this.newcomers.release(r);
  }

  /** A new tracked account for the loaded name (hash h), first failed at t from ip; at the cap,
   *  the least recently failed goes. */
  private track(h: number, t: number, ip: string): Entry {
    const r = this.order.size >= this.maxAccounts ? this.evictOldest() : this.take();
    const e = (this.entries[r] ??= new Entry(r, this.nums)).reset(h, t, ip);
    this.names.keep(r);
    this.index.insert(h, r);
    this.order.touch(r);
    return e;
  }

  /** The jail's failure windows no longer hold `record`: its single failure goes with it. */
  addressGone(record: number): void {
    this.addresses.gone(record);
  }

  /** Drops the least recently failed account; returns its number for the caller to reuse. */
  private evictOldest(): number {
    const r = this.order.oldest();
    if (r === NONE) return this.take();
    this.drop(this.entries[r]!);
    this.evictedCount++;
    return r;
  }

  /** A free account number: a released one, else a new one. */
  private take(): number {
    const r = this.free.pop();
    if (r !== undefined) return r;
    this.entries.push(undefined);
    return this.entries.length - 1;
  }

  /** A dropped account's number back for reuse (its entry kept for the next one while few are free). */
  private release(r: number): void {
    if (this.free.length >= SPARE_MAX) this.entries[r] = undefined;
    this.free.push(r);
  }

  private drop(e: Entry): void {
    this.addresses.dropped(e); // its pairs; its single failures kept with addresses are stale from now on
    this.index.remove(e.hash, e.id);
    this.order.remove(e.id);
    this.names.free(e.id);
    if (e.inHot) this.hot.delete(e.name); // most dropped accounts were never attacked: no lookup
    e.inHot = false;
    e.name = '';
  }
}
