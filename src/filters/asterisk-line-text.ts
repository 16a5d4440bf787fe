// What Asterisk's logger does to the text of a line before we read it, modelled so that the filter
// can tell a line it wrote from one shaped to fool us (moved out of line-filter.ts as it was): the
// colour codes its term_strip() removes, two messages joined when the first overran the logger's
// buffer, and a message cut short by a newline inside a caller-written field.

/**
 * Asterisk's term_strip() (main/term.c), on the bytes as the logger's in-place call sees them:
 * every ESC is deleted with what follows it up to and including the next 'm'; an ESC with no 'm'
 * after it stops the copy, and the buffer keeps its old bytes from there on (the loop writes no
 * end). Used to decide, never to guess: see match().
 */
export function termStrip(s: string): string {
  const src = Buffer.from(s, 'utf8');
  const out = Buffer.alloc(src.length);
  let o = 0;
  for (let i = 0; i < src.length; i++) {
    if (src[i] !== 0x1b) {
      out[o++] = src[i]!;
      continue;
    }
    const m = src.indexOf(0x6d, i + 1);
    if (m < 0) {
      src.copy(out, o, o);
      return out.toString('utf8');
    }
    i = m;
  }
  return out.subarray(0, o).toString('utf8');
}

// The start of a file line, `[date] LEVEL[thread]` (custom level names keep their case).
const PREFIX_RE = /\[[^[\]\n]{5,64}\] ?[A-Za-z][A-Za-z0-9_]*\[-?\d+\]/y;
const SEC_FILE = 'res_security_log.c:';

/**
 * Asterisk's logger formats a message into 8,192 bytes: a longer one loses its newline, and the
 * next message is written right after it, with its own line start. A second line start (after the
 * first; a journal line has its own header before Asterisk's) or a second security-log record
 * inside one line is such a join, or a planted one, which reads no better: the last part is read
 * on its own, and the part before it, cut off, lends it nothing. Null: one message.
 * A second `SecurityEvent="` with no line start before it is not a join (Asterisk writes one for
 * every message): it is caller text inside AccountID or SessionID, handled by the record reader.
 */
export function afterGlue(text: string): string | null {
  let first = -1;
  let cut = -1;
  // tried at each '[' only (a line has few): far cheaper than a regex search along the line
  for (let i = text.indexOf('['); i >= 0; i = text.indexOf('[', i + 1)) {
    // the date field ends at the first ']' after the '[', 5 to 64 characters on: elsewhere the
    // regex cannot match here (a thread id `[1234]` is too short), and no ']' at all ends the search
    const close = text.indexOf(']', i + 1);
    if (close < 0) break;
    if (close - i - 1 < 5 || close - i - 1 > 64) continue;
    PREFIX_RE.lastIndex = i;
    if (!PREFIX_RE.test(text)) continue;
    if (first < 0) first = i;
    else cut = i;
  }
  if (cut > 0) return text.slice(cut);
  const a = text.indexOf(SEC_FILE);
  if (a < 0) return null;
  // the last one, found by forward searches (V8's lastIndexOf compares backwards character by character)
  let b = a;
  for (let n = text.indexOf(SEC_FILE, a + 1); n >= 0; n = text.indexOf(SEC_FILE, n + 1)) b = n;
  return b > a ? text.slice(0, a) + text.slice(b) : null;
}

// A message whose caller field (a dialled extension) ended the physical line early: Asterisk ends
// every "to extension '…'" message with "… context '<ctx>'.", and a dialplan `Ext. x` with ": ".
export function cutExtension(text: string): boolean {
  return text.includes(" to extension '") && !/'\.\s*$/.test(text.slice(-8));
}

export function cutDialplan(text: string): boolean {
  return text.indexOf(': ', text.indexOf(' Ext. ')) < 0;
}
