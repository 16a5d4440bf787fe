// The names of the accounts the account windows track (account-windows.ts), kept as their UTF-8
// bytes in one buffer, a slot per account number, not as the strings the failures carried.
//
// Why: a name cut out of a log line is, in V8, a view into the whole line (core/detach.ts), and
// the attacker writes the line's other fields (a Call-ID, a hash) as long as Asterisk lets them: a
// table of 50,000 such cuts kept 50,000 lines (10,000 names cut from 20 KB lines: 20 KB an
// account, test/jails/account-names.test.ts). Copying each new name into a string of its own cost
// more than the rest of the failure (docs/benchmarks.md, eighteenth session). The keyed hash reads
// the name's UTF-8 bytes anyway; here they are written into the slot the name gets, and a lookup
// compares bytes. A name comes back as a string only where one is shown (status, `voipguard regex`,
// the account-attack fact): decoded, a string of its own.
//
// A short name (an extension number, a user) is kept as its UTF-16 units, read one by one: for a
// few characters that costs less than the encoder's call. A longer one is kept as its UTF-8 bytes:
// two such strings with the same bytes are one account. Only a string with a lone surrogate has the
// bytes of another (the encoder writes U+FFFD for it), and no decoded log line or AMI message holds
// one. A name whose UTF-8 is longer than the slot (non-ASCII names near the length cap) is kept as
// a copy of its own instead.

import { detach } from '../core/detach.js';
import { grownInt32 } from './grown.js';
import type { RecordKeys } from './key-index.js';
import { padBytes, type StringHasher } from './string-hasher.js';

/** Bytes kept in an account's slot: a name of the length cap in ASCII fits. */
export const NAME_SLOT = 128;
/** Names of up to this many units are kept as their units (2 bytes each), longer ones as UTF-8. */
const SHORT_UNITS = 24;
/** Added to the length of a name kept as units: a length is never taken for the other form's. */
const UNITS_FORM = 1 << 16;
const SLOT_WORDS = NAME_SLOT / 4;
const MIN_SLOTS = 64;
const FREE = -1;

export class AccountNames implements RecordKeys {
  /** Per account number r: its name's bytes at r × NAME_SLOT (as 32-bit words: compared and
   *  copied four bytes at a time, the bytes after the name zeros); in `lengths`, their number
   *  (plus UNITS_FORM for a name kept as units; FREE for none). */
  private slab = new Uint32Array(0);
  private lengths = new Int32Array(0);
  /** Names longer than a slot, as strings of their own, by account number. */
  private readonly longer = new Map<number, string>();
  /** The name looked for (load()): its bytes, their number, the string. */
  private readonly scratch: Uint8Array;
  private readonly scratchWords: Uint16Array;
  private readonly scratch32: Uint32Array;
  /** The scratch's first k words, for k up to a slot's: a slot is written by one native copy
   *  (TypedArray.set) of the loaded name's words, not a loop of typed-array writes. */
  private readonly heads: Uint32Array[];
  private loaded = 0;
  private current = '';
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder();

  /** `maxUnits`: the longest name (UTF-16 units) load() is given. */
  constructor(
    private readonly hasher: StringHasher,
    maxUnits: number,
  ) {
    // three bytes a unit at most, three zeros after, rounded up to whole 32-bit words
    const buffer = new ArrayBuffer(Math.ceil((3 * maxUnits + 3) / 4) * 4 + 4);
    this.scratch = new Uint8Array(buffer);
    this.scratchWords = new Uint16Array(buffer);
    this.scratch32 = new Uint32Array(buffer);
    this.heads = Array.from({ length: SLOT_WORDS + 1 }, (_, k) => this.scratch32.subarray(0, k));
    this.resize(MIN_SLOTS);
  }

  /** Takes `name` as the name looked for (at most maxUnits long); returns the hash of its units or bytes. */
  load(name: string): number {
    let n: number;
    if (name.length <= SHORT_UNITS) {
      const w = this.scratchWords;
      for (let i = 0; i < name.length; i++) w[i] = name.charCodeAt(i);
      n = 2 * name.length;
      this.loaded = n + UNITS_FORM;
    } else {
      n = this.encoder.encodeInto(name, this.scratch).written;
      this.loaded = n;
      if (n > NAME_SLOT) this.current = name;
    }
    padBytes(this.scratch, n);
    this.scratch[n + 3] = 0; // the last word whole: slots are compared four bytes at a time
    return this.hasher.hashWords(this.scratch32, n);
  }

  /** True when account number r has the loaded name. */
  same(r: number): boolean {
    const form = this.loaded;
    if (this.lengths[r] !== form) return false;
    const n = form & (UNITS_FORM - 1);
    if (keptApart(form)) return this.longer.get(r) === this.current;
    const slab = this.slab;
    const s = this.scratch32;
    const at = r * SLOT_WORDS;
    for (let i = 0, words = (n + 3) >>> 2; i < words; i++) if (slab[at + i] !== s[i]) return false;
    return true;
  }

  /** Keeps the loaded name as account number r's. */
  keep(r: number): void {
    if (r >= this.lengths.length) this.resize(Math.max(this.lengths.length * 2, r + 1));
    const form = this.loaded;
    this.lengths[r] = form;
    if (keptApart(form)) {
      this.longer.set(r, detach(this.current));
      return;
    }
    this.slab.set(this.heads[((form & (UNITS_FORM - 1)) + 3) >>> 2]!, r * SLOT_WORDS);
  }

  /** Forgets account number r's name. */
  free(r: number): void {
    const form = this.lengths[r]!;
    if (keptApart(form)) this.longer.delete(r);
    this.lengths[r] = FREE;
  }

  /** Account number r's name, a string of its own ('' when it has none). */
  name(r: number): string {
    const form = r < this.lengths.length ? this.lengths[r]! : FREE;
    if (form === FREE) return '';
    if (keptApart(form)) return this.longer.get(r)!;
    const at = r * NAME_SLOT;
    if (form < UNITS_FORM) return this.decoder.decode(new Uint8Array(this.slab.buffer, at, form));
    return String.fromCharCode(...new Uint16Array(this.slab.buffer, at, (form - UNITS_FORM) / 2));
  }

  private resize(slots: number): void {
    const slab = new Uint32Array(slots * SLOT_WORDS);
    // only the slots holding a name: a copy of the whole slab would write the unused ones too (zeros)
    // and make their memory resident (names seen once are numbered past the accounts' cap, so the
    // slab grows past tracked slots a spray of such names never uses)
    const old = this.slab;
    const lengths = this.lengths;
    for (let r = 0; r < lengths.length; r++) {
      if (lengths[r] !== FREE) slab.set(old.subarray(r * SLOT_WORDS, (r + 1) * SLOT_WORDS), r * SLOT_WORDS);
    }
    this.slab = slab;
    this.lengths = grownInt32(lengths, slots, FREE);
  }
}

/** True for a name too long for its slot, kept as a string of its own. */
function keptApart(form: number): boolean {
  return form > NAME_SLOT && form < UNITS_FORM;
}
