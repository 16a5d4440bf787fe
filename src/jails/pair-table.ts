// The (account, address) pairs of the account windows (account-windows.ts) past each account's
// first address: which addresses failed against which account, and when. Bounded by a cap on all
// pairs: past it, the least recently failed *pair* goes, never a whole account. (Evicting the
// least recently failed account, as before, pushed out accounts under attack in a scan of a few
// thousand extensions: 9,000 extensions from 1,000,000 addresses started 20,768 attacks, each
// account's attack over again; docs/beyond-one-address.md.)
//
// Kept in typed arrays indexed by a pair's number, not in a Map per account: a scan makes a new pair
// at nearly every failure and drops the oldest, and a pair in arrays is a few writes, no object.
// Each pair sits in two intrusive lists (the recency of all pairs, oldest first; its owner's pairs,
// oldest first) and in an open-addressing index keyed by its owner and address (the owner's key
// hash mixed with the address's, both from the jail's keyed StringHasher), compared by owner and
// address string. A pair's numbers sit side by side in one buffer, its references in one array,
// and the index keeps each pair's key beside its number: a scan's eviction and insert read a few
// cache lines, not one per array (docs/benchmarks.md, seventeenth session).

/** What owns pairs: an account entry. Its list of pairs lives in these fields. */
export interface PairOwner {
  /** The account name's hash (30 bits). */
  readonly hash: number;
  /** Its oldest and newest pair (-1: none), and how many it has. */
  pairHead: number;
  pairTail: number;
  pairCount: number;
}

/** A pair's failure times: one number while there is one, else the times oldest first. */
export type PairTimes = number | number[];

const NONE = -1;
const MIN_CAPACITY = 256;
/** The hashes are 30-bit (string-hasher.ts); an index slot's home is the top bits of the key. */
const HASH_BITS = 30;
const MIX = 0x9e3779b1;
/** A pair's numbers sit together, 32 bytes from pair × STRIDE in the 32-bit view (its first
 *  failure time is the double at pair × 4): the lists and the index touch one cache line per pair,
 *  not one per array. */
const STRIDE = 8;
const PREV = 2;
const NEXT = 3;
const OPREV = 4;
const ONEXT = 5;
const KEY = 6;
/** A pair's references sit together too: its owner, its address, its times once there are two. */
const REFS = 3;

export class PairTable<O extends PairOwner> {
  private capacity = 0;
  /** Per pair: owner at 3p, address at 3p + 1, times (an array, or null) at 3p + 2. */
  private refs: (O | string | number[] | null)[] = [];
  private nums = new Int32Array(0);
  private firsts = new Float64Array(0);
  /** All pairs, least recently failed first (linked through PREV / NEXT). The owner's pairs,
   *  least recently failed first, through OPREV / ONEXT. */
  private head = NONE;
  private tail = NONE;
  /** Free pair numbers, chained through NEXT. */
  private free = NONE;
  /** Pair numbers handed out so far (the free ones below it are on `free`). */
  private top = 0;
  private count = 0;
  private evictedCount = 0;
  /** The index: per slot, pair number + 1 at 2s (0 when the slot is free) and the pair's key at
   *  2s + 1, so that a probe rejects another pair without reading that pair. */
  private slots = new Int32Array(0);
  private bits = 0;

  constructor(private readonly max: number) {
    if (!(max >= 1)) throw new RangeError('the pair cap must be at least 1');
    this.resize(Math.min(MIN_CAPACITY, max));
  }

  get size(): number {
    return this.count;
  }

  /** Pairs pushed out by the cap so far. */
  get evicted(): number {
    return this.evictedCount;
  }

  /** The pair of (owner, ip), ih the address's hash; -1 when there is none. */
  find(owner: O, ip: string, ih: number): number {
    const key = keyOf(owner.hash, ih);
    const slots = this.slots;
    const mask = (1 << this.bits) - 1;
    for (let s = (key >>> (HASH_BITS - this.bits)) & mask; ; s = (s + 1) & mask) {
      const v = slots[2 * s]!;
      if (v === 0) return NONE;
      if (slots[2 * s + 1] === key) {
        const p = v - 1;
        if (this.refs[REFS * p] === owner && this.refs[REFS * p + 1] === ip) return p;
      }
    }
  }

  /** A new pair (not there yet) with one failure at t, the most recent of all and of its owner's.
   *  At the cap, the least recently failed pair goes first (maybe one of the same owner). */
  add(owner: O, ip: string, ih: number, t: number): number {
    if (this.count >= this.max) {
      this.remove(this.head);
      this.evictedCount++;
    }
    let p = this.free;
    if (p !== NONE) this.free = this.nums[STRIDE * p + NEXT]!;
    else {
      if (this.top === this.capacity) this.resize(Math.min(this.capacity * 2, this.max));
      p = this.top++;
    }
    const key = keyOf(owner.hash, ih);
    this.refs[REFS * p] = owner;
    this.refs[REFS * p + 1] = ip;
    this.refs[REFS * p + 2] = null;
    this.nums[STRIDE * p + KEY] = key;
    this.firsts[(STRIDE / 2) * p] = t;
    this.link(p, owner);
    this.place(p, key);
    this.count++;
    return p;
  }

  /** The pair failed again: the most recent of all and of its owner's. */
  touch(p: number): void {
    const owner = this.refs[REFS * p] as O;
    if (this.tail !== p) {
      this.unlinkAll(p);
      this.linkAll(p);
    }
    if (owner.pairTail !== p) {
      this.unlinkOwner(p, owner);
      this.linkOwner(p, owner);
    }
  }

