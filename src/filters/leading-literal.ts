// The text every match of an anchored regex starts with: `chan_sip.c:` for `^chan_sip\.c:(?:\d+…`.
// The filter tries its failregexes in order on each line that got past the pre-check, and most
// of them begin with their source file's name right after `^`: a rule whose start is not the
// content's start cannot match, and `startsWith` says so before the rule's literal search and its
// regex. Read conservatively from the JavaScript source (python-regex.ts's output): only a `^`
// at the very start, no top-level alternation, no `i` or `m` flag, and plain characters or
// escaped punctuation up to the first construct of any other kind; a character a quantifier
// follows is left out. Anything else gives '' (no test), never a wrong one.

import { hasTopLevelBar } from './regex-source.js';

/** Characters that end the literal run when not escaped. */
const SPECIAL = new Set(['.', '*', '+', '?', '(', ')', '[', ']', '{', '}', '|', '^', '$', '\\']);
/** Quantifiers that make the character before them optional or repeated. */
const QUANTIFIER = new Set(['*', '+', '?', '{']);

export function leadingLiteral(source: string, flags: string): string {
  if (!source.startsWith('^') || /[im]/.test(flags) || hasTopLevelBar(source)) return '';
  let out = '';
  let i = 1;
  while (i < source.length) {
    const c = source[i]!;
    let lit: string;
    let width: number;
    if (c === '\\') {
      const n = source[i + 1];
      // only an escaped punctuation character is itself: \d, \s, \b, \1, \k<…>, \u… are not
      if (n === undefined || /[A-Za-z0-9]/.test(n)) break;
      lit = n;
      width = 2;
    } else {
      if (SPECIAL.has(c)) break;
      lit = c;
      width = 1;
    }
    if (QUANTIFIER.has(source[i + width] ?? '')) break; // `a?`, `a*`, `a{0,1}`: not certain
    out += lit;
    i += width;
  }
  return out;
}
