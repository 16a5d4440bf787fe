// Reads a log for `voipguard regex` in large chunks and hands out whole lines. Bytes are split on
// newlines before decoding, so a multi-byte character is never cut; invalid UTF-8 becomes U+FFFD
// (counted, never thrown). A line longer than maxLineBytes is dropped whole, and a last line
// without its newline is not handed out (counted): the daemon's tail does the same, since a
// truncated SecurityEvent line may have lost the RemoteAddress Asterisk writes last.

import { isAscii } from 'node:buffer';
import { readSync } from 'node:fs';

export interface InputStats {
  lines: number; // handed out
  tooLong: number; // dropped by the byte cap
  invalidUtf8: number; // handed-out lines that contain U+FFFD
  truncatedLastLine: boolean;
  bytes: number;
}

const CHUNK = 1 << 20;
const NL = 0x0a;

export function readLines(fd: number, maxLineBytes: number, onLine: (text: string) => void): InputStats {
  const stats: InputStats = { lines: 0, tooLong: 0, invalidUtf8: 0, truncatedLastLine: false, bytes: 0 };
  const chunk = Buffer.allocUnsafe(CHUNK);
  let carry: Buffer[] = [];
  let carryLen = 0;
  let dropping = false;

  const emit = (text: string, checkUtf8: boolean): void => {
    const t = text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text;
    if (checkUtf8 && t.includes('\uFFFD')) stats.invalidUtf8++;
    stats.lines++;
    onLine(t);
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
    if (dropping) {
      dropping = false;
    } else if (carryLen + first > maxLineBytes) {
      stats.tooLong++;
    } else {
      const whole = carryLen === 0 ? data.subarray(0, first) : Buffer.concat([...carry, data.subarray(0, first)]);
      const text = whole.toString('utf8');
      emit(text, true);
    }
    carry = [];
    carryLen = 0;
    if (last > first) {
      const bytes = data.subarray(first + 1, last);
      // same text either way for ASCII, and latin1 decodes four times faster
      const text = isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
      const checkUtf8 = text.includes('\uFFFD');
      for (let start = 0; ;) {
        const nl = text.indexOf('\n', start);
        const end = nl < 0 ? text.length : nl;
        // in characters: never more than the bytes, and the filter caps characters anyway
        if (end - start > maxLineBytes) stats.tooLong++;
        else emit(text.slice(start, end), checkUtf8);
        if (nl < 0) break;
        start = nl + 1;
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
