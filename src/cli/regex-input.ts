// Reads a log for `voipguard regex` in large chunks and hands out whole lines. Lines are found on
// the bytes (indexOf of the newline) and decoded one by one, so a multi-byte character is never
// cut; invalid UTF-8 becomes U+FFFD (counted, never thrown). With a screen (the filter's pre-check
// on bytes, src/filters/byte-screen.ts) a line it turns away is never decoded: it is only counted,
// through onSkip. A line longer than maxLineBytes is dropped whole, and a last line without its
// newline is not handed out (counted): the daemon's tail does the same, since a truncated
// SecurityEvent line may have lost the RemoteAddress Asterisk writes last.

import { isAscii, isUtf8 } from 'node:buffer';
import { readSync } from 'node:fs';
import type { ByteScreen } from '../filters/byte-screen.js';

export interface InputStats {
  lines: number; // handed out or skipped by the screen
  tooLong: number; // dropped by the byte cap
  invalidUtf8: number; // lines (handed out or skipped) whose text contains U+FFFD
  truncatedLastLine: boolean;
  bytes: number;
}

export interface LineScreen {
  readonly screen: ByteScreen;
  /** `lines` lines the screen turned away (one run of them), in their place among the lines. */
  readonly onSkip: (lines: number) => void;
}

// 64 KiB: the screen views each chunk as a one-byte string, and V8 makes one of up to about 128 KiB
// in a few microseconds but takes milliseconds for a larger one (measured: 5 ms against 200 ms per
// 32 MB of log)
export const READ_BYTES = 1 << 16;
const CHUNK = READ_BYTES;
const NL = 0x0a;
const CR = 0x0d;
const REPLACEMENT = Buffer.from('\uFFFD', 'utf8');

export function readLines(fd: number, maxLineBytes: number, onLine: (text: string) => void, screen: LineScreen | null = null): InputStats {
  const stats: InputStats = { lines: 0, tooLong: 0, invalidUtf8: 0, truncatedLastLine: false, bytes: 0 };
  const chunk = Buffer.allocUnsafe(CHUNK);
  let carry: Buffer[] = [];
  let carryLen = 0;
  let dropping = false;

  // One line, bytes [start, end) of buf (the newline excluded). ascii: buf holds no byte >= 0x80.
  const line = (buf: Buffer, start: number, end: number, ascii: boolean): void => {
    if (end > start && buf[end - 1] === CR) end--;
    stats.lines++;
    if (screen !== null && !screen.screen.mayMatch(start, end)) {
      if (!ascii && hasReplacement(buf, start, end)) stats.invalidUtf8++;
      screen.onSkip(1);
      return;
    }
    // same text either way for ASCII, and latin1 decodes faster
    const text = buf.toString(ascii ? 'latin1' : 'utf8', start, end);
    if (!ascii && text.includes('\uFFFD')) stats.invalidUtf8++;
    onLine(text);
  };

  for (;;) {
    const n = readSync(fd, chunk, 0, CHUNK, null);
    if (n === 0) break;
    stats.bytes += n;
    const data = chunk.subarray(0, n);
    const last = data.lastIndexOf(NL);
    if (last < 0) {
      if (dropping) continue;
      carry.push(Buffer.from(data));
      carryLen += n;
      if (carryLen > maxLineBytes) {
        stats.tooLong++;
        dropping = true;
        carry = [];
        carryLen = 0;
      }
      continue;
    }
    const first = data.indexOf(NL);
    let start = 0;
    if (dropping) {
      dropping = false;
      start = first + 1;
    } else if (carryLen > 0) {
      if (carryLen + first > maxLineBytes) stats.tooLong++;
      else {
        const whole = Buffer.concat([...carry, data.subarray(0, first)]);
        screen?.screen.begin(whole);
        line(whole, 0, whole.length, isAscii(whole));
      }
      start = first + 1;
    }
    carry = [];
    carryLen = 0;
    const ascii = isAscii(data);
    screen?.screen.begin(data);
    if (screen === null) {
      for (let nl = data.indexOf(NL, start); nl >= 0; start = nl + 1, nl = data.indexOf(NL, start)) {
        if (nl - start > maxLineBytes) stats.tooLong++;
        else line(data, start, nl, ascii);
      }
    } else {
      // the lines before the next place a literal of the first set or a trigger ends are turned
      // away without asking the screen about each (the same answer mayMatch would give), counted
      // as one run; newlines are found on the screen's one-byte view of the chunk (a string
      // search, far cheaper per line than a call into Buffer.indexOf)
      const s = screen.screen;
      const view = s.view;
      const cap = Math.min(s.maxBytes, maxLineBytes);
      let busy = s.busy();
      let next = s.nextEnd(start);
      let run = 0;
      for (let nl = view.indexOf('\n', start); nl >= 0; start = nl + 1, nl = view.indexOf('\n', start)) {
        if (next > nl && nl - start <= cap && !busy) {
          run++;
          if (!ascii && hasReplacement(data, start, nl)) stats.invalidUtf8++;
          continue;
        }
        if (run > 0) {
          stats.lines += run;
          screen.onSkip(run);
          run = 0;
        }
        if (nl - start > maxLineBytes) stats.tooLong++;
        else line(data, start, nl, ascii);
        busy = s.busy();
        next = s.nextEnd(nl + 1);
      }
      if (run > 0) {
        stats.lines += run;
        screen.onSkip(run);
      }
    }
    if (last + 1 < n) {
      carry.push(Buffer.from(data.subarray(last + 1)));
      carryLen = n - last - 1;
    }
  }
  if (carryLen > 0 || dropping) stats.truncatedLastLine = true;
  return stats;
}

/** Whether bytes [start, end) decode to text holding U+FFFD: invalid UTF-8, or the character itself. */
function hasReplacement(buf: Buffer, start: number, end: number): boolean {
  const bytes = buf.subarray(start, end);
  return isAscii(bytes) ? false : !isUtf8(bytes) || bytes.indexOf(REPLACEMENT) >= 0;
}
