// A keyed hash of short strings (addresses, account names) for the jails' own tables
// (key-index.ts). The string's UTF-8 bytes, taken as 16-bit words, go through NH (the hash
// family of UMAC: the sum of ((w[2i] + k[2i]) mod 2^16) × ((w[2i+1] + k[2i+1]) mod 2^16), mod 2^32)
// twice, the second time with the keys shifted by two (as UMAC widens its output), the length
// added under keys of its own; each sum is mixed by a random odd multiplier. The keys come from a
// seed the jail is given (a random one by default): for two different strings, the chance over
// the keys that both sums collide is about 2^-32 (one sum alone is 2^-16: with one, 4,000 short
// addresses gave 144 collisions, which test/jails/key-index.test.ts would now refuse), so an
// attacker who chooses the account names or addresses a jail sees cannot make them pile up in one
// place of a table without knowing the seed (docs/beyond-one-address.md, "The jails' tables").
//
// Why not Map's own hash: a Map does the job safely, but the jail's spray path (every failure a new
// address and a new account name, one evicted from each table) is bound by Map's insert and delete;
// and why bytes: one native copy of the string (TextEncoder.encodeInto) and a loop over a typed
// array cost less than a loop of charCodeAt over a sliced string (a 128-character name: 150 to
// 235 ns against 335 ns, docs/benchmarks.md, tenth session).
// A short string (an address), one that is not well formed (a lone surrogate would become U+FFFD,
// the same bytes as any other) or one longer than the buffer is hashed by its UTF-16 units instead.

/** Bytes hashed through the buffer; a string of up to a third of that many units always fits. */
const MAX_BYTES = 4096;
const MAX_UNITS = MAX_BYTES / 3;
/** Up to this many units (an address), the loop over the units is cheaper than the copy (an IPv4
 *  address: about 50 ns by its units, about as much for the copy alone). */
const SHORT = 32;
/** 16-bit words in the buffer, and where the length's keys start. */
const WORDS = MAX_BYTES / 2;
const LEN = WORDS + 2;

interface MaybeWellFormed {
  isWellFormed(): boolean;
}

export class StringHasher {
  /** 16-bit keys: one per word position (and two more: the second sum takes them shifted by two),
   *  then two for the length and two that set the units' sums apart. */
  private readonly keys = new Int32Array(WORDS + 2 + 4);
  private readonly mult: number;
  private readonly mult2: number;
  private readonly bytes = new Uint8Array(MAX_BYTES + 4);
  private readonly words = new Uint32Array(this.bytes.buffer);
  private readonly encoder = new TextEncoder();

  /** `seed`: any 32-bit number; the keys are drawn from it (splitmix32), never from a clock. */
  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return z ^ (z >>> 16);
    };
    for (let i = 0; i < this.keys.length; i++) this.keys[i] = next() & 0xffff;
    this.mult = next() | 1;
    this.mult2 = next() | 1;
  }

  hash(s: string): number {
    if (s.length > SHORT && s.length <= MAX_UNITS && (s as string & MaybeWellFormed).isWellFormed()) {
      const n = this.encoder.encodeInto(s, this.bytes).written;
      padBytes(this.bytes, n);
      return this.hashWords(this.words, n);
    }
    // the units themselves, set apart from the bytes' sums by keys of their own
    const k = this.keys;
    const m = WORDS - 1;
    let a = Math.imul(s.length, k[LEN]!) ^ k[LEN + 2]!;
    let b = Math.imul(s.length, k[LEN + 1]!) ^ k[LEN + 3]!;
    for (let i = 0; i < s.length; i += 2) {
      const x = s.charCodeAt(i);
      const y = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      a = (a + Math.imul((x + k[i & m]!) & 0xffff, (y + k[(i + 1) & m]!) & 0xffff)) | 0;
      b = (b + Math.imul((x + k[(i + 2) & m]!) & 0xffff, (y + k[(i + 3) & m]!) & 0xffff)) | 0;
    }
    return this.finish(a, b);
  }

  /**
   * The hash of `n` bytes (a string's UTF-8, say) held in `words`' buffer, read as 32-bit words
   * whose two 16-bit halves NH pairs; the three bytes after them must be zeros (padBytes). What
   * hash() gives a long well-formed string is this hash of its UTF-8 bytes.
   */
  hashWords(words: Uint32Array, n: number): number {
    if (!(n >= 0 && n <= MAX_BYTES)) throw new RangeError(`${n} bytes: at most ${MAX_BYTES} are hashed`);
    const k = this.keys;
    let a = Math.imul(n, k[LEN]!);
    let b = Math.imul(n, k[LEN + 1]!);
    // the second sum's keys are the first's shifted by two: a word's are the next word's first
    // ones (one read of the keys per word, not two)
    let k0 = k[0]!;
    let k1 = k[1]!;
    for (let j = 0, end = (n + 3) >>> 2; j < end; j++) {
      const w = words[j]!;
      const x = w & 0xffff;
      const y = w >>> 16;
      const k2 = k[2 * j + 2]!;
      const k3 = k[2 * j + 3]!;
      a = (a + Math.imul((x + k0) & 0xffff, (y + k1) & 0xffff)) | 0;
      b = (b + Math.imul((x + k2) & 0xffff, (y + k3) & 0xffff)) | 0;
      k0 = k2;
      k1 = k3;
    }
    return this.finish(a, b);
  }

  private finish(a: number, b: number): number {
    // the two sums mixed into one, then scrambled (the finalizer of MurmurHash3): NH's sums of
    // near-equal strings (addresses one apart) lie close together, and linear probing needs the
    // top bits spread, not only collisions rare
    let h = Math.imul(a ^ (a >>> 16), this.mult) ^ Math.imul(b ^ (b >>> 15), this.mult2);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    // 30 bits: a small integer to V8 (a record's field and the table's compare never box it)
    return (h ^ (h >>> 16)) >>> 2;
  }
}

/** Zeros after `n` bytes: an odd last byte pairs with one, and an odd last word with a zero word
 *  (the buffer holds at least n + 3 bytes). */
export function padBytes(bytes: Uint8Array, n: number): void {
  bytes[n] = 0;
  bytes[n + 1] = 0;
  bytes[n + 2] = 0;
}

/** A seed for a StringHasher from the platform's random source (the default of a jail). */
export function randomSeed(): number {
  return globalThis.crypto.getRandomValues(new Uint32Array(1))[0]!;
}
