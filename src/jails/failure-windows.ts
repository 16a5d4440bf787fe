// Per-address sliding windows with bounded memory.
//
// The ban falls on the maxretry-th failure within findtime (inclusive, as fail2ban counts a failure
// exactly findtime old), never on failures spread wider: each address keeps the times of its newest
// failures (at most maxretry of them, sorted), not fail2ban's first/last/count.
//
// Memory: one table entry per tracked address (string-table.ts: the jail's own hash table, keyed by
// its seed); past `cap` entries the least recently seen is evicted. The order lives in the records
// themselves (a doubly linked list, least recently seen at the head): a failure of a tracked address
// is one lookup and a few pointer moves. A record keeps its address's hash, so the evicted one
// leaves the table without hashing its address again. Each record holds its first time as a
// double field and, only once the address has failed twice, an array of times. Records are reused:
// the one evicted (or deleted) takes the next new address, so a botnet spray allocates nothing per
// failure in the steady state. About 180 bytes per tracked address in all, key string included
// (bench/jail.bench.ts measures it).
//
// Changes for the store (the addresses whose window changed since the last takeChanges()) are a
// place in one list kept on the record, in the order they first changed: no Set operation per failure.
// A changed record that is evicted, deleted or pruned before it is taken leaves its address in the
// list, reported with no times (the store drops it), as any untracked address is.

import { RecencyList } from './recency-list.js';
import { randomSeed, StringHasher } from './string-hasher.js';
import { StringTable } from './string-table.js';

/** One tracked address: its failure times (oldest first), `one` while there is only one. */
class Window {
  key = '';
  /** The key's hash in FailureWindows.map. */
  hash = 0;
  one = 0;
  many: number[] | null = null;
  /** Neighbours in least-recently-seen order (prev: seen earlier). */
  prev: Window | null = null;
  next: Window | null = null;
  /** Its index in FailureWindows.changes while listed there (changed since the last takeChanges()), else -1:
   *  the record's place, which its address takes when the record goes. */
  at = -1;
}

/** Records kept for reuse after a delete (evictions reuse theirs at once). */
const SPARE_MAX = 1024;

/** A window changed since the last takeChanges() (no times: no longer tracked). */
export interface WindowChange {
  readonly ip: string;
  readonly times: number[];
}

