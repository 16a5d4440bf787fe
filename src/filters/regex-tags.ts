// fail2ban's tags in a failregex, expanded to Python regex syntax before translation:
// - `<name>` where name is an option of the filter ([Definition], [Init], jail arguments) → its
//   value, recursively (fail2ban's `<mdre-%(mode)s>` idiom);
// - address tags → a named group whose text is validated later by core/ip.ts (never trusted here):
//   <HOST>, <ADDR>, <DNS> (no name is ever resolved: a name fails validation), <IP4>, <IP6>;
// - <F-NAME>…</F-NAME> → a named group: F-USER/F-ALT_USER give the account, F-CALLID the session
//   id, F-TRANSPORT the transport, F-NOFAIL makes the match no failure, F-CONTENT (prefregex)
//   the text the failregexes see; others (F-ID, F-MLFID…) are accepted and ignored;
// - voipguard's own: <SECURITYEVENT> (the rest of the line is a SecurityEvent="…" record, parsed
//   as key="value" pairs), and zero-width labels <kind=sip-register> <service=SIP>.

import { RegexTranslateError } from './python-regex.js';

export interface HostGroup {
  readonly group: string;
  readonly family: 4 | 6 | null; // from <IP4>/<IP6>: the address must be of that family
}

export interface ExpandedRegex {
  readonly python: string;
  readonly kind?: string;
  readonly service?: string;
  readonly hosts: readonly HostGroup[];
  readonly fields: Readonly<Record<string, string>>; // F-name (lowercase) → group name
  readonly securityEvent: boolean;
}

/** Group names a hand-written fail2ban regex may use for the address. */
export const PLAIN_HOST_GROUPS = ['host', 'ip4', 'ip6', 'addr', 'dns', 'ip'] as const;

const ZONE = '(?:%[\\w.~-]+)?';
const HOST = `\\[[0-9A-Fa-f:.]+${ZONE}\\](?::\\d{1,5})?|[0-9A-Fa-f:.]+${ZONE}`;
const IP4 = '(?:\\d{1,3}\\.){3}\\d{1,3}';
const IP6 = `\\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*${ZONE}\\]|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*${ZONE}`;
const BUILTIN = new Set(['HOST', 'ADDR', 'DNS', 'IP4', 'IP6', 'SECURITYEVENT', 'SKIPLINES']);
const MAX_DEPTH = 16;

// `<name>` right after `(?` or `(?P` opens a named group and after `\k` is a backreference; after any
// other `?` (a quantifier, as in `(?:invalid user )?<F-USER>`) it is a tag.
function isGroupSyntax(text: string, at: number): boolean {
  const a = text[at - 1];
  const b = text[at - 2];
  if (a === '?') return b === '(' && !escaped(text, at - 2);
  if (a === 'P') return b === '?' && text[at - 3] === '(' && !escaped(text, at - 3);
  return a === 'k' && b === '\\' && !escaped(text, at - 2);
}

/** Whether the character at `i` is escaped by an odd run of backslashes before it. */
function escaped(text: string, i: number): boolean {
  let n = 0;
  for (let j = i - 1; j >= 0 && text[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

export function substituteOptions(text: string, option: (name: string) => string | undefined, depth = 0): string {
  return text.replace(/<([A-Za-z_][\w-]*)>/g, (all, name: string, at: number) => {
    if (isGroupSyntax(text, at)) return all;
    if (BUILTIN.has(name) || name.startsWith('F-')) return all;
    const v = option(name);
    if (v === undefined) return all;
    if (depth >= MAX_DEPTH) throw new RegexTranslateError(`tag <${name}> expands too deeply (a cycle?)`, at);
    return substituteOptions(v, option, depth + 1);
  });
}

export function expandTags(text: string): ExpandedRegex {
  let kind: string | undefined;
  let service: string | undefined;
  let securityEvent = false;
  const hosts: HostGroup[] = [];
  const fields: Record<string, string> = {};
  const open: { name: string; at: number }[] = [];
  const python = text.replace(/<(\/?)(F-[A-Za-z0-9_]+|[A-Z0-9]+|kind=[\w.-]+|service=[\w.-]+)>/g, (all, close: string, tag: string, at: number) => {
    if (isGroupSyntax(text, at)) return all;
    if (tag.startsWith('kind=') && !close) {
      kind = tag.slice(5);
      return '';
    }
    if (tag.startsWith('service=') && !close) {
      service = tag.slice(8);
      return '';
    }
    if (tag.startsWith('F-')) {
      const name = tag.slice(2).toLowerCase();
      if (close) {
        const top = open.pop();
        if (!top || top.name !== name) throw new RegexTranslateError(`</${tag}> does not close ${top ? `<F-${top.name.toUpperCase()}>` : 'any tag'}`, at);
        return ')';
      }
      if (fields[name] !== undefined) throw new RegexTranslateError(`<${tag}> appears twice`, at);
      open.push({ name, at });
      fields[name] = `vg_f_${name}`;
      return `(?P<vg_f_${name}>`;
    }
    if (close) return all;
    const n = hosts.length;
    switch (tag) {
      case 'HOST':
      case 'ADDR':
      case 'DNS':
        hosts.push({ group: `vg_host${n}`, family: null });
        return `(?P<vg_host${n}>${HOST})`;
      case 'IP4':
        hosts.push({ group: `vg_host${n}`, family: 4 });
        return `(?P<vg_host${n}>${IP4})`;
      case 'IP6':
        hosts.push({ group: `vg_host${n}`, family: 6 });
        return `(?P<vg_host${n}>${IP6})`;
      case 'SECURITYEVENT':
        if (securityEvent) throw new RegexTranslateError('<SECURITYEVENT> appears twice', at);
        securityEvent = true;
        return '(?P<vg_secevent>SecurityEvent="[^\\n]*)';
      case 'SKIPLINES':
        throw new RegexTranslateError('multi-line matching (<SKIPLINES>) is not supported', at);
      default:
        return all; // an unknown upper-case tag is literal text, as in fail2ban
    }
  });
  const left = open.pop();
  if (left) throw new RegexTranslateError(`<F-${left.name.toUpperCase()}> is not closed`, left.at);
  return {
    python,
    ...(kind !== undefined ? { kind } : {}),
    ...(service !== undefined ? { service } : {}),
    hosts,
    fields,
    securityEvent,
  };
}
