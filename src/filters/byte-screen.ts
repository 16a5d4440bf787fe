// The literal pre-check (literal-gate.ts) on the bytes of a line, before the line is decoded to a
// string: the readers that cut lines themselves (`voipguard regex`, the file tail) decode only the
// lines that get through, and a line that cannot match costs no string and no object.
//
// It is the same test as the string gate, never a stricter one (test/filters/precheck-soundness
// proves it over the annotated samples and a generated log): each group (the failregex literals,
// the prefregex literals) must have one of its literals in the line, as bytes. A literal the gate
// finds in the decoded text is in the bytes too: UTF-8 decoding keeps every ASCII byte and every
// valid sequence in place, and a literal holding U+FFFD (which invalid bytes decode to) or one
// tested without regard to case gets no byte screen at all (the filter returns null).
// Some lines must reach the filter whatever their literals, and always get through: a line with
// ESC (the filter strips colour codes, which can join a literal), a line of the trigger set
// (Asterisk's ` Ext. ` cut-message check), a line longer than the filter's character cap (it is
// reported as too long), and every line while the filter waits for the rest of a cut message.
//
// The searches run over the whole chunk, not per line: for each literal the next place it occurs
// is kept, and a line holds it when that place falls inside the line. Each literal's search moves
// forward only, so the chunk is scanned once per literal, whatever the number of lines.

const NONE = 0x7fffffff;

export class ByteScreen {
  private readonly lits: Buffer[];
  private readonly group: Int32Array; // group of each literal; -1: a trigger
  private readonly groups: number;
  private readonly at: Int32Array;
  private chunk: Buffer = Buffer.alloc(0);

  constructor(
    groups: ReadonlyArray<readonly string[]>,
    triggers: readonly string[],
    /** Longer lines (in bytes) always get through. */
    private readonly maxBytes: number,
    /** True while the filter must see every line. */
    private readonly busy: () => boolean = () => false,
  ) {
    const lits: Buffer[] = [];
    const group: number[] = [];
    for (const t of triggers) {
      lits.push(Buffer.from(t, 'utf8'));
      group.push(-1);
    }
    groups.forEach((g, i) => {
      for (const l of g) {
        lits.push(Buffer.from(l, 'utf8'));
        group.push(i);
      }
    });
    this.lits = lits;
    this.group = Int32Array.from(group);
    this.groups = groups.length;
    this.at = new Int32Array(lits.length).fill(-1);
  }

  /** Screens the lines of `chunk` from now on (positions are offsets into it). */
  begin(chunk: Buffer): void {
    this.chunk = chunk;
    this.at.fill(-1);
  }

  /** False only when the filter's match() would give its plain miss for the bytes [start, end). */
  mayMatch(start: number, end: number): boolean {
    if (end - start > this.maxBytes || this.busy()) return true;
    const lits = this.lits;
    let k = 0;
    for (; k < lits.length && this.group[k] === -1; k++) if (this.has(k, start, end)) return true;
    // literals are stored group after group: each group needs one hit
    for (let g = 0; g < this.groups; g++) {
      let hit = false;
      for (; k < lits.length && this.group[k] === g; k++) {
        if (!hit && this.has(k, start, end)) hit = true;
      }
      if (!hit) return false;
    }
    return true;
  }

  private has(k: number, start: number, end: number): boolean {
    let p = this.at[k]!;
    if (p < start) {
      p = this.chunk.indexOf(this.lits[k]!, start);
      this.at[k] = p = p < 0 ? NONE : p;
    }
    return p + this.lits[k]!.length <= end;
  }
}
