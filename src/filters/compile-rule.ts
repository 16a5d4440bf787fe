// One regex line of a filter (failregex, ignoreregex or prefregex) → a compiled rule:
// option tags, address/F- tags, Python → JavaScript, RegExp, required literals. Every failure is a
// VG_FILTER_REGEX error naming the file, section, key and line of the offending regex.

import { VoipguardError, type ErrorPlace } from '../core/errors.js';
import { translatePythonRegex, RegexTranslateError } from './python-regex.js';
import { expandTags, substituteOptions, PLAIN_HOST_GROUPS, type HostGroup } from './regex-tags.js';
import { requiredLiterals, type RequiredLiterals } from './regex-literals.js';
import { hasTopLevelBar, opensNested } from './regex-source.js';
import { leadingLiteral } from './leading-literal.js';

export type RuleRole = 'failregex' | 'ignoreregex' | 'prefregex';

export interface RegexLine {
  readonly text: string; // as written, after %(x)s interpolation
  readonly place: ErrorPlace;
}

export interface CompiledRule {
  readonly text: string;
  readonly re: RegExp;
  readonly literals: RequiredLiterals | null;
  /** What every match starts with at the content's start (leading-literal.ts); '' when unknown. */
  readonly lead?: string;
  readonly hosts: readonly HostGroup[];
  readonly fields: Readonly<Record<string, string>>;
  readonly kind?: string;
  readonly service?: string;
  readonly securityEvent: boolean;
  /** The rule cut at its address group, to find every other place the address could be read. */
  readonly split: AddressSplit | null;
}

/**
 * `left` matches the text before the address and `right` (sticky: set lastIndex) the text from the address on, for a rule
 * whose first address group stands at the top level; `cue` is the literal text the rule writes right
 * before the address. A line is read one way only if just one address fits at the places after a cue.
 */
export interface AddressSplit {
  readonly left: RegExp;
  readonly right: RegExp;
  readonly cue: string;
  readonly group: string;
}

/** Null when option tags expand the line to nothing (fail2ban's way of switching a rule off). */
export function compileRule(line: RegexLine, role: RuleRole, option: (name: string) => string | undefined): CompiledRule | null {
  const fail = (why: string): never => {
    throw new VoipguardError('VG_FILTER_REGEX', `${role}: ${why}: ${clip(line.text)}`, line.place);
  };
  let source: string;
  let flags: string;
  let groupNames: readonly string[];
  let expanded;
  try {
    const text = substituteOptions(line.text, option).trim();
    if (text === '') return null;
    expanded = expandTags(text);
    ({ source, flags, groupNames } = translatePythonRegex(expanded.python));
  } catch (e) {
    if (e instanceof RegexTranslateError) return fail(e.message);
    throw e;
  }
  let re: RegExp;
  try {
    re = new RegExp(source, flags);
  } catch (e) {
    return fail((e as Error).message.replace(/^Invalid regular expression: /, ''));
  }
  const hosts: HostGroup[] = [...expanded.hosts];
  for (const g of PLAIN_HOST_GROUPS) {
    if (groupNames.includes(g)) hosts.push({ group: g, family: g === 'ip4' ? 4 : g === 'ip6' ? 6 : null });
  }
  if (role === 'failregex' && hosts.length === 0 && !expanded.securityEvent) {
    throw new VoipguardError(
      'VG_FILTER_NO_HOST',
      `failregex has no <HOST>, <ADDR>, <IP4>, <IP6>, (?P<host>…) or <SECURITYEVENT>: ${clip(line.text)}`,
      line.place,
    );
  }
  if (role === 'prefregex' && expanded.securityEvent) fail('<SECURITYEVENT> belongs in a failregex');
  return {
    text: line.text,
    re,
    literals: requiredLiterals(source, flags),
    lead: leadingLiteral(source, flags),
    hosts,
    fields: expanded.fields,
    ...(expanded.kind !== undefined ? { kind: expanded.kind } : {}),
    ...(expanded.service !== undefined ? { service: expanded.service } : {}),
    securityEvent: expanded.securityEvent,
    split: hosts.length > 0 ? splitAtAddress(source, flags, hosts[0]!.group) : null,
  };
}

/** Null when the address group is inside a group or alternation (no cut is sound there). */
export function splitAtAddress(source: string, flags: string, group: string): AddressSplit | null {
  const open = `(?<${group}>`;
  const start = source.indexOf(open);
  if (start < 0 || opensNested(source, start) || hasTopLevelBar(source)) return null;
  const left = source.slice(0, start);
  const cue = trailingLiteral(left);
  if (cue === '') return null;
  try {
    return { left: new RegExp(`(?:${left})$`, flags), right: new RegExp(source.slice(start), flags.replace(/[gy]/g, '') + 'y'), cue, group };
  } catch {
    return null;
  }
}

/** The plain text a regex source ends with (`failed for '` of `…failed for '`), unescaped. */
function trailingLiteral(src: string): string {
  let out = '';
  let i = src.length - 1;
  while (i >= 0) {
    const c = src[i]!;
    let bs = 0;
    for (let j = i - 1; j >= 0 && src[j] === '\\'; j--) bs++;
    if (bs % 2 === 1) {
      if (/[A-Za-z0-9]/.test(c)) break; // \d, \s…: a class, not a literal
      out = c + out;
      i -= 2;
      continue;
    }
    if ('.*+?()[]{}|^$\\'.includes(c)) break;
    out = c + out;
    i--;
  }
  return out;
}

function clip(s: string): string {
  return s.length > 160 ? s.slice(0, 157) + '...' : s;
}
