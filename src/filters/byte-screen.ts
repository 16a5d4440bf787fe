// The literal pre-check (literal-gate.ts) on the bytes of a line, before the line is decoded to a
// string: the readers that cut lines themselves (`voipguard regex`, the file tail) decode only the
// lines that get through, and a line that cannot match costs no string and no object.
//
// It is the same test as the string gate, never a stricter one (test/filters/precheck-soundness
// proves it over the annotated samples and a generated log): each set (the failregex literals, the
// prefregex literals) must have one of its literals in the line, as bytes. A literal the gate finds
// in the decoded text is in the bytes too: UTF-8 decoding keeps every ASCII byte and every valid
// sequence in place. A literal holding U+FFFD (which invalid bytes decode to), or a non-ASCII one
// tested without regard to case, gets no byte screen at all (the filter returns null).
// Some lines must reach the filter whatever their literals, and always get through: a line with
// ESC (the filter strips colour codes, which can join a literal), a line of the trigger set
// (Asterisk's ` Ext. ` cut-message check), a line longer than the filter's character cap (it is
// reported as too long), and every line while the filter waits for the rest of a cut message.
//
// The searches run over the whole chunk, not per line: the chunk is viewed as a one-byte string
// (latin1: one character per byte, so positions are byte offsets and a literal is matched on its
// UTF-8 bytes), each set of literals is one alternation searched forward from a line's start, and
// the end of the next hit is kept. A line holds a literal of the set when that hit ends inside it;
// a literal holds no newline, so a hit that ends past a line's start begins in that line or later.
// Each search moves forward only: the chunk is scanned about once per set, whatever its number of
// lines. (Measured: Buffer.indexOf per literal costs a pass over the chunk for every literal, about
// 1.5 µs a call; the alternation is one pass for all of them.)

import { escapeRegex } from './literal-gate.js';

const NONE = 0x7fffffff;

export interface LiteralSet {
  readonly literals: readonly string[];
  /** ASCII literals in lower case, matched without regard to ASCII case (as the gate's /i). */
  readonly ignoreCase: boolean;
}

export class ByteScreen {
  /** One search each: an alternation of a byte and a word scans far slower than both alone. */
  private readonly triggers: RegExp[];
  private readonly sets: RegExp[];
  /** End of the next hit of each trigger, then of each set; -1: not searched in this chunk. */
  private readonly ends: Int32Array;
  private text = '';

  constructor(
    sets: ReadonlyArray<LiteralSet | readonly string[]>,
    triggers: readonly string[],
    /** Longer lines (in bytes) always get through. */
    readonly maxBytes: number,
    /** True while the filter must see every line (it changes only when the filter sees a line). */
    readonly busy: () => boolean = () => false,
  ) {
    this.triggers = triggers.map((t) => alternation([t], false));
    this.sets = sets.map((s) => (isSet(s) ? alternation(s.literals, s.ignoreCase) : alternation(s, false)));
    this.ends = new Int32Array(this.triggers.length + this.sets.length);
  }

  /** The chunk begun last, one character per byte (latin1): a reader may search it for newlines. */
  get view(): string {
    return this.text;
  }

  /** Screens the lines of `chunk` from now on (positions are offsets into it). */
  begin(chunk: Buffer): void {
    this.text = chunk.toString('latin1');
    this.ends.fill(-1);
  }

  /** False only when the filter's match() would give its plain miss for the bytes [start, end). */
  mayMatch(start: number, end: number): boolean {
    if (end - start > this.maxBytes || this.busy()) return true;
    const t = this.triggers.length;
    for (let i = 0; i < t; i++) if (this.has(i, this.triggers[i]!, start, end)) return true;
    for (let i = 0; i < this.sets.length; i++) if (!this.has(t + i, this.sets[i]!, start, end)) return false;
    return true;
  }

  /**
   * Where the next trigger or literal of the first set ends, searching from a line's start: every
   * line that ends before it (and is not too long, and the filter not busy) is turned away, so a
   * reader can count those lines without asking about each. -1 when there is no set.
   */
  nextEnd(start: number): number {
    if (this.sets.length === 0) return -1;
    const t = this.triggers.length;
    this.has(t, this.sets[0]!, start, start);
    let e = this.ends[t]!;
    for (let i = 0; i < t; i++) {
      this.has(i, this.triggers[i]!, start, start);
      e = Math.min(e, this.ends[i]!);
    }
    return e;
  }

  private has(i: number, re: RegExp, start: number, end: number): boolean {
    let e = this.ends[i]!;
    if (e <= start) {
      re.lastIndex = start;
      this.ends[i] = e = re.test(this.text) ? re.lastIndex : NONE;
    }
    return e <= end;
  }
}

function isSet(s: LiteralSet | readonly string[]): s is LiteralSet {
  return !Array.isArray(s);
}

/** One search for any of the literals, on their UTF-8 bytes; a literal with a newline is never in a line. */
function alternation(literals: readonly string[], ignoreCase: boolean): RegExp {
  const bytes = literals.filter((l) => !l.includes('\n')).map((l) => escapeRegex(Buffer.from(l, 'utf8').toString('latin1')));
  return new RegExp(bytes.length ? bytes.join('|') : '(?!)', ignoreCase ? 'gi' : 'g');
}
