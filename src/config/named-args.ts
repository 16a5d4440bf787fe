// `filter = asterisk[mode=aggressive]` and `action = name[k=v, k2="a,b"] other[...]`: a name and
// its bracket argument lists, as fail2ban's helpers.extractOptions/splitWithOptions read them.
// Items are separated by whitespace or newlines outside brackets; `name[a=1][b=2]` merges the
// groups (later wins: fail2ban's stock [asterisk] writes `%(default/action_)s[name=…]`, which
// becomes `iptables[port=…, protocol=…][name=asterisk-tcp, protocol="tcp"]`). Values are "double"
// or 'single' quoted (no escapes, commas and ] allowed inside) or bare up to `,` or `]`, trimmed.
// Interpolation has already happened; <tags> are left for the action to resolve.

import { VoipguardError, type ErrorPlace } from '../core/errors.js';

export interface NamedArgs {
  readonly name: string;
  readonly args: Readonly<Record<string, string>>;
}

// A name is a file name in filter.d/action.d: no path separators, no leading dot.
const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$/;
const KEY_RE = /^[A-Za-z0-9_.-]+$/;

class Cursor {
  i = 0;
  constructor(
    readonly s: string,
    readonly place: ErrorPlace,
  ) {}
  get done(): boolean {
    return this.i >= this.s.length;
  }
  peek(): string {
    return this.s[this.i] ?? '';
  }
  skipSpace(): void {
    while (!this.done && /\s/.test(this.peek())) this.i++;
  }
  error(msg: string): never {
    const shown = this.s.length > 70 ? this.s.slice(0, 67) + '...' : this.s;
    throw new VoipguardError('VG_CONFIG_ARGS', `${msg} at character ${this.i + 1} of "${shown.replace(/\n/g, ' ')}"`, this.place);
  }
}

/** Parses a whitespace/newline separated list of `name[args]` items. */
export function parseNamedArgsList(text: string, place: ErrorPlace = {}): NamedArgs[] {
  const c = new Cursor(text, place);
  const out: NamedArgs[] = [];
  c.skipSpace();
  while (!c.done) {
    out.push(readItem(c));
    c.skipSpace();
  }
  return out;
}

/** Exactly zero or one item (a filter); empty text → null. */
export function parseNamedArgs(text: string, place: ErrorPlace = {}): NamedArgs | null {
  const list = parseNamedArgsList(text, place);
  if (list.length > 1) {
    throw new VoipguardError('VG_CONFIG_ARGS', `one name expected, found ${list.length}: ${list.map((x) => x.name).join(', ')}`, place);
  }
  return list[0] ?? null;
}

function readItem(c: Cursor): NamedArgs {
  const start = c.i;
  while (!c.done && !/[\s[\]]/.test(c.peek())) c.i++;
  const name = c.s.slice(start, c.i);
  if (name === '') c.error('a name is missing');
  if (!NAME_RE.test(name) || name.includes('..')) {
    c.i = start;
    c.error(`"${name}" is not a valid name (letters, digits, _ . - only)`);
  }
  const args: Record<string, string> = {};
  // groups may follow the name after spaces: `iptables [port=1]`
  for (;;) {
    const save = c.i;
    c.skipSpace();
    if (c.peek() !== '[') {
      c.i = save;
      break;
    }
    c.i++;
    readGroup(c, args);
  }
  if (c.peek() === ']') c.error('unbalanced ]');
  if (!c.done && !/\s/.test(c.peek())) c.error('expected a space or a new line after ]');
  return { name, args };
}

function readGroup(c: Cursor, args: Record<string, string>): void {
  for (;;) {
    c.skipSpace();
    if (c.done) c.error('missing ]');
    if (c.peek() === ']') {
      c.i++;
      return;
    }
    const ks = c.i;
    while (!c.done && !/[=,\]\s]/.test(c.peek())) c.i++;
    const key = c.s.slice(ks, c.i);
    if (!KEY_RE.test(key)) c.error(key === '' ? 'an argument name is missing' : `"${key}" is not an argument name`);
    c.skipSpace();
    if (c.peek() !== '=') c.error(`"${key}" has no =value`);
    c.i++;
    c.skipSpace();
    args[key.toLowerCase()] = readValue(c);
    c.skipSpace();
    if (c.peek() === ',') c.i++;
    else if (c.peek() !== ']') c.error(c.done ? 'missing ]' : 'expected , or ]');
  }
}

function readValue(c: Cursor): string {
  const q = c.peek();
  if (q === '"' || q === "'") {
    const end = c.s.indexOf(q, c.i + 1);
    if (end < 0) c.error(`unterminated ${q}`);
    const v = c.s.slice(c.i + 1, end);
    c.i = end + 1;
    return v;
  }
  const vs = c.i;
  while (!c.done && c.peek() !== ',' && c.peek() !== ']') c.i++;
  return c.s.slice(vs, c.i).trim();
}

/** Back to config text (quoted where needed), for display and round-trip tests. */
export function formatNamedArgs(x: NamedArgs): string {
  const parts = Object.entries(x.args).map(([k, v]) => (/^[^,\]"'\s]*$/.test(v) ? `${k}=${v}` : `${k}="${v}"`));
  return parts.length ? `${x.name}[${parts.join(', ')}]` : x.name;
}
