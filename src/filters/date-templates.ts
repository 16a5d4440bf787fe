// Finding and reading the timestamp of a log line, fail2ban's way: a `datepattern` is one template
// per line, each a regex in which %-directives stand for date fields (`%F %T`, `%F %T.%3q`,
// `%b %e %T`…), optionally prefixed by `{^LN-BEG}` (the date starts the line, after at most two
// non-word characters such as `[`). `{^LN-BEG}` alone means the default templates, anchored.
// Without a datepattern the default templates are searched anywhere in the line (first hit).
// The caller cuts the matched text out of the line before applying failregex, as fail2ban does
// (so `[2026-03-01 10:15:30] NOTICE…` is matched as `[] NOTICE…`).
//
// A year-less date (`%b %e %T`, Asterisk's default) takes the year that puts it closest before the
// moment the line was read (two days of tolerance for clock skew): a Dec 31 line read on Jan 1 is
// last year's, a Jan 1 line read a minute before midnight on Dec 31 is next year's.

import { VoipguardError, type ErrorPlace } from '../core/errors.js';
import { translatePythonRegex, RegexTranslateError } from './python-regex.js';
import { unnameGroups } from './unname-groups.js';
import type { TimeZone } from '../core/time-zone.js';

export interface DateHit {
  readonly time: number; // epoch ms
  readonly start: number; // the date text is line.slice(start, end)
  readonly end: number;
  readonly format: string; // the template's name, for `voipguard regex`
}

export interface DateParser {
  readonly templates: readonly string[];
  /** Never throws; null when no template finds a valid date. */
  find(text: string, readAt: number): DateHit | null;
}

/** Group numbers of the date fields in a template's regex (0: absent). */
type Fields = Readonly<Record<'date' | 'Y' | 'y' | 'm' | 'd' | 'H' | 'I' | 'M' | 'S' | 'f' | 'p' | 'b' | 'z' | 'Z' | 's', number>>;

