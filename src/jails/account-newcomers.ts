// The names the account windows (account-windows.ts) have seen once: one failure named each, and
// no other since. Such a name is not yet a tracked account (an Entry, a place in the least-recently
// -failed order): only its hash, its failure's time and address are kept here, in a ring of `cap`
// places that the names take in the order they arrive. A name seen once lasts until `cap` more
// names have arrived after it (the ring has come round to its place), its failure leaves the
// window (prune), or a second failure names it: then it becomes a tracked account that carries
// the first failure and its address along. Its name's bytes and its entry in the index are the
// account windows', under a number of its own (base + its place).
//
// Why: a spray of names each tried once (the attacker's cheapest flood) cost each failure a whole
// account: an entry reset, two moves in the least-recently-failed order, and the eviction of the
// least recently failed account, which could be one under a slow distributed attack. Here such a
// name costs a few writes in arrays, in the order the names come, and pushes out only a name seen
// once: a tracked account (two failures or more) is pushed out only by another one
// (docs/beyond-one-address.md, "accountretry"). A ring by arrival, not the exact order of the
// names held (recency-ring.ts): the names promoted leave holes that the ring passes over when it
// comes round; in the spray the exact order cost about 7 % more time per failure
// (docs/benchmarks.md, twenty-second session).

import { grownFloat64, grownInt32 } from './grown.js';

const NONE = -1;
const MIN_PLACES = 64;
/** The hash of a free place (hashes are 30-bit, never negative). */
const FREE = -1;

export class AccountNewcomers {
  /** Per place: the name's hash (FREE: none), its failure's time, its address (grown as places
   *  are first taken, up to cap: a jail that sees few names holds little). */
  private hashes = new Int32Array(MIN_PLACES).fill(FREE);
  private times = new Float64Array(MIN_PLACES);
  private readonly ips: (string | null)[] = [];
  /** The places from `head` (the oldest arrival that may still hold a name), `span` of them, in
   *  arrival order; the next arrival takes place (head + span) mod cap. */
  private head = 0;
  private span = 0;
  private count = 0;

  /** `base`: the number of place 0 (numbers base to base + cap - 1 are theirs); `cap`: places. */
  constructor(
    readonly base: number,
    private readonly cap: number,
  ) {
    if (!(cap >= 1)) throw new RangeError('the cap of names seen once must be at least 1');
  }

  /** Names held now. */
  get size(): number {
    return this.count;
  }

  /** True when number r is one of theirs. */
  owns(r: number): boolean {
    return r >= this.base;
  }

  /** The number of the place the next arrival takes. When the ring has come round, that place is
   *  the oldest arrival's: if it still holds a name (holds()), the caller lets it go (release()). */
  next(): number {
    if (this.span === this.cap) {
      const p = this.head;
      this.head = p + 1 === this.cap ? 0 : p + 1;
      this.span--;
      return this.base + p;
    }
    const p = this.head + this.span;
    return this.base + (p >= this.cap ? p - this.cap : p);
  }

  /** True when number r holds a name. */
  holds(r: number): boolean {
    const p = r - this.base;
    return p < this.hashes.length && this.hashes[p]! !== FREE;
  }

  /** Puts a name (its hash, failure time and address) at number r, the one next() gave. */
  put(r: number, hash: number, t: number, ip: string): void {
    const p = r - this.base;
    if (p >= this.hashes.length) this.grow(p);
    this.hashes[p] = hash;
    this.times[p] = t;
    this.ips[p] = ip;
    this.span++;
    this.count++;
  }

  hash(r: number): number {
    return this.hashes[r - this.base]!;
  }

  time(r: number): number {
    return this.times[r - this.base]!;
  }

  ip(r: number): string {
    return this.ips[r - this.base]!;
  }

  /** Frees number r (promoted, pruned or pushed out); the caller removes its name and index entry. */
  release(r: number): void {
    const p = r - this.base;
    if (this.hashes[p] === FREE) return;
    this.hashes[p] = FREE;
    this.ips[p] = null;
    this.count--;
  }

  /** The oldest name's number, or NONE (the free places before it are passed for good). */
  oldest(): number {
    while (this.span > 0 && this.hashes[this.head] === FREE) {
      this.head = this.head + 1 === this.cap ? 0 : this.head + 1;
      this.span--;
    }
    return this.span > 0 ? this.base + this.head : NONE;
  }

  private grow(p: number): void {
    const n = Math.min(this.cap, Math.max(this.hashes.length * 2, p + 1));
    this.hashes = grownInt32(this.hashes, n, FREE);
    this.times = grownFloat64(this.times, n);
  }

  /** The names' numbers, oldest first. */
  *walk(): Generator<number> {
    for (let i = 0; i < this.span; i++) {
      const p = this.head + i < this.cap ? this.head + i : this.head + i - this.cap;
      if (this.hashes[p] !== FREE) yield this.base + p;
    }
  }
}
