// Per-address sliding windows with bounded memory.
//
// The ban falls on the maxretry-th failure within findtime (inclusive, as fail2ban counts a failure
// exactly findtime old), never on failures spread wider: each address keeps the times of its newest
// failures (at most maxretry of them, sorted), not fail2ban's first/last/count.
//
// Memory: one Map entry per tracked address, in least-recently-seen order (a hit is delete + set,
// which moves it to the end); past `cap` entries the oldest is evicted. An address with one failure
// (the common case when a botnet sprays) stores a bare number, not an array: about 100 bytes per
// tracked address in all, key string included (bench/jail.bench.ts measures it).

export class FailureWindows {
  private readonly map = new Map<string, number | number[]>();
  private evictedCount = 0;

  constructor(
    private maxretry: number,
    private findtime: number,
    private readonly cap: number,
  ) {
    if (!(cap >= 1)) throw new RangeError('cap must be at least 1');
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
   */
  add(ip: string, t: number): number {
    const v = this.map.get(ip);
    if (v === undefined) {
      if (this.maxretry <= 1) return 1;
      if (this.map.size >= this.cap) this.evictOldest();
      this.map.set(ip, t);
      return 1;
    }
    this.map.delete(ip);
    const times = typeof v === 'number' ? [v] : v;
    // insert in order: events from two sources (log, AMI) may arrive slightly out of order
    let i = times.length;
    while (i > 0 && times[i - 1]! > t) i--;
    times.splice(i, 0, t);
    const lower = times[times.length - 1]! - this.findtime;
    let drop = 0;
    while (drop < times.length && (times[drop]! < lower || times.length - drop > this.maxretry)) drop++;
    if (drop > 0) times.splice(0, drop);
    this.map.set(ip, times.length === 1 ? times[0]! : times);
    return times.length;
  }

  delete(ip: string): void {
    this.map.delete(ip);
  }

  /** The failure times of ip, oldest first (empty when untracked): what the store keeps. */
  times(ip: string): number[] {
    const v = this.map.get(ip);
    return v === undefined ? [] : typeof v === 'number' ? [v] : v.slice();
  }

  /** Failures of ip inside its window (0 when untracked). */
  count(ip: string): number {
    const v = this.map.get(ip);
    return v === undefined ? 0 : typeof v === 'number' ? 1 : v.length;
  }

  /** Failures of ip at or after `lower` (a login's look back: the compromise alarm). */
  countSince(ip: string, lower: number): number {
    const v = this.map.get(ip);
    if (v === undefined) return 0;
    if (typeof v === 'number') return v >= lower ? 1 : 0;
    let n = 0;
    for (const t of v) if (t >= lower) n++;
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
    for (const [ip, v] of this.map) {
      if (newest(v) >= lower) break;
      this.map.delete(ip);
      n++;
    }
    return n;
  }

  /** Addresses with at least one failure inside findtime of `now` (fail2ban's "Currently failed"). */
  currentlyFailed(now: number): number {
    const lower = now - this.findtime;
    let n = 0;
    for (const v of this.map.values()) if (newest(v) >= lower) n++;
    return n;
  }

  // One live iterator walks the map from its oldest entry on. A fresh map.keys().next() per eviction
  // would rescan every deleted slot at the front of V8's ordered table (quadratic: 15,000
  // failures/s at the default cap); a live iterator resumes where it stopped, sees entries moved to
  // the end by delete + set again later (their new place in the order), and never visits deleted ones.
  private evictIter: IterableIterator<string> | null = null;

  private evictOldest(): void {
    let next = this.evictIter?.next();
    if (next === undefined || next.done === true) {
      this.evictIter = this.map.keys();
      next = this.evictIter.next();
    }
    if (next.done !== true) {
      this.map.delete(next.value);
      this.evictedCount++;
    }
  }
}

function newest(v: number | number[]): number {
  return typeof v === 'number' ? v : v[v.length - 1]!;
}
