// A hash table from strings to records for the jails' hot tables (the failure windows, the account
// windows): open addressing with linear probing in typed arrays, deletion by shifting the entries
// behind back (no tombstones), the load kept at or under one half. The caller hashes a key once
// (StringHasher, keyed by the jail's seed) and passes the hash to every call, and a record can keep
// its key's hash to be deleted without hashing it again: a spray of new addresses and account names
// costs one hash and a few array reads per table, where a Map's insert and the delete of the
// evicted entry cost several times that (docs/benchmarks.md, tenth session).

/** What hashes the keys: a StringHasher (a test may pass a weak one to make runs of collisions). */
export interface KeyHasher {
  hash(key: string): number;
}

const MIN_BITS = 4;
/** The hashes are 30-bit (string-hasher.ts); a slot's home is their top bits (masked: any other
 *  number still lands in the table, only less evenly). */
const HASH_BITS = 30;

export class StringTable<V> {
  private bits = MIN_BITS;
  /** Slots; a free one has keys[i] === undefined. */
  private keys: (string | undefined)[] = [];
  private vals: (V | undefined)[] = [];
  private hashes = new Int32Array(0);
  private count = 0;

  constructor(private readonly hasher: KeyHasher) {
    this.alloc(MIN_BITS);
  }

  get size(): number {
    return this.count;
  }

  hash(key: string): number {
    return this.hasher.hash(key);
  }

  /** The record of `key` (h: its hash), or undefined. */
  get(key: string, h: number): V | undefined {
    const i = this.slotOf(key, h);
    return i < 0 ? undefined : this.vals[i];
  }

  /** Sets the record of `key` (h: its hash), a new entry or in place of the one there. */
  set(key: string, h: number, v: V): void {
    const i = this.slotOf(key, h);
    if (i >= 0) {
      this.vals[i] = v;
      return;
    }
    const free = ~i;
    this.keys[free] = key;
    this.hashes[free] = h;
    this.vals[free] = v;
    if (++this.count * 2 > this.keys.length) this.grow();
  }

  /** Removes `key` (h: its hash); false when it was not there. */
  delete(key: string, h: number): boolean {
    let i = this.slotOf(key, h);
    if (i < 0) return false;
    const keys = this.keys;
    const hashes = this.hashes;
    const vals = this.vals;
    const shift = HASH_BITS - this.bits;
    const mask = (1 << this.bits) - 1;
    // shift back each entry of the run behind that may sit at i (its home is not between i and it)
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const k = keys[j];
      if (k === undefined) break;
      const home = (hashes[j]! >>> shift) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        keys[i] = k;
        hashes[i] = hashes[j]!;
        vals[i] = vals[j];
        i = j;
      }
    }
    keys[i] = undefined;
    vals[i] = undefined;
    this.count--;
    return true;
  }

  /** The slot holding `key`, or ~(the free slot that ends its run, where it would go). */
  private slotOf(key: string, h: number): number {
    const keys = this.keys;
    const hashes = this.hashes;
    const mask = (1 << this.bits) - 1;
    for (let i = (h >>> (HASH_BITS - this.bits)) & mask; ; i = (i + 1) & mask) {
      const k = keys[i];
      if (k === undefined) return ~i;
      if (hashes[i] === h && k === key) return i;
    }
  }

  private alloc(bits: number): void {
    this.bits = bits;
    const n = 1 << bits;
    this.keys = new Array<string | undefined>(n).fill(undefined);
    this.vals = new Array<V | undefined>(n).fill(undefined);
    this.hashes = new Int32Array(n);
  }

  private grow(): void {
    const { keys, vals, hashes } = this;
    this.alloc(this.bits + 1);
    const mask = (1 << this.bits) - 1;
    const shift = HASH_BITS - this.bits;
    for (let j = 0; j < keys.length; j++) {
      const k = keys[j];
      if (k === undefined) continue;
      const h = hashes[j]!;
      let i = (h >>> shift) & mask;
      while (this.keys[i] !== undefined) i = (i + 1) & mask;
      this.keys[i] = k;
      this.hashes[i] = h;
      this.vals[i] = vals[j];
    }
  }
}
