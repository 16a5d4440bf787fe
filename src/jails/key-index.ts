// The index of the jails' hot tables (the failure windows, the account windows): from a key to the
// number of its record. Open addressing with linear probing in one typed array, a slot being two
// numbers side by side: its key's hash + 1 (0: the slot is free) and its record's number. The keys
// themselves stay with the caller (address strings in an array by record number, account names as
// bytes), who compares one only when a hash matches. Deletion shifts the entries behind back (no tombstones); the load stays at or under
// one half. The caller hashes a key once (StringHasher, keyed by the jail's seed) and passes the
// hash to every call, and keeps each record's hash, so that a record leaves the index by its hash
// and number without its key being read at all.
//
// Why: a spray of new addresses and account names costs each failure a probe that misses and the
// removal of the record evicted for it. With the hash and the number in one slot, each of those is
// one cache line (docs/benchmarks.md, eighteenth session); the table before kept the keys and
// records in a second array, a second line each time.

/** What hashes the keys: a StringHasher (a test may pass a weak one to make runs of collisions). */
export interface KeyHasher {
  hash(key: string): number;
}

/** Keys kept by record number that compare with the one looked for (findWith). */
export interface RecordKeys {
  same(r: number): boolean;
}

const MIN_BITS = 4;
/** The hashes are 30-bit (string-hasher.ts); a slot's home is their top bits (masked: any other
 *  number still lands in the table, only less evenly). */
const HASH_BITS = 30;
const HASH_MASK = 0x3fffffff;

export class KeyIndex {
  private bits = MIN_BITS;
  /** Per slot s: the hash + 1 at 2s (0: free), the record's number at 2s + 1. */
  private slots = new Int32Array(2 << MIN_BITS);
  private count = 0;

  constructor(private readonly hasher: KeyHasher) {}

  get size(): number {
    return this.count;
  }

  hash(key: string): number {
    return this.hasher.hash(key) & HASH_MASK;
  }

  /** The record whose key `keys.same(r)` says is the one looked for (h: its hash), or -1. Only a
   *  record whose hash matches is asked about. */
  find(h: number, keys: RecordKeys): number {
    const slots = this.slots;
    const mark = (h & HASH_MASK) + 1;
    const mask = (1 << this.bits) - 1;
    for (let i = ((mark - 1) >>> (HASH_BITS - this.bits)) & mask; ; i = (i + 1) & mask) {
      const m = slots[2 * i]!;
      if (m === 0) return -1;
      if (m === mark) {
        const r = slots[2 * i + 1]!;
        if (keys.same(r)) return r;
      }
    }
  }

  /** Adds record r under hash h (its key is not in the index: the caller found no record for it). */
  insert(h: number, r: number): void {
    if ((this.count + 1) * 2 > 1 << this.bits) this.grow();
    this.place(h, r);
    this.count++;
  }

  /** Removes record r, under hash h; false when it was not there. */
  remove(h: number, r: number): boolean {
    const slots = this.slots;
    const mark = (h & HASH_MASK) + 1;
    const mask = (1 << this.bits) - 1;
    const shift = HASH_BITS - this.bits;
    let i = ((mark - 1) >>> shift) & mask;
    for (; ; i = (i + 1) & mask) {
      const m = slots[2 * i]!;
      if (m === 0) return false;
      if (m === mark && slots[2 * i + 1] === r) break;
    }
    // shift back each entry of the run behind that may sit at i (its home is not between i and it)
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const m = slots[2 * j]!;
      if (m === 0) break;
      const home = ((m - 1) >>> shift) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        slots[2 * i] = m;
        slots[2 * i + 1] = slots[2 * j + 1]!;
        i = j;
      }
    }
    slots[2 * i] = 0;
    this.count--;
    return true;
  }

  private place(h: number, r: number): void {
    const slots = this.slots;
    const mark = (h & HASH_MASK) + 1;
    const mask = (1 << this.bits) - 1;
    let i = ((mark - 1) >>> (HASH_BITS - this.bits)) & mask;
    while (slots[2 * i] !== 0) i = (i + 1) & mask;
    slots[2 * i] = mark;
    slots[2 * i + 1] = r;
  }

  private grow(): void {
    const old = this.slots;
    this.bits++;
    this.slots = new Int32Array(2 << this.bits);
    for (let j = 0; j < old.length; j += 2) if (old[j] !== 0) this.place(old[j]! - 1, old[j + 1]!);
  }
}