  times(p: number): PairTimes {
    return (this.refs[REFS * p + 2] as number[] | null) ?? this.firsts[(STRIDE / 2) * p]!;
  }

  setTimes(p: number, v: PairTimes): void {
    if (typeof v === 'number') {
      this.firsts[(STRIDE / 2) * p] = v;
      this.refs[REFS * p + 2] = null;
    } else this.refs[REFS * p + 2] = v;
  }

  ip(p: number): string {
    return this.refs[REFS * p + 1] as string;
  }

  /** The owner's pair after p (-1 at its end): `for (let p = o.pairHead; p >= 0; p = t.after(p))`. */
  after(p: number): number {
    return this.nums[STRIDE * p + ONEXT]!;
  }

  /** Removes pair p from the lists and the index. */
  remove(p: number): void {
    const owner = this.refs[REFS * p] as O;
    this.unlinkAll(p);
    this.unlinkOwner(p, owner);
    owner.pairCount--;
    this.unplace(p);
    this.refs[REFS * p] = null;
    this.refs[REFS * p + 1] = null;
    this.refs[REFS * p + 2] = null;
    this.nums[STRIDE * p + NEXT] = this.free;
    this.free = p;
    this.count--;
  }

  /** Removes every pair of `owner` (its account is dropped). */
  removeAll(owner: O): void {
    while (owner.pairHead !== NONE) this.remove(owner.pairHead);
  }

  private link(p: number, owner: O): void {
    this.linkAll(p);
    this.linkOwner(p, owner);
    owner.pairCount++;
  }

  private linkAll(p: number): void {
    const n = this.nums;
    n[STRIDE * p + PREV] = this.tail;
    n[STRIDE * p + NEXT] = NONE;
    if (this.tail === NONE) this.head = p;
    else n[STRIDE * this.tail + NEXT] = p;
    this.tail = p;
  }

  /** The head's PREV is never read (the head is known by this.head): taking the head out writes
   *  nothing of the pair after it, which a scan's eviction would otherwise load. */
  private unlinkAll(p: number): void {
    const n = this.nums;
    const b = n[STRIDE * p + NEXT]!;
    if (p === this.head) {
      this.head = b;
      if (b === NONE) this.tail = NONE;
      return;
    }
    const a = n[STRIDE * p + PREV]!;
    n[STRIDE * a + NEXT] = b;
    if (b === NONE) this.tail = a;
    else n[STRIDE * b + PREV] = a;
  }

  private linkOwner(p: number, owner: O): void {
    const n = this.nums;
    n[STRIDE * p + OPREV] = owner.pairTail;
    n[STRIDE * p + ONEXT] = NONE;
    if (owner.pairTail === NONE) owner.pairHead = p;
    else n[STRIDE * owner.pairTail + ONEXT] = p;
    owner.pairTail = p;
  }

  /** As unlinkAll: the owner's first pair's OPREV is never read. The pair a scan evicts, the least
   *  recently failed of all, is its owner's first: it leaves without a write to its owner's next. */
  private unlinkOwner(p: number, owner: O): void {
    const n = this.nums;
    const b = n[STRIDE * p + ONEXT]!;
    if (p === owner.pairHead) {
      owner.pairHead = b;
      if (b === NONE) owner.pairTail = NONE;
      return;
    }
    const a = n[STRIDE * p + OPREV]!;
    n[STRIDE * a + ONEXT] = b;
    if (b === NONE) owner.pairTail = a;
    else n[STRIDE * b + OPREV] = a;
  }

  private place(p: number, key: number): void {
    const slots = this.slots;
    const mask = (1 << this.bits) - 1;
    let s = (key >>> (HASH_BITS - this.bits)) & mask;
    while (slots[2 * s] !== 0) s = (s + 1) & mask;
    slots[2 * s] = p + 1;
    slots[2 * s + 1] = key;
  }

  /** Takes p out of the index, shifting back the entries of its run that may sit in its slot. */
  private unplace(p: number): void {
    const slots = this.slots;
    const mask = (1 << this.bits) - 1;
    const shift = HASH_BITS - this.bits;
    let i = (this.nums[STRIDE * p + KEY]! >>> shift) & mask;
    while (slots[2 * i] !== p + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const v = slots[2 * j]!;
      if (v === 0) break;
      const key = slots[2 * j + 1]!;
      const home = (key >>> shift) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        slots[2 * i] = v;
        slots[2 * i + 1] = key;
        i = j;
      }
    }
    slots[2 * i] = 0;
  }

  /** Room for `capacity` pairs (an index at most half full); the pairs keep their numbers. */
  private resize(capacity: number): void {
    const old = this.capacity;
    const buffer = new ArrayBuffer(capacity * STRIDE * 4);
    const nums = new Int32Array(buffer);
    nums.set(this.nums);
    this.nums = nums;
    this.firsts = new Float64Array(buffer);
    for (let p = old; p < capacity; p++) this.refs.push(null, null, null);
    this.capacity = capacity;
    let bits = 1;
    while (1 << bits < capacity * 2) bits++;
    if (bits === this.bits) return;
    this.bits = bits;
    this.slots = new Int32Array(2 << bits);
    for (let p = 0; p < this.top; p++) if (this.refs[REFS * p] !== null) this.place(p, this.nums[STRIDE * p + KEY]!);
  }
}

/** The index key of a pair: the address's hash mixed with its owner's (30 bits, as the hashes). */
function keyOf(ownerHash: number, ipHash: number): number {
  return (ipHash ^ Math.imul(ownerHash, MIX)) & 0x3fffffff;
}
