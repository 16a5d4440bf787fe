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
// address string.

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

export class PairTable<O extends PairOwner> {
  private capacity = 0;
  private owners: (O | null)[] = [];
  private ips: (string | null)[] = [];
  private lists: (number[] | null)[] = [];
  private keys = new Int32Array(0);
  private firsts = new Float64Array(0);
  /** All pairs, least recently failed first. */
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  /** The owner's pairs, least recently failed first. */
  private oprev = new Int32Array(0);
  private onext = new Int32Array(0);
  private head = NONE;
  private tail = NONE;
  /** Free pair numbers, chained through `next`. */
  private free = NONE;
  /** Pair numbers handed out so far (the free ones below it are on `free`). */
  private top = 0;
  private count = 0;
  private evictedCount = 0;
  /** The index: pair number + 1, 0 when the slot is free. */
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
    const mask = (1 << this.bits) - 1;
    for (let s = (key >>> (HASH_BITS - this.bits)) & mask; ; s = (s + 1) & mask) {
      const v = this.slots[s]!;
      if (v === 0) return NONE;
      const p = v - 1;
      if (this.keys[p] === key && this.owners[p] === owner && this.ips[p] === ip) return p;
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
    if (p !== NONE) this.free = this.next[p]!;
    else {
      if (this.top === this.capacity) this.resize(Math.min(this.capacity * 2, this.max));
      p = this.top++;
    }
    const key = keyOf(owner.hash, ih);
    this.owners[p] = owner;
    this.ips[p] = ip;
    this.keys[p] = key;
    this.firsts[p] = t;
    this.lists[p] = null;
    this.link(p, owner);
    this.place(p, key);
    this.count++;
    return p;
  }

  /** The pair failed again: the most recent of all and of its owner's. */
  touch(p: number): void {
    const owner = this.owners[p]!;
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
    return this.lists[p] ?? this.firsts[p]!;
  }

  setTimes(p: number, v: PairTimes): void {
    if (typeof v === 'number') {
      this.firsts[p] = v;
      this.lists[p] = null;
    } else this.lists[p] = v;
  }

  ip(p: number): string {
    return this.ips[p]!;
  }

  /** The owner's pair after p (-1 at its end): `for (let p = o.pairHead; p >= 0; p = t.after(p))`. */
  after(p: number): number {
    return this.onext[p]!;
  }

  /** Removes pair p from the lists and the index. */
  remove(p: number): void {
    const owner = this.owners[p]!;
    this.unlinkAll(p);
    this.unlinkOwner(p, owner);
    owner.pairCount--;
    this.unplace(p);
    this.owners[p] = null;
    this.ips[p] = null;
    this.lists[p] = null;
    this.next[p] = this.free;
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
    this.prev[p] = this.tail;
    this.next[p] = NONE;
    if (this.tail === NONE) this.head = p;
    else this.next[this.tail] = p;
    this.tail = p;
  }

  private unlinkAll(p: number): void {
    const a = this.prev[p]!;
    const b = this.next[p]!;
    if (a === NONE) this.head = b;
    else this.next[a] = b;
    if (b === NONE) this.tail = a;
    else this.prev[b] = a;
  }

  private linkOwner(p: number, owner: O): void {
    this.oprev[p] = owner.pairTail;
    this.onext[p] = NONE;
    if (owner.pairTail === NONE) owner.pairHead = p;
    else this.onext[owner.pairTail] = p;
    owner.pairTail = p;
  }

  private unlinkOwner(p: number, owner: O): void {
    const a = this.oprev[p]!;
    const b = this.onext[p]!;
    if (a === NONE) owner.pairHead = b;
    else this.onext[a] = b;
    if (b === NONE) owner.pairTail = a;
    else this.oprev[b] = a;
  }

  private place(p: number, key: number): void {
    const mask = (1 << this.bits) - 1;
    let s = (key >>> (HASH_BITS - this.bits)) & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = p + 1;
  }

  /** Takes p out of the index, shifting back the entries of its run that may sit in its slot. */
  private unplace(p: number): void {
    const slots = this.slots;
    const keys = this.keys;
    const mask = (1 << this.bits) - 1;
    const shift = HASH_BITS - this.bits;
    let i = (keys[p]! >>> shift) & mask;
    while (slots[i] !== p + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const v = slots[j]!;
      if (v === 0) break;
      const home = (keys[v - 1]! >>> shift) & mask;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        slots[i] = v;
        i = j;
      }
    }
    slots[i] = 0;
  }

  /** Room for `capacity` pairs (an index at most half full); the pairs keep their numbers. */
  private resize(capacity: number): void {
    const old = this.capacity;
    const grow = <T extends Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(capacity);
      b.set(a.subarray(0, old));
      return b;
    };
    this.keys = grow(this.keys, (n) => new Int32Array(n));
    this.firsts = grow(this.firsts, (n) => new Float64Array(n));
    this.prev = grow(this.prev, (n) => new Int32Array(n));
    this.next = grow(this.next, (n) => new Int32Array(n));
    this.oprev = grow(this.oprev, (n) => new Int32Array(n));
    this.onext = grow(this.onext, (n) => new Int32Array(n));
    for (let p = old; p < capacity; p++) {
      this.owners.push(null);
      this.ips.push(null);
      this.lists.push(null);
    }
    this.capacity = capacity;
    let bits = 1;
    while (1 << bits < capacity * 2) bits++;
    if (bits === this.bits) return;
    this.bits = bits;
    this.slots = new Int32Array(1 << bits);
    for (let p = 0; p < this.top; p++) if (this.owners[p] !== null) this.place(p, this.keys[p]!);
  }
}

/** The index key of a pair: the address's hash mixed with its owner's (30 bits, as the hashes). */
function keyOf(ownerHash: number, ipHash: number): number {
  return (ipHash ^ Math.imul(ownerHash, MIX)) & 0x3fffffff;
}
