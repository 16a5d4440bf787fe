// fail2ban's `journalmatch` (`_SYSTEMD_UNIT=sshd.service + _COMM=sshd`) → journalctl match arguments.
// Terms are FIELD=value; a lone `+` separates groups that journalctl ORs (terms within a group on
// different fields are ANDed, on the same field ORed: journalctl's own rules). Values may be quoted
// the shell way ("…" or '…') as fail2ban reads them with shlex; nothing else is interpreted.
//
// Every term becomes one argv slot. A field name is journald's alphabet (A–Z, 0–9, _, not starting
// with a digit), so no term can start with `-` and be taken for a journalctl option.

import { VoipguardError, type ErrorPlace } from '../core/errors.js';

const FIELD = /^[A-Z_][A-Z0-9_]{0,63}$/;

/** Parses a journalmatch value. Returns the argv slots in order (`+` kept as its own slot). */
export function parseJournalMatch(text: string, place: ErrorPlace = {}): string[] {
  const out: string[] = [];
  for (const token of splitWords(text, place)) {
    if (token === '+') {
      // a leading, trailing or doubled `+` would make journalctl fail at every restart: reject now
      if (out.length === 0 || out[out.length - 1] === '+') throw matchError(`a "+" with no match before it`, place);
      out.push('+');
      continue;
    }
    const eq = token.indexOf('=');
    const field = eq > 0 ? token.slice(0, eq) : '';
    if (!FIELD.test(field)) {
      throw matchError(`"${token}" is not FIELD=value (FIELD in capitals, digits and _)`, place);
    }
    if (token.includes('\0')) throw matchError(`"${field}" has a NUL byte in its value`, place);
    out.push(token);
  }
  if (out[out.length - 1] === '+') throw matchError(`a "+" with no match after it`, place);
  return out;
}

function matchError(why: string, place: ErrorPlace): VoipguardError {
  return new VoipguardError('VG_JOURNAL_MATCH', `journalmatch: ${why}`, place);
}

/** shlex-like: whitespace separates words; '…' is literal, "…" allows \" and \\ ; no expansion. */
function splitWords(text: string, place: ErrorPlace): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      const close = findClose(text, i + 1, c);
      if (close < 0) throw matchError(`unterminated ${c} quote`, place);
      const body = text.slice(i + 1, close);
      cur += c === '"' ? body.replace(/\\(["\\])/g, '$1') : body;
      inWord = true;
      i = close;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

function findClose(text: string, from: number, q: string): number {
  for (let i = from; i < text.length; i++) {
    if (q === '"' && text[i] === '\\') i++;
    else if (text[i] === q) return i;
  }
  return -1;
}