export class FailureWindows {
  private readonly map: StringTable<Window>;
  /** Least recently seen first. */
  private readonly order = new RecencyList<Window>();
  private readonly spare: Window[] = [];
  /** True while the order (least recently seen first) is also the order of the newest failures: then the stale windows are all at the head. */
  private inTimeOrder = true;
  private evictedCount = 0;
  /** Changed since the last takeChanges(), in the order of their first change: a tracked record, or the address of one that went. */
  private changes: (Window | string)[] = [];
  private changesHaveAddresses = false;
  /** Where add() orders an address's times before they are kept (never kept itself). */
  private readonly scratch: number[] = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];

  constructor(
    private maxretry: number,
    private findtime: number,
    private readonly cap: number,
    hasher: StringHasher = new StringHasher(randomSeed()),
  ) {
    if (!(cap >= 1)) throw new RangeError('cap must be at least 1');
    this.map = new StringTable(hasher);
  }

  /** New limits (`set <jail> maxretry|findtime` at runtime): the next add() counts with them. */
  setLimits(maxretry: number, findtime: number): void {
    this.maxretry = maxretry;
    this.findtime = findtime;
  }

  get size(): number {
    return this.map.size;
  }

  get evicted(): number {
    return this.evictedCount;
  }

  /**
   * Records a failure of `ip` at event time `t`. Returns the failures of ip now inside the window
   * ending at its newest failure; when that reaches maxretry the caller bans and calls delete().
   * `changed` (default): report ip at the next takeChanges(); restoring from the store does not.
   */
  add(ip: string, t: number, changed = true): number {
    const h = this.map.hash(ip);
    const w = this.map.get(ip, h);
    if (w === undefined) {
      if (this.maxretry <= 1) {
        if (changed) this.markAddress(ip);
        return 1;
      }
      const fresh = this.map.size >= this.cap ? this.evictOldest() : (this.spare.pop() ?? new Window());
      fresh.key = ip;
      fresh.hash = h;
      fresh.one = t;
      fresh.many = null;
      this.map.set(ip, h, fresh);
      this.order.push(fresh);
      this.checkOrder(fresh);
      if (changed) this.markRecord(fresh);
      return 1;
    }
    if (w !== this.order.tail) {
      this.order.remove(w);
      this.order.push(w);
    }
    if (changed && w.at < 0) this.markRecord(w);
    // the new times are made in a scratch array, then kept in an array of exactly their number: an
    // array grown by push() keeps room for 17 or more (152 bytes for two times, at 100,000 windows 10 MB)
    const times = this.scratch;
    let n = 0;
    if (w.many === null) times[n++] = w.one;
    else for (const x of w.many) times[n++] = x;
    // insert in order: events from two sources (log, AMI) may arrive slightly out of order
    let i = n;
    for (; i > 0 && times[i - 1]! > t; i--) times[i] = times[i - 1]!;
    times[i] = t;
    n++;
    const lower = times[n - 1]! - this.findtime;
    let drop = 0;
    while (drop < n && (times[drop]! < lower || n - drop > this.maxretry)) drop++;
    if (n - drop === 1) {
      w.one = times[drop]!;
      w.many = null;
    } else w.many = times.slice(drop, n);
    n -= drop;
    this.checkOrder(w);
    return n;
  }

  /** Notes when `w`, just put at the tail, fails before the one ahead of it: the order is no longer the newest failures' order. */
  private checkOrder(w: Window): void {
    if (this.inTimeOrder && w.prev !== null && newest(w.prev) > newest(w)) this.inTimeOrder = false;
  }

  /** Forgets ip's window; false when none was tracked. */
  delete(ip: string): boolean {
    const w = this.find(ip);
    if (w === undefined) return false;
    this.remove(w);
    this.release(w);
    return true;
  }

  /** Reports ip at the next takeChanges() (a ban ended its window, a stored row was dropped). */
  markChanged(ip: string): void {
    const w = this.find(ip);
    if (w === undefined) this.markAddress(ip);
    else if (w.at < 0) this.markRecord(w);
  }

  /** The windows changed since the last call, each once, in the order they first changed (what the store saves). */
  takeChanges(): WindowChange[] {
    const list = this.changes;
    if (list.length === 0) return [];
    this.changes = [];
    const out: WindowChange[] = [];
    if (!this.changesHaveAddresses) {
      for (const x of list as Window[]) {
        x.at = -1;
        out.push({ ip: x.key, times: timesOf(x) });
      }
      return out;
    }
    // an address may be listed more than once (changed, evicted, back again): its first place counts
    this.changesHaveAddresses = false;
    const seen = new Set<string>();
    for (const x of list) {
      const ip = typeof x === 'string' ? x : x.key;
      if (typeof x !== 'string') x.at = -1;
      if (seen.has(ip)) continue;
      seen.add(ip);
      out.push({ ip, times: this.times(ip) });
    }
    return out;
  }

  /** The failure times of ip, oldest first (empty when untracked): what the store keeps. */
  times(ip: string): number[] {
    const w = this.find(ip);
    return w === undefined ? [] : timesOf(w);
  }

  /** Failures of ip inside its window (0 when untracked). */
  count(ip: string): number {
    const w = this.find(ip);
    return w === undefined ? 0 : w.many === null ? 1 : w.many.length;
  }

  /** Failures of ip at or after `lower` (a login's look back: the compromise alarm). */
  countSince(ip: string, lower: number): number {
    const w = this.find(ip);
    if (w === undefined) return 0;
    if (w.many === null) return w.one >= lower ? 1 : 0;
    let n = 0;
    for (const t of w.many) if (t >= lower) n++;
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
    for (let w = this.order.head; w !== null && newest(w) < lower; w = this.order.head) {
      this.remove(w);
      this.release(w);
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
      for (let w = this.order.head; w !== null && newest(w) < lower; w = w.next) stale++;
      return this.map.size - stale;
    }
    let n = 0;
    let ordered = true;
    for (let w = this.order.head; w !== null; w = w.next) {
      if (newest(w) >= lower) n++;
      if (w.prev !== null && newest(w.prev) > newest(w)) ordered = false;
    }
    this.inTimeOrder = ordered; // in order again once the out-of-order ones have moved on or gone
    return n;
  }

  private find(ip: string): Window | undefined {
    return this.map.get(ip, this.map.hash(ip));
  }

  private markRecord(w: Window): void {
    w.at = this.changes.length;
    this.changes.push(w);
  }

  private markAddress(ip: string): void {
    this.changes.push(ip);
    this.changesHaveAddresses = true;
  }

  /** Out of the map and the order; a changed record leaves its address in its place in the changes. */
  private remove(w: Window): void {
    this.map.delete(w.key, w.hash);
    this.order.remove(w);
    if (w.at >= 0) {
      this.changes[w.at] = w.key;
      this.changesHaveAddresses = true;
      w.at = -1;
    }
  }

  private release(w: Window): void {
    w.many = null;
    w.key = '';
    if (this.spare.length < SPARE_MAX) this.spare.push(w);
  }

  /** Drops the least recently seen address; returns its record for the caller to reuse. */
  private evictOldest(): Window {
    const w = this.order.head;
    if (w === null) return new Window(); // cap ≥ 1 and the map is full: not reached
    this.remove(w);
    this.evictedCount++;
    w.many = null;
    return w;
  }
}

function newest(w: Window): number {
  return w.many === null ? w.one : w.many[w.many.length - 1]!;
}

function timesOf(w: Window): number[] {
  return w.many === null ? [w.one] : w.many.slice();
}
