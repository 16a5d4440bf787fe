// Python `re` syntax (what fail2ban filter files are written in) → a JavaScript RegExp source.
// Translated: (?P<n>…) → (?<n>…), (?P=n) → \k<n>, leading global flags (?imsxau), verbose mode,
// (?#comments), \A \Z \z, \a, \U........, {,n}, a `]` first in a class, and `.` → [^\n] so that
// JavaScript's `.` (which stops at \r, U+2028 and U+2029) cannot be defeated by an attacker who puts
// such a character into a SIP header: Python's `.` only stops at \n.
// Refused with a message (the caller turns it into VG_FILTER_REGEX naming file, key and line):
// scoped flags (?i:…), flags after the start, atomic groups, possessive quantifiers, conditionals,
// \N{…}, unknown letter escapes (Python refuses them too).
// The output is compiled without the `u` flag: identity escapes such as \- and \' stay legal there.

export interface TranslatedRegex {
  readonly source: string;
  readonly flags: string; // subset of "ims"
  readonly groupNames: readonly string[];
}

export class RegexTranslateError extends Error {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
    this.name = 'RegexTranslateError';
  }
}

const SIMPLE_ESCAPES = new Set(['b', 'B', 'd', 'D', 's', 'S', 'w', 'W', 'f', 'n', 'r', 't', 'v']);
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function translatePythonRegex(py: string): TranslatedRegex {
  return new Translator(py).run();
}

class Translator {
  private i = 0;
  private out = '';
  private flags = new Set<string>();
  private verbose = false;
  private readonly names: string[] = [];

  constructor(private readonly s: string) {}

  run(): TranslatedRegex {
    this.leadingFlags();
    while (this.i < this.s.length) this.atom();
    const flags = ['i', 'm', 's'].filter((f) => this.flags.has(f)).join('');
    return { source: this.out, flags, groupNames: this.names };
  }

  private fail(msg: string, at = this.i): never {
    throw new RegexTranslateError(msg, at);
  }

  /** `(?i)`, `(?s)(?x)`… at the very start are global in Python. */
  private leadingFlags(): void {
    for (;;) {
      const m = /^\(\?([aiLmsux]+)\)/.exec(this.s.slice(this.i));
      if (!m) return;
      for (const f of m[1]!) this.addFlag(f, this.i);
      this.i += m[0].length;
      if (this.verbose) this.skipVerbose();
    }
  }

  private addFlag(f: string, at: number): void {
    if (f === 'L') this.fail('the locale flag (?L) is not supported', at);
    if (f === 'x') this.verbose = true;
    else if (f === 'i' || f === 'm' || f === 's') this.flags.add(f);
    // a, u: JavaScript's \w \d \s are ASCII, which is what `a` asks for; `u` is Python's default
  }

