// Least-recently-used order of numbered records (the failure windows' addresses, the account
// windows' accounts), exact, kept as a ring of record numbers with lazy deletion. Each use appends
// the record's number at the tail and notes that place as the record's own; a place that is no
// longer its record's own is stale, skipped when it reaches the head and dropped when the ring is
// compacted (when it fills, at most every other append, in order: amortized O(1)).
//
// Why not a linked list through the records (as before): the eviction of the least recently used,
// at every failure of a spray, read the head record and wrote its neighbour, two records far apart
// in memory. Here the head moves along one typed array, and the records evicted in a spray come in
// the order they were used: the next ones are already in the cache (docs/benchmarks.md,
// eighteenth session).

import { grownInt32 } from './grown.js';

const NONE = -1;
const MIN_LENGTH = 16;
/** Places are renumbered from 0 before they leave the small integers (a compaction). */
const MAX_PLACE = 2 ** 30;

export class RecencyRing {
  /** Per place p (from head to tail), the record at ring[p & mask]. */
  private ring = new Int32Array(MIN_LENGTH);
  private mask = MIN_LENGTH - 1;
  /** Per record, its place in the ring, or -1 when it is not in the order. */
  private place = new Int32Array(MIN_LENGTH).fill(NONE);
  private headAt = 0;
  private tailAt = 0;
  private count = 0;

  /** `maxPlace`: places are renumbered from 0 before they reach it (a test sets it low). */
  constructor(private readonly maxPlace = MAX_PLACE) {}

  /** The place the next touch takes (it stays under maxPlace). */
  get nextPlace(): number {
    return this.tailAt;
  }

  /** Records in the order. */
  get size(): number {
    return this.count;
  }

  /** Makes record r the most recently used (added when it was not in the order). */
  touch(r: number): void {
    if (r >= this.place.length) this.growPlaces(r);
    const at = this.place[r]!;
    if (at !== NONE && at === this.tailAt - 1) return; // already the newest
    if (at === NONE) this.count++;
    if (this.tailAt - this.headAt > this.mask || this.tailAt >= this.maxPlace) this.compact();
    this.ring[this.tailAt & this.mask] = r;
    this.place[r] = this.tailAt++;
  }

  /** Takes r out of the order (its place goes stale). */
  remove(r: number): void {
    if (r < this.place.length && this.place[r] !== NONE) {
      this.place[r] = NONE;
      this.count--;
    }
  }

  /** The least recently used record, or -1 when the order is empty. */
  oldest(): number {
    const ring = this.ring;
    for (; this.headAt < this.tailAt; this.headAt++) {
      const r = ring[this.headAt & this.mask]!;
      if (this.place[r] === this.headAt) return r;
    }
    return NONE;
  }

  /** The records, least recently used first (read-only: no touch() while walking). */
  *walk(): Generator<number> {
    for (let p = this.headAt; p < this.tailAt; p++) {
      const r = this.ring[p & this.mask]!;
      if (this.place[r] === p) yield r;
    }
  }

  /** Drops the stale places, renumbering the live ones from 0; doubles the ring when over half are live. */
  private compact(): void {
    const length = this.count * 2 > this.ring.length ? this.ring.length * 2 : this.ring.length;
    const ring = new Int32Array(length);
    let w = 0;
    for (let p = this.headAt; p < this.tailAt; p++) {
      const r = this.ring[p & this.mask]!;
      if (this.place[r] !== p) continue;
      ring[w] = r;
      this.place[r] = w++;
    }
    this.ring = ring;
    this.mask = length - 1;
    this.headAt = 0;
    this.tailAt = w;
  }

  private growPlaces(r: number): void {
    let n = this.place.length * 2;
    while (n <= r) n *= 2;
    this.place = grownInt32(this.place, n, NONE);
  }
}
