// Reads one open file from an offset to its end and cuts it into lines. It reads with explicit
// positions (pread), so the offset is ours and never the kernel's.
//
// Invariants that matter for security:
// - a line is only ever emitted from a line start: a partial last line is held until its newline,
//   and an oversized line is dropped whole (its tail could be attacker text shaped like a full
//   Asterisk line, and a truncated SecurityEvent line could lose the address Asterisk wrote last);
// - `committed` is the offset just past the last newline handed out (or dropped), so a saved
//   position never points into the middle of a line.
// Splitting happens on bytes before decoding, so a multi-byte character cut by a chunk boundary
// decodes whole; invalid UTF-8 becomes U+FFFD and never throws. With a screen (the filter's literal
// pre-check on bytes, filters/byte-screen.ts) a line it turns away is never decoded: no string, no
// object, only counted. A line held across two reads is always decoded (rare; never screened out).

import type { FileHandle } from 'node:fs/promises';
import { turn, type TurnPace } from '../core/slices.js';

const CHUNK = 64 * 1024;
const NL = 0x0a;

// Read buffers are lent for the length of one drain, not owned per reader: a jail following 1,000
// idle files would otherwise hold 64 MiB of buffers that are only ever used while a file grows.
const spare: Buffer[] = [];
const MAX_SPARE = 8;

function borrow(): Buffer {
  return spare.pop() ?? Buffer.allocUnsafe(CHUNK);
}

function giveBack(b: Buffer): void {
  if (spare.length < MAX_SPARE) spare.push(b);
}

export interface DrainResult {
  /** Lines handed out or turned away by the screen. */
  readonly lines: number;
  readonly oversized: number;
  readonly bytes: number;
  /** Of `lines`, those the screen turned away without decoding them. */
  readonly skipped: number;
}

/** The filter's pre-check on the bytes of a read (filters/byte-screen.ts has the sound one). */
export interface LineScreen {
  /** Positions given to mayMatch are offsets into this chunk from now on. */
  begin(chunk: Buffer): void;
  /** False only when the filter would give its plain miss for the bytes [start, end). */
  mayMatch(start: number, end: number): boolean;
}

export class FileLineReader {
  /** Offset just past the last complete line handed out or dropped. */
  committed: number;
  /** Offset up to which bytes have been read (committed + held partial line). */
  private readTo: number;
  private held: Buffer[] = [];
  private heldLen = 0;
  /** True while the current line has passed maxLineBytes: drop bytes until its newline. */
  private dropping = false;
  /** The drop is a resync after starting mid-file, not an oversized line: not counted. */
  private skipIsResync = false;

  constructor(
    readonly handle: FileHandle,
    readonly inode: number,
    offset: number,
    private readonly maxLineBytes: number,
    /** When starting mid-file: discard up to the first newline, it may be the tail of a line. */
    skipFirstPartial = false,
  ) {
    this.committed = offset;
    this.readTo = offset;
    this.dropping = skipFirstPartial && offset > 0;
    this.skipIsResync = this.dropping;
  }

  /** Bytes read past `committed` and not yet emitted. */
  get pending(): number {
    return this.readTo - this.committed;
  }

  /** Forgets everything and starts again at `offset` (truncation). */
  reset(offset: number): void {
    this.committed = offset;
    this.readTo = offset;
    this.held = [];
    this.heldLen = 0;
    this.dropping = false;
    this.skipIsResync = false;
  }

  /**
   * Reads to end of file (or, given `until`, until that offset has been read: the size the caller
   * just saw, which saves the read that finds the end), calling onLine (which must not throw) for
   * each complete line. With a pace, the event loop gets a turn between two lines whenever the
   * lines handled since the last turn have held it for the pace's budget: a read of 64 KB in which
   * every line bans an address is far more work than the control socket may wait for.
   */
  async drain(onLine: (text: string) => void, screen: LineScreen | null = null, until = Infinity, pace: TurnPace | null = null): Promise<DrainResult> {
    let lines = 0;
    let oversized = 0;
    let bytes = 0;
    let skipped = 0;
    const buf = borrow();
    try {
      while (this.readTo < until) {
        const { bytesRead } = await this.handle.read(buf, 0, CHUNK, this.readTo);
        pace?.turned();
        if (bytesRead === 0) break;
        bytes += bytesRead;
        const chunk = buf.subarray(0, bytesRead);
        screen?.begin(chunk);
        let start = 0;
        for (let nl = chunk.indexOf(NL, start); nl >= 0; nl = chunk.indexOf(NL, start)) {
          const end = this.readTo + nl + 1;
          if (this.dropping) {
            if (!this.skipIsResync) oversized++;
            this.dropping = false;
            this.skipIsResync = false;
          } else if (this.heldLen + (nl - start) > this.maxLineBytes) {
            oversized++;
          } else if (this.heldLen === 0 && screen !== null && !screen.mayMatch(start, nl)) {
            lines++;
            skipped++;
          } else {
            const piece = chunk.subarray(start, nl);
            const whole = this.heldLen === 0 ? piece : Buffer.concat([...this.held, piece], this.heldLen + piece.length);
            let text = whole.toString('utf8');
            if (text.endsWith('\r')) text = text.slice(0, -1);
            lines++;
            onLine(text); // must not throw: FileTail wraps it
          }
          this.committed = end;
          this.held = [];
          this.heldLen = 0;
          start = nl + 1;
          if (pace?.due()) {
            // the state is whole here (committed past this line, nothing held); the tail's reads
            // are serialised, so nothing else reads this file meanwhile. The screen is begun again:
            // another file of the filter may have used it during the turn.
            await turn();
            pace.turned();
            screen?.begin(chunk);
          }
        }
        if (start < bytesRead && !this.dropping) {
          const rest = chunk.subarray(start);
          if (this.heldLen + rest.length > this.maxLineBytes) {
            this.dropping = true;
            this.held = [];
            this.heldLen = 0;
          } else {
            // copy: buf is lent to the next read
            this.held.push(Buffer.from(rest));
            this.heldLen += rest.length;
          }
        }
        this.readTo += bytesRead;
      }
    } finally {
      giveBack(buf);
    }
    return { lines, oversized, bytes, skipped };
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}
