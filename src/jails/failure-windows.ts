// Per-address sliding windows with bounded memory.
//
// The ban falls on the maxretry-th failure within findtime (inclusive, as fail2ban counts a failure
// exactly findtime old), never on failures spread wider: each address keeps the times of its newest
// failures (at most maxretry of them, sorted), not fail2ban's first/last/count.
//
// Memory: one Map entry per tracked address, in least-recently-seen order (a hit is delete + set,
// which moves it to the end); past `cap` entries the oldest is evicted. Each entry is a small
// record holding its first time as a double field and, only once the address has failed twice, an
// array of times. Records are reused: the one evicted (or deleted) takes the next new address, so a
// botnet spray allocates nothing per failure in the steady state (a bare number as a Map value
// would be a fresh heap number each time, and each record a short-lived old-space object: the
// garbage collector's work was a third of the spray's time). About 100 bytes per tracked address
// in all, key string included (bench/jail.bench.ts measures it).

/** One tracked address: its failure times (oldest first), `one` while there is only one. */
class Window {
  key = '';
  one = 0;
  many: number[] | null = null;
}

/** Records kept for reuse after a delete (evictions reuse theirs at once). */
const SPARE_MAX = 1024;

export class FailureWindows {
  private readonly map = new Map<string, Window>();
  private readonly spare: Window[] = [];
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
    const w = this.map.get(ip);
    if (w === undefined) {
      if (this.maxretry <= 1) return 1;
      const fresh = this.map.size >= this.cap ? this.evictOldest() : (this.spare.pop() ?? new Window());
      fresh.key = ip;
      fresh.one = t;
      fresh.many = null;
      this.map.set(ip, fresh);
      return 1;
    }
    this.map.delete(ip);
    this.map.set(ip, w);
    const times = w.many ?? [w.one];
    // insert in order: events from two sources (log, AMI) may arrive slightly out of order
    let i = times.length;
    while (i > 0 && times[i - 1]! > t) i--;
    times.splice(i, 0, t);
    const lower = times[times.length - 1]! - this.findtime;
    let drop = 0;
    while (drop < times.length && (times[drop]! < lower || times.length - drop > this.maxretry)) drop++;
    if (drop > 0) times.splice(0, drop);
    if (times.length === 1) {
      w.one = times[0]!;
      w.many = null;
    } else w.many = times;
    return times.length;
  }

  delete(ip: string): void {
    const w = this.map.get(ip);
    if (w === undefined) return;
    this.map.delete(ip);
    this.release(w);
  }

  /** The failure times of ip, oldest first (empty when untracked): what the store keeps. */
  times(ip: string): number[] {
    const w = this.map.get(ip);
    return w === undefined ? [] : w.many === null ? [w.one] : w.many.slice();
  }

  /** Failures of ip inside its window (0 when untracked). */
  count(ip: string): number {
    const w = this.map.get(ip);
    return w === undefined ? 0 : w.many === null ? 1 : w.many.length;
  }

  /** Failures of ip at or after `lower` (a login's look back: the compromise alarm). */
  countSince(ip: string, lower: number): number {
    const w = this.map.get(ip);
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
    for (const w of this.map.values()) {
      if (newest(w) >= lower) break;
      this.map.delete(w.key);
      this.release(w);
      n++;
    }
    return n;
  }

  /** Addresses with at least one failure inside findtime of `now` (fail2ban's "Currently failed"). */
  currentlyFailed(now: number): number {
    const lower = now - this.findtime;
    let n = 0;
    for (const w of this.map.values()) if (newest(w) >= lower) n++;
    return n;
  }

  private release(w: Window): void {
    w.many = null;
    w.key = '';
    if (this.spare.length < SPARE_MAX) this.spare.push(w);
  }

  // One live iterator walks the map from its oldest entry on. A fresh map.values().next() per
  // eviction would rescan every deleted slot at the front of V8's ordered table (quadratic: 15,000
  // failures/s at the default cap); a live iterator resumes where it stopped, sees entries moved to
  // the end by delete + set again later (their new place in the order), and never visits deleted ones.
  private evictIter: IterableIterator<Window> | null = null;

  /** Drops the least recently seen address; returns its record for the caller to reuse. */
  private evictOldest(): Window {
    let next = this.evictIter?.next();
    if (next === undefined || next.done === true) {
      this.evictIter = this.map.values();
      next = this.evictIter.next();
    }
    if (next.done === true) return new Window(); // cap ≥ 1 and the map is full: not reached
    const w = next.value;
    this.map.delete(w.key);
    this.evictedCount++;
    w.many = null;
    return w;
  }
}

function newest(w: Window): number {
  return w.many === null ? w.one : w.many[w.many.length - 1]!;
}