  private skipVerbose(): void {
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') this.i++;
      else if (c === '#') {
        while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++;
      } else return;
    }
  }

  private atom(): void {
    if (this.verbose) {
      this.skipVerbose();
      if (this.i >= this.s.length) return;
    }
    const c = this.s[this.i]!;
    switch (c) {
      case '\\':
        this.out += this.escape(false);
        return;
      case '[':
        this.charClass();
        return;
      case '(':
        this.group();
        return;
      case '.':
        this.i++;
        this.out += this.flags.has('s') ? '[\\s\\S]' : '[^\\n]';
        return;
      case '*':
      case '+':
      case '?':
        this.i++;
        this.out += c;
        this.quantifierSuffix();
        return;
      case '{':
        this.brace();
        return;
      default:
        this.i++;
        this.out += c;
    }
  }

  /** After a quantifier: a lazy `?` is fine, a possessive `+` is not. */
  private quantifierSuffix(): void {
    const n = this.s[this.i];
    if (n === '?') {
      this.out += '?';
      this.i++;
    } else if (n === '+') {
      this.fail('possessive quantifiers (*+, ++, ?+, {m,n}+) are not supported');
    }
  }

  private brace(): void {
    const m = /^\{(\d*)(,?)(\d*)\}/.exec(this.s.slice(this.i));
    if (!m || (m[1] === '' && m[3] === '')) {
      // not a quantifier: Python and JavaScript (without `u`) both take `{` literally
      this.out += '\\{';
      this.i++;
      return;
    }
    this.i += m[0].length;
    this.out += `{${m[1] === '' ? '0' : m[1]}${m[2]}${m[3]}}`;
    this.quantifierSuffix();
  }

  private group(): void {
    const start = this.i;
    const rest = this.s.slice(this.i);
    if (!rest.startsWith('(?')) {
      this.i++;
      this.out += '(';
      return;
    }
    let m: RegExpExecArray | null;
    if ((m = /^\(\?P<([^>]*)>/.exec(rest)) || (m = /^\(\?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(rest))) {
      const name = m[1]!;
      if (!NAME_RE.test(name)) this.fail(`bad group name "${name}"`, start);
      if (this.names.includes(name)) this.fail(`group name "${name}" is used twice`, start);
      this.names.push(name);
      this.out += `(?<${name}>`;
      this.i += m[0].length;
      return;
    }
    if ((m = /^\(\?P=([^)]*)\)/.exec(rest))) {
      const name = m[1]!;
      if (!this.names.includes(name)) this.fail(`unknown group name "${name}" in (?P=${name})`, start);
      this.out += `\\k<${name}>`;
      this.i += m[0].length;
      return;
    }
    if (rest.startsWith('(?#')) {
      const end = this.s.indexOf(')', this.i);
      if (end < 0) this.fail('unterminated comment (?#', start);
      this.i = end + 1;
      return;
    }
    for (const p of ['(?:', '(?=', '(?!', '(?<=', '(?<!']) {
      if (rest.startsWith(p)) {
        this.out += p;
        this.i += p.length;
        return;
      }
    }
    if (rest.startsWith('(?>')) this.fail('atomic groups (?>…) are not supported', start);
    if (rest.startsWith('(?(')) this.fail('conditional groups (?(…)…) are not supported', start);
    if (rest.startsWith('(?P')) this.fail('unknown extension (?P', start);
    if ((m = /^\(\?([aiLmsux]*)(?:-([imsx]+))?([:)])/.exec(rest))) {
      const harmless = [...m[1]!].every((f) => f === 'a' || f === 'u') && !m[2];
      if (m[3] === ':' && harmless) {
        this.out += '(?:';
        this.i += m[0].length;
        return;
      }
      if (m[3] === ')') this.fail(`global flags ${m[0]} must stand at the start of the expression`, start);
      this.fail(`scoped flags ${m[0]}…) are not supported; put a global flag such as (?i) at the start`, start);
    }
    this.fail(`unknown extension ${rest.slice(0, 3)}`, start);
  }

  private charClass(): void {
    const start = this.i;
    this.i++; // [
    let body = '[';
    if (this.s[this.i] === '^') {
      body += '^';
      this.i++;
    }
    // Python: a `]` right after `[` or `[^` is a literal; in JavaScript `[]` is an empty class
    if (this.s[this.i] === ']') {
      body += '\\]';
      this.i++;
    }
    for (;;) {
      if (this.i >= this.s.length) this.fail('unterminated character set', start);
      const c = this.s[this.i]!;
      if (c === ']') {
        this.i++;
        break;
      }
      if (c === '\\') {
        body += this.escape(true);
        continue;
      }
      // `[` inside a class is literal in Python; escape it so no engine reads a nested set
      body += c === '[' ? '\\[' : c;
      this.i++;
    }
    this.out += body + ']';
  }

  /** Translates the escape at this.i (a backslash). */
  private escape(inClass: boolean): string {
    const at = this.i;
    const c = this.s[this.i + 1];
    if (c === undefined) this.fail('bad escape (end of pattern)', at);
    this.i += 2;
    if (c >= '0' && c <= '9') {
      // octal or a group reference: same spelling in both dialects (digits follow as literals)
      return '\\' + c;
    }
    if (SIMPLE_ESCAPES.has(c)) return '\\' + c;
    switch (c) {
      case 'a':
        return '\\x07';
      case 'A':
        if (inClass) this.fail('bad escape \\A in a character set', at);
        return '(?<![\\s\\S])';
      case 'Z':
      case 'z':
        if (inClass) this.fail(`bad escape \\${c} in a character set`, at);
        return '(?![\\s\\S])';
      case 'x': {
        const h = /^[0-9a-fA-F]{2}/.exec(this.s.slice(this.i));
        if (!h) this.fail('bad escape \\x: two hex digits expected', at);
        this.i += 2;
        return '\\x' + h[0];
      }
      case 'u': {
        const h = /^[0-9a-fA-F]{4}/.exec(this.s.slice(this.i));
        if (!h) this.fail('bad escape \\u: four hex digits expected', at);
        this.i += 4;
        return '\\u' + h[0];
      }
      case 'U': {
        const h = /^[0-9a-fA-F]{8}/.exec(this.s.slice(this.i));
        if (!h) this.fail('bad escape \\U: eight hex digits expected', at);
        this.i += 8;
        const cp = parseInt(h[0], 16);
        if (cp > 0x10ffff) this.fail('bad escape \\U: beyond U+10FFFF', at);
        if (cp <= 0xffff) return '\\u' + cp.toString(16).padStart(4, '0');
        if (inClass) this.fail('characters beyond U+FFFF are not supported in a character set', at);
        const s = String.fromCodePoint(cp);
        return `(?:\\u${s.charCodeAt(0).toString(16)}\\u${s.charCodeAt(1).toString(16)})`;
      }
      case 'N':
        return this.fail('named characters \\N{…} are not supported', at);
    }
    if (/[A-Za-z]/.test(c)) this.fail(`bad escape \\${c}`, at);
    return '\\' + c;
  }
}
