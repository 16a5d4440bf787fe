// Per-address sliding windows with bounded memory.
//
// The ban falls on the maxretry-th failure within findtime (inclusive, as fail2ban counts a failure
// exactly findtime old), never on failures spread wider: each address keeps the times of its newest
// failures (at most maxretry of them, sorted), not fail2ban's first/last/count.
//
// Memory: one numbered record per tracked address, its fields in arrays by record number (the
// address, its hash, its first time, its other times once it has failed twice, its place in the
// changes); past `cap` records the least recently seen is evicted and its number goes to the next
// new address, so a botnet spray allocates nothing per failure in the steady state. The index
// (key-index.ts: the jail's own hash table, keyed by its seed) maps an address to its number; the
// order (recency-ring.ts) keeps the numbers least recently seen first. A failure of a new address in
// a spray is one probe of the index, the removal of the evicted number (by its kept hash, without
// reading its address) and a few writes in arrays read in order (docs/benchmarks.md, eighteenth
// session). About 180 bytes per tracked address in all, address string included
// (bench/jail.bench.ts measures it).
//
// Changes for the store (the addresses whose window changed since the last takeChanges()) are a
// place in one list kept per record, in the order they first changed: no Set operation per failure.
// A changed record that is evicted, deleted or pruned before it is taken leaves its address in the
// list, reported with no times (the store drops it), as any untracked address is.

import { grownFloat64, grownInt32 } from './grown.js';
import { KeyIndex, type RecordKeys } from './key-index.js';
import { RecencyRing } from './recency-ring.js';
import { randomSeed, StringHasher } from './string-hasher.js';

const NONE = -1;
/** Records made room for at first; the arrays double up to the cap (and never shrink). */
const MIN_RECORDS = 64;

/** A window changed since the last takeChanges() (no times: no longer tracked). */
export interface WindowChange {
  readonly ip: string;
  readonly times: number[];
}

/** Told of each record that goes (evicted, deleted, pruned): what the owner keeps by record number goes with it. */
export interface RecordsGone {
  gone(record: number): void;
}

/** The address a live record holds, and its hash (what an owner keeping things by record number
 *  needs to turn them into entries of its own). */
export interface RecordAddresses {
  addressOf(record: number): string;
  hashOf(record: number): number;
}

export class FailureWindows implements RecordAddresses {
  private readonly index: KeyIndex;
  /** Least recently seen first. */
  private readonly order = new RecencyRing();
  /** Per record: its address ('' when free), its hash, its first time, its times once there are two
   *  (oldest first), its index in `changes` while listed there (else -1). */
  private readonly keys: string[] = [];
  private hashes = new Int32Array(0);
  private ones = new Float64Array(0);
  private manys: (number[] | null)[] = [];
  private ats = new Int32Array(0);
  /** Compares a record's address with the one looked up (the index asks only on a hash match). */
  private readonly lookup: RecordKeys & { wanted: string } = {
    wanted: '',
    same: (r: number): boolean => this.keys[r] === this.lookup.wanted,
  };
  /** Record numbers handed out so far; the free ones below it are on `free`. */
  private top = 0;
  private readonly free: number[] = [];
  /** True while the order (least recently seen first) is also the order of the newest failures: then the stale windows are all at the head. */
  private inTimeOrder = true;
  /** The newest failure of the record last made the most recently seen (while inTimeOrder, the latest of all). */
  private lastNewest = -Infinity;
  private evictedCount = 0;
  /** Changed since the last takeChanges(), in the order of their first change: a tracked record's number, or the address of one that went. */
  private changes: (number | string)[] = [];
  private changesHaveAddresses = false;
  /** Where add() orders an address's times before they are kept (never kept itself). */
  private readonly scratch: number[] = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
  /** The record of the address last added (NONE when it was not tracked: maxretry 1). */
  private last = NONE;

  constructor(
    private maxretry: number,
    private findtime: number,
    private readonly cap: number,
    hasher: StringHasher = new StringHasher(randomSeed()),
    private readonly listener: RecordsGone | null = null,
  ) {
    if (!(cap >= 1)) throw new RangeError('cap must be at least 1');
    this.index = new KeyIndex(hasher);
    this.resize(Math.min(cap, MIN_RECORDS));
  }

  /** New limits (`set <jail> maxretry|findtime` at runtime): the next add() counts with them. */
  setLimits(maxretry: number, findtime: number): void {
    this.maxretry = maxretry;
    this.findtime = findtime;
  }

