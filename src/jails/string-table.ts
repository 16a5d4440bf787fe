// A hash table from strings to records for the jails' hot tables (the failure windows, the account
// windows): open addressing with linear probing in typed arrays, deletion by shifting the entries
// behind back (no tombstones), the load kept at or under one half. The caller hashes a key once
// (StringHasher, keyed by the jail's seed) and passes the hash to every call, and a record can keep
// its key's hash to be deleted without hashing it again: a spray of new addresses and account names
// costs one hash and a few array reads per table, where a Map's insert and the delete of the
// evicted entry cost several times that (docs/benchmarks.md, tenth session). A slot is a hash mark
// in one typed array and its key and record side by side in one array: the spray's probes mostly
// miss, and a miss reads the marks alone (docs/benchmarks.md, seventeenth session).

/** What hashes the keys: a StringHasher (a test may pass a weak one to make runs of collisions). */
export interface KeyHasher {
  hash(key: string): number;
}

const MIN_BITS = 4;
/** The hashes are 30-bit (string-hasher.ts); a slot's home is their top bits (masked: any other
 *  number still lands in the table, only less evenly). */
const HASH_BITS = 30;
const HASH_MASK = 0x3fffffff;

export class StringTable<V> {
  private bits = MIN_BITS;
  /** Per slot, its key's hash + 1, 0 when the slot is free: a probe reads this array alone until a
   *  hash matches (a miss, the spray's common case, touches one array, not two). */
  private marks = new Int32Array(0);
  /** Per slot, its key at 2i and its record at 2i + 1: a hit reads one place, not two arrays. */
  private cells: (string | V | undefined)[] = [];
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
    return i < 0 ? undefined : (this.cells[2 * i + 1] as V);
  }

  /** Sets the record of `key` (h: its hash), a new entry or in place of the one there. */
  set(key: string, h: number, v: V): void {
    const i = this.slotOf(key, h);
    if (i >= 0) {
      this.cells[2 * i + 1] = v;
      return;
    }
    const free = ~i;
    this.marks[free] = (h & HASH_MASK) + 1;
    this.cells[2 * free] = key;
    this.cells[2 * free + 1] = v;
    if (++this.count * 2 > this.marks.length) this.grow();
  }

  /** Removes `key` (h: its hash); false when it was not there. */
  delete(key: string, h: number): boolean {
    let i = this.slotOf(key, h);
    if (i < 0) return false;
    const marks = this.marks;
    const cells = this.cells;
    const shift = HASH_BITS - this.bits;
    const mask = (1 << this.bits) - 1;
    // shift back each entry of the run behind that may sit at i (its home is not between i and it)
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const m = marks[j]!;
      if (m === 0) break;
      const home = ((m - 1) >>> shift) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        marks[i] = m;
        cells[2 * i] = cells[2 * j];
        cells[2 * i + 1] = cells[2 * j + 1];
        i = j;
      }
    }
    marks[i] = 0;
    cells[2 * i] = undefined;
    cells[2 * i + 1] = undefined;
    this.count--;
    return true;
  }

  /** The slot holding `key`, or ~(the free slot that ends its run, where it would go). */
  private slotOf(key: string, h: number): number {
    const marks = this.marks;
    const mark = (h & HASH_MASK) + 1;
    const mask = (1 << this.bits) - 1;
    for (let i = ((mark - 1) >>> (HASH_BITS - this.bits)) & mask; ; i = (i + 1) & mask) {
      const m = marks[i]!;
      if (m === 0) return ~i;
      if (m === mark && this.cells[2 * i] === key) return i;
    }
  }

  private alloc(bits: number): void {
    this.bits = bits;
    const n = 1 << bits;
    this.marks = new Int32Array(n);
    this.cells = new Array<string | V | undefined>(2 * n).fill(undefined);
  }

  private grow(): void {
    const { marks, cells } = this;
    this.alloc(this.bits + 1);
    const mask = (1 << this.bits) - 1;
    const shift = HASH_BITS - this.bits;
    for (let j = 0; j < marks.length; j++) {
      const m = marks[j]!;
      if (m === 0) continue;
      let i = ((m - 1) >>> shift) & mask;
      while (this.marks[i] !== 0) i = (i + 1) & mask;
      this.marks[i] = m;
      this.cells[2 * i] = cells[2 * j];
      this.cells[2 * i + 1] = cells[2 * j + 1];
    }
  }
}