interface Template {
  readonly name: string;
  readonly re: RegExp; // ends with the date group
  readonly g: Fields;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_RE = '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:tember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)';
const DAY_RE = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*';
const SKEW_MS = 2 * 86_400_000;
const LN_BEG = '{^LN-BEG}';

/** Directive → regex. Each field may appear once per template (they become named groups). */
const DIRECTIVES: Readonly<Record<string, string>> = {
  Y: '(?P<Y>\\d{4})',
  y: '(?P<y>\\d{2})',
  m: '(?P<m>1[0-2]|0?[1-9])',
  d: '(?P<d>3[01]|[12]\\d|[0 ]?[1-9])',
  e: '(?P<d>3[01]|[12]\\d|[0 ]?[1-9])',
  H: '(?P<H>2[0-3]|[01]?\\d)',
  k: '(?P<H>2[0-3]|[ 1]?\\d)',
  I: '(?P<I>1[0-2]|0?[1-9])',
  l: '(?P<I>1[0-2]|[ 0]?[1-9])',
  M: '(?P<M>[0-5]\\d)',
  S: '(?P<S>[0-5]\\d|6[01])',
  f: '(?P<f>\\d{1,9})',
  q: '(?P<f>\\d{3})',
  p: '(?P<p>[AaPp][Mm])',
  b: `(?P<b>${MONTH_RE})`,
  h: `(?P<b>${MONTH_RE})`,
  B: `(?P<b>${MONTH_RE})`,
  a: DAY_RE,
  A: DAY_RE,
  z: '(?P<z>Z|[+-]\\d{2}(?::?\\d{2})?)',
  Z: '(?P<Z>[A-Za-z]{1,5})',
  s: '(?P<s>\\d{1,12})',
  T: '%H:%M:%S',
  F: '%Y-%m-%d',
  D: '%m/%d/%y',
  R: '%H:%M',
  n: '\\s',
  t: '\\s',
  '%': '%',
};

const DEFAULTS: readonly { name: string; pattern: string }[] = [
  { name: 'ISO 8601 / %F %T[.%q][%z]', pattern: '%Y-%m-%d[T ]%H:%M:%S(?:[.,]%f)?(?:\\s?%z)?' },
  { name: '%b %e %T (Asterisk default, syslog; no year)', pattern: '%b %e %H:%M:%S(?:\\.%f)?' },
];

export function buildDateParser(datepattern: string | undefined, zone: TimeZone, place: ErrorPlace = {}): DateParser {
  const lines = (datepattern ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const templates: Template[] = [];
  if (lines.length === 0) {
    for (const d of DEFAULTS) templates.push(compile(d.name, d.pattern, false, place));
  }
  for (const line of lines) {
    const anchored = line.startsWith(LN_BEG);
    const body = anchored ? line.slice(LN_BEG.length).trim() : line;
    if (body === '') {
      for (const d of DEFAULTS) templates.push(compile(`${LN_BEG}${d.name}`, d.pattern, true, place));
    } else if (/^iso8601$/i.test(body)) {
      templates.push(compile(line, DEFAULTS[0]!.pattern, anchored, place));
    } else if (/^epoch$/i.test(body)) {
      templates.push(compile(line, '%s(?:\\.%f)?', anchored, place));
    } else {
      templates.push(compile(line, body, anchored, place));
    }
  }
  return {
    templates: templates.map((t) => t.name),
    // the earliest date in the line wins: a later one may sit in text an attacker wrote
    find(text, readAt) {
      let best: DateHit | null = null;
      for (const t of templates) {
        const m = t.re.exec(text);
        if (!m) continue;
        // the date group ends the match, so its span follows from the match's own
        const end = m.index + m[0].length;
        const start = end - m[t.g.date]!.length;
        if (best !== null && start >= best.start) continue;
        const time = toEpoch(m, t.g, zone, readAt);
        if (time === null) continue;
        best = { time, start, end, format: t.name };
        if (start <= 2) break;
      }
      return best;
    },
  };
}

function compile(name: string, pattern: string, anchored: boolean, place: ErrorPlace): Template {
  const py = expandDirectives(pattern, name, place);
  const wrapped = (anchored ? '^\\W{0,2}?' : '') + `(?P<vg_date>${py})`;
  try {
    const t = translatePythonRegex(wrapped);
    const plain = unnameGroups(t.source);
    const at = (k: string): number => plain.index.get(k) ?? 0;
    const g: Fields = {
      date: at('vg_date'),
      Y: at('Y'),
      y: at('y'),
      m: at('m'),
      d: at('d'),
      H: at('H'),
      I: at('I'),
      M: at('M'),
      S: at('S'),
      f: at('f'),
      p: at('p'),
      b: at('b'),
      z: at('z'),
      Z: at('Z'),
      s: at('s'),
    };
    return { name, re: new RegExp(plain.source, t.flags), g };
  } catch (e) {
    const why = e instanceof RegexTranslateError || e instanceof SyntaxError ? e.message : String(e);
    throw new VoipguardError('VG_FILTER_DATEPATTERN', `datepattern "${name}" does not compile: ${why}`, place, { cause: e });
  }
}

function expandDirectives(pattern: string, name: string, place: ErrorPlace, depth = 0): string {
  const seen = new Set<string>();
  return pattern.replace(/%(?:Ex)?([1-9](?=q))?(.)/g, (_all, digits: string | undefined, d: string) => {
    if (d === 'q' && digits) return `(?P<f>\\d{${digits}})`;
    const r = DIRECTIVES[d];
    if (r === undefined) {
      throw new VoipguardError('VG_FILTER_DATEPATTERN', `datepattern "${name}": unknown directive %${d}`, place);
    }
    if (r.includes('%') && d !== '%') return depth < 2 ? expandDirectives(r, name, place, depth + 1) : r;
    const field = /\(\?P<(\w+)>/.exec(r)?.[1];
    if (field) {
      if (seen.has(field)) throw new VoipguardError('VG_FILTER_DATEPATTERN', `datepattern "${name}": the ${field} field appears twice`, place);
      seen.add(field);
    }
    return r;
  });
}

function num(m: RegExpExecArray, i: number, dflt: number): number {
  const v = i > 0 ? m[i] : undefined;
  if (v === undefined) return dflt;
  // the fields are a few ASCII digits (a day may be space-padded): read them without Number's
  // string parse, which showed in the profile of `voipguard regex`
  let n = 0;
  for (let k = 0; k < v.length; k++) {
    const d = v.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return Number(v.trim());
    n = n * 10 + d;
  }
  return v.length > 0 ? n : Number(v.trim());
}

function toEpoch(m: RegExpExecArray, g: Fields, zone: TimeZone, readAt: number): number | null {
  const frac = fraction(g.f > 0 ? m[g.f] : undefined);
  if (g.s > 0 && m[g.s] !== undefined) return Number(m[g.s]) * 1000 + frac;
  let hour = num(m, g.H, 0);
  if (g.I > 0 && m[g.I] !== undefined) {
    hour = num(m, g.I, 0) % 12;
    const p = g.p > 0 ? m[g.p] : undefined;
    if (p !== undefined && p.toLowerCase() === 'pm') hour += 12;
  }
  const b = g.b > 0 ? m[g.b] : undefined;
  const month = b !== undefined ? MONTHS.indexOf(b.slice(0, 3).toLowerCase()) + 1 : num(m, g.m, 0);
  const day = num(m, g.d, 0);
  const minute = num(m, g.M, 0);
  const second = Math.min(59, num(m, g.S, 0));
  const offset = zoneOffset(g.z > 0 ? m[g.z] : undefined, g.Z > 0 ? m[g.Z] : undefined);
  const explicit = g.Y > 0 && m[g.Y] !== undefined ? Number(m[g.Y]) : g.y > 0 && m[g.y] !== undefined ? 2000 + Number(m[g.y]) : 0;
  if (explicit > 0) return epochOf(explicit, month, day, hour, minute, second, frac, offset, zone);
  // no year: the most recent candidate that is not (beyond clock skew) in the future
  const y = offset === null ? zone.yearAt(readAt) : new Date(readAt + offset).getUTCFullYear();
  for (let year = y + 1; year >= y - 4; year--) {
    const t = epochOf(year, month, day, hour, minute, second, frac, offset, zone);
    if (t !== null && t <= readAt + SKEW_MS) return t;
  }
  return null;
}

function epochOf(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
  offset: number | null,
  zone: TimeZone,
): number | null {
  if (!valid(year, month, day, hour, minute)) return null;
  if (offset === null) return zone.toEpoch({ year, month, day, hour, minute, second, ms });
  return Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset;
}

function fraction(f: string | undefined): number {
  return f === undefined ? 0 : Number((f + '00').slice(0, 3));
}

/** ms east of UTC from %z or a UTC/GMT %Z; null when the zone decides. */
function zoneOffset(z: string | undefined, Z: string | undefined): number | null {
  if (z !== undefined) {
    if (z === 'Z') return 0;
    const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(z)!;
    return (Number(m[2]) * 60 + Number(m[3] ?? 0)) * 60_000 * (m[1] === '-' ? -1 : 1);
  }
  if (Z !== undefined && /^(?:UTC|GMT|Z)$/i.test(Z)) return 0;
  return null;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function valid(year: number, month: number, day: number, hour: number, minute: number): boolean {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59) return false;
  if (day > DAYS_IN_MONTH[month - 1]!) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month !== 2 || day < 29 || leap;
}