  get size(): number {
    return this.index.size;
  }

  get evicted(): number {
    return this.evictedCount;
  }

  /** The record number of the address last given to add() while it stays tracked (-1 when it was
   *  not tracked); the listener hears when that record goes. */
  get lastRecord(): number {
    return this.last;
  }

  addressOf(record: number): string {
    return this.keys[record]!;
  }

  hashOf(record: number): number {
    return this.hashes[record]!;
  }

  /**
   * Records a failure of `ip` at event time `t`. Returns the failures of ip now inside the window
   * ending at its newest failure; when that reaches maxretry the caller bans and calls delete().
   * `changed` (default): report ip at the next takeChanges(); restoring from the store does not.
   * `h`: ip's hash, when the caller has it (the jail hashes an address once for all its tables).
   */
  add(ip: string, t: number, changed = true, h = this.index.hash(ip)): number {
    const r = this.find(ip, h);
    if (r === NONE) {
      if (this.maxretry <= 1) {
        if (changed) this.markAddress(ip);
        this.last = NONE;
        return 1;
      }
      const fresh = this.index.size >= this.cap ? this.evictOldest() : this.take();
      this.keys[fresh] = ip;
      this.hashes[fresh] = h;
      this.ones[fresh] = t;
      this.manys[fresh] = null;
      this.index.insert(h, fresh);
      this.order.touch(fresh);
      this.last = fresh;
      this.checkOrder(t);
      if (changed) this.markRecord(fresh);
      return 1;
    }
    this.order.touch(r);
    this.last = r;
    if (changed && this.ats[r]! < 0) this.markRecord(r);
    // the new times are made in a scratch array, then kept in an array of exactly their number: an
    // array grown by push() keeps room for 17 or more (152 bytes for two times, at 100,000 windows 10 MB)
    const times = this.scratch;
    let n = 0;
    const many = this.manys[r]!;
    if (many === null) times[n++] = this.ones[r]!;
    else for (const x of many) times[n++] = x;
    // insert in order: events from two sources (log, AMI) may arrive slightly out of order
    let i = n;
    for (; i > 0 && times[i - 1]! > t; i--) times[i] = times[i - 1]!;
    times[i] = t;
    n++;
    const lower = times[n - 1]! - this.findtime;
    let drop = 0;
    while (drop < n && (times[drop]! < lower || n - drop > this.maxretry)) drop++;
    if (n - drop === 1) {
      this.ones[r] = times[drop]!;
      this.manys[r] = null;
    } else this.manys[r] = times.slice(drop, n);
    n -= drop;
    this.checkOrder(this.newest(r));
    return n;
  }

  /** Notes when the record just made the most recently seen failed before the one made so ahead of
   *  it: the order is no longer the newest failures' order (conservative: it may be set after a
   *  record that has since gone). */
  private checkOrder(newest: number): void {
    if (this.inTimeOrder && newest < this.lastNewest) this.inTimeOrder = false;
    this.lastNewest = newest;
  }

  /** Forgets ip's window; false when none was tracked. */
  delete(ip: string): boolean {
    const r = this.find(ip);
    if (r === NONE) return false;
    this.remove(r);
    this.release(r);
    return true;
  }

  /** Reports ip at the next takeChanges() (a ban ended its window, a stored row was dropped). */
  markChanged(ip: string): void {
    const r = this.find(ip);
    if (r === NONE) this.markAddress(ip);
    else if (this.ats[r]! < 0) this.markRecord(r);
  }

  /** The windows changed since the last call, each once, in the order they first changed (what the store saves). */
  takeChanges(): WindowChange[] {
    const list = this.changes;
    if (list.length === 0) return [];
    this.changes = [];
    const out: WindowChange[] = [];
    if (!this.changesHaveAddresses) {
      for (const r of list as number[]) {
        this.ats[r] = -1;
        out.push({ ip: this.keys[r]!, times: this.timesOf(r) });
      }
      return out;
    }
    // an address may be listed more than once (changed, evicted, back again): its first place counts
    this.changesHaveAddresses = false;
    const seen = new Set<string>();
    for (const x of list) {
      let ip: string;
      if (typeof x === 'string') ip = x;
      else {
        ip = this.keys[x]!;
        this.ats[x] = -1;
      }
      if (seen.has(ip)) continue;
      seen.add(ip);
      out.push({ ip, times: this.times(ip) });
    }
    return out;
  }

  /** The failure times of ip, oldest first (empty when untracked): what the store keeps. */
  times(ip: string): number[] {
    const r = this.find(ip);
    return r === NONE ? [] : this.timesOf(r);
  }

  /** Failures of ip inside its window (0 when untracked). */
  count(ip: string): number {
    const r = this.find(ip);
    if (r === NONE) return 0;
    const many = this.manys[r]!;
    return many === null ? 1 : many.length;
  }

  /** Failures of ip at or after `lower` (a login's look back: the compromise alarm). */
  countSince(ip: string, lower: number): number {
    const r = this.find(ip);
    if (r === NONE) return 0;
    const many = this.manys[r]!;
    if (many === null) return this.ones[r]! >= lower ? 1 : 0;
    let n = 0;
    for (const t of many) if (t >= lower) n++;
    return n;
  }

  /**
   * Forgets addresses whose newest failure left the window, from the least recently seen on, until
   * a fresh one: cheap enough for every tick. Stale entries behind a fresh one wait for the next
   * call or for eviction; they never count (add() measures the window from the newest failure).
   */
  prune(now: number): number {
    const lower = now - this.findtime;
    let n = 0;
    for (let r = this.order.oldest(); r !== NONE && this.newest(r) < lower; r = this.order.oldest()) {
      this.remove(r);
      this.release(r);
      n++;
    }
    return n;
  }

  /** Addresses with at least one failure inside findtime of `now` (fail2ban's "Currently failed"). */
  currentlyFailed(now: number): number {
    const lower = now - this.findtime;
    if (this.inTimeOrder) {
      // the stale ones are all at the head: count them, not the whole table (status during a flood)
      let stale = 0;
      for (const r of this.order.walk()) {
        if (this.newest(r) >= lower) break;
        stale++;
      }
      return this.index.size - stale;
    }
    let n = 0;
    let ordered = true;
    let before = -Infinity;
    for (const r of this.order.walk()) {
      const t = this.newest(r);
      if (t >= lower) n++;
      if (before > t) ordered = false;
      before = t;
    }
    // in order again once the out-of-order ones have moved on or gone
    this.inTimeOrder = ordered;
    this.lastNewest = before;
    return n;
  }

  private newest(r: number): number {
    const many = this.manys[r]!;
    return many === null ? this.ones[r]! : many[many.length - 1]!;
  }

  private timesOf(r: number): number[] {
    const many = this.manys[r]!;
    return many === null ? [this.ones[r]!] : many.slice();
  }

  private find(ip: string, h = this.index.hash(ip)): number {
    this.lookup.wanted = ip;
    return this.index.find(h, this.lookup);
  }

  private markRecord(r: number): void {
    this.ats[r] = this.changes.length;
    this.changes.push(r);
  }

  private markAddress(ip: string): void {
    this.changes.push(ip);
    this.changesHaveAddresses = true;
  }

  /** Out of the index and the order; a changed record leaves its address in its place in the changes. */
  private remove(r: number): void {
    this.listener?.gone(r);
    this.index.remove(this.hashes[r]!, r);
    this.order.remove(r);
    const at = this.ats[r]!;
    if (at >= 0) {
      this.changes[at] = this.keys[r]!;
      this.changesHaveAddresses = true;
      this.ats[r] = -1;
    }
  }

  /** A removed record's number back for reuse. */
  private release(r: number): void {
    this.manys[r] = null;
    this.keys[r] = '';
    this.free.push(r);
  }

  /** A free record number (a released one, else a new one). */
  private take(): number {
    const r = this.free.pop();
    if (r !== undefined) return r;
    if (this.top === this.hashes.length) this.resize(Math.min(this.cap, this.top * 2));
    return this.top++;
  }

  /** Drops the least recently seen address; returns its record for the caller to reuse. */
  private evictOldest(): number {
    const r = this.order.oldest();
    if (r === NONE) return this.take(); // cap ≥ 1 and the index is full: not reached
    this.remove(r);
    this.evictedCount++;
    return r;
  }

  /** Room for `n` records (they keep their numbers). */
  private resize(n: number): void {
    this.hashes = grownInt32(this.hashes, n);
    this.ones = grownFloat64(this.ones, n);
    this.ats = grownInt32(this.ats, n, -1);
    for (let r = this.keys.length; r < n; r++) {
      this.keys.push('');
      this.manys.push(null);
    }
  }
}
