// The jail keys: one schema, the source of JailConfig's type and of every check. Defaults are the
// config text a user would write (fail2ban's where fail2ban has one).

import { isAbsolute } from 'node:path';
import { parseCidr } from '../core/ip.js';
import { ACCOUNT_FIELDS } from './account-schema.js';
import { DEFAULT_SECURITY_EVENTS, FAILURE_EVENTS } from './ami-events.js';
import { parseTimeZone } from '../core/time-zone.js';
import { parseJournalMatch } from './journal-match.js';
import {
  bool,
  custom,
  duration,
  fail,
  int,
  optionalDuration,
  parseBool,
  parseDurationField,
  positiveNumber,
  splitList,
  text,
  type FieldContext,
  type Values,
} from './fields.js';
import { parseNamedArgs, parseNamedArgsList, type NamedArgs } from './named-args.js';
import { KERNEL_FIELDS } from './kernel-fields.js';

export type Backend = 'auto' | 'polling' | 'inotify' | 'systemd';

// the list lives beside DEFAULT_SECURITY_EVENTS, so the correlator can use it without the schema
export { FAILURE_EVENTS };

function parseLogpath(raw: string, ctx: FieldContext): string[] {
  const out: string[] = [];
  for (const line of raw.split('\n')) {
    const words = line.trim().split(/\s+/).filter(Boolean);
    // fail2ban: an optional trailing `head`/`tail` says where to start reading a new file
    const last = words[words.length - 1];
    if (words.length > 1 && (last === 'head' || last === 'tail')) {
      words.pop();
      if (last === 'tail') ctx.warn('logpath … tail: voipguard starts a new file at its end and resumes known files from the saved position');
    }
    for (const w of words) {
      if (!isAbsolute(w)) fail('VG_CONFIG_TYPE', `"${w}" is not an absolute path`, ctx);
      if (!out.includes(w)) out.push(w);
    }
  }
  return out;
}

function parseBackend(raw: string, ctx: FieldContext): Backend {
  // fail2ban allows options after the name: systemd[journalflags=1]
  const m = /^\s*([a-z-]+)(\[.*\])?\s*$/is.exec(raw);
  const name = m?.[1]?.toLowerCase();
  if (m?.[2]) ctx.warn(`backend ${name}${m[2]}: voipguard ignores backend options`);
  // fail2ban's file backends (tutorials copy `backend = polling`) all mean voipguard's watcher:
  // inotify with a polling safety net. Polling alone is voipguard's own `polling-only`.
  switch (name) {
    case 'auto':
    case 'polling':
    case 'pyinotify':
    case 'gamin':
      return 'auto';
    case 'inotify':
    case 'systemd':
      return name;
    case 'polling-only':
      return 'polling';
    default:
      return fail('VG_CONFIG_TYPE', `"${raw}" is not a backend (auto, polling, pyinotify, gamin: the watcher; inotify; polling-only; systemd)`, ctx);
  }
}

const HOSTNAME_RE = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

/** IPs and CIDR ranges, v4 and v6, space or comma separated → canonical texts. */
export function parseIgnoreIp(raw: string, ctx: FieldContext): string[] {
  const out: string[] = [];
  for (const w of splitList(raw)) {
    // a zone index is dropped here: never banning fe80::1 on any link is the safe side
    const c = parseCidr(w, true);
    if (c === null) {
      if (HOSTNAME_RE.test(w) && !w.includes('/')) {
        ctx.warn(`ignoreip ${w}: voipguard never resolves host names; the entry is skipped`);
        continue;
      }
      fail('VG_CONFIG_CIDR', `"${w}" is not an IP address or CIDR range`, ctx);
    }
    if (!out.includes(c.text)) out.push(c.text);
  }
  return out;
}

function parseUsedns(raw: string, ctx: FieldContext): 'no' | 'raw' {
  const v = raw.trim().toLowerCase();
  if (v === 'no' || v === 'raw') return v;
  if (v === 'yes' || v === 'warn') {
    ctx.warn(`usedns = ${v}: voipguard never resolves names; acting as usedns = no`);
    return 'no';
  }
  return fail('VG_CONFIG_TYPE', `"${raw}" is not one of no, raw, yes, warn`, ctx);
}

function parseAmiEvents(raw: string, ctx: FieldContext): string[] {
  const out: string[] = [];
  for (const w of splitList(raw)) {
    const name = FAILURE_EVENTS.find((e) => e.toLowerCase() === w.toLowerCase());
    if (name === undefined) {
      fail('VG_CONFIG_TYPE', `"${w}" is not a security event that reports a failure (${FAILURE_EVENTS.join(', ')})`, ctx);
    }
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

/** Validated by the filters' own zone parser; kept as text (null: the host's local time). */
function parseTimezone(raw: string, ctx: FieldContext): string | null {
  const v = raw.trim();
  if (v === '' || v.toLowerCase() === 'local') return null;
  parseTimeZone(v, ctx.place);
  return v;
}

function parseMultipliers(raw: string, ctx: FieldContext): number[] {
  return splitList(raw).map((w) => {
    if (!/^\d+(\.\d+)?$/.test(w) || Number(w) <= 0) fail('VG_CONFIG_TYPE', `"${w}" is not a positive number`, ctx);
    return Number(w);
  });
}

const PORT_RE = /^[A-Za-z0-9_-]+(:[A-Za-z0-9_-]+)?(\s*,\s*[A-Za-z0-9_-]+(:[A-Za-z0-9_-]+)?)*$/;
const PROTOCOL_RE = /^(tcp|udp|sctp|udplite|icmp|ipv6-icmp|all)(\s*,\s*(tcp|udp|sctp|udplite|icmp|ipv6-icmp|all))*$/;
const CHAIN_RE = /^[A-Za-z0-9_.-]{1,28}$/;

export const JAIL_FIELDS = {
  enabled: bool('enabled', 'false', 'the jail runs only when true'),
  filter: custom(
    'filter',
    null,
    null as NamedArgs | null,
    'filter.d name with optional [param=value] arguments; empty: no filter (manual bans only)',
    (raw, ctx) => parseNamedArgs(raw, ctx.place),
  ),
  action: custom('actions', null, [] as NamedArgs[], 'action.d names with [name=…, port=…, protocol=…] arguments, one per line', (raw, ctx) =>
    parseNamedArgsList(raw, ctx.place),
  ),
  banaction: custom('banaction', null, null as NamedArgs | null, 'the firewall action that %(action_)s uses', (raw, ctx) => parseNamedArgs(raw, ctx.place)),
  logpath: custom('logpath', null, [] as string[], 'absolute paths or glob patterns, one per line', parseLogpath),
  maxlogfiles: int('maxlogfiles', '1000', 1, 1_000_000, 'files one logpath glob may match; more is a config error (docs/resources.md)'),
  backend: custom('backend', 'auto', 'auto' as Backend, 'auto (also polling, pyinotify, gamin), inotify, polling-only, systemd', parseBackend),
  journalmatch: custom('journalmatch', null, [] as string[], 'journal matches for backend = systemd (FIELD=value, + for or)', (raw, ctx) =>
    parseJournalMatch(raw, ctx.place),
  ),
  maxretry: int('maxretry', '5', 1, 10_000, 'failures within findtime that ban'),
  findtime: duration('findtime', '10m', { permanent: false }, 'the sliding window'),
  bantime: duration('bantime', '10m', { permanent: true }, 'ban length; -1 is permanent'),
  ignoreip: custom('ignoreip', '127.0.0.1/8 ::1', [] as string[], 'IPs and CIDR ranges never banned, space or comma separated', parseIgnoreIp),
  ignoreself: bool('ignoreself', 'true', "never ban the host's own addresses"),
  usedns: custom('usedns', 'no', 'no' as 'no' | 'raw', 'no or raw; yes and warn act as no (voipguard never resolves names)', parseUsedns),
  maxmatches: int('maxmatches', null, 0, 10_000, 'matched lines kept per ban for messages (default: maxretry)', 'maxretry'),
  port: text('port', '0:65535', PORT_RE, 'a port list (5060,5061 or 10000:20000)', 'ports the firewall action blocks'),
  protocol: text('protocol', 'tcp', PROTOCOL_RE, 'a protocol (tcp, udp, all…)', 'protocol the firewall action blocks'),
  chain: custom('chain', 'INPUT', 'INPUT', 'chain the jail chain is hooked into', (raw, ctx) => {
    const v = raw.trim();
    // fail2ban's jail.conf says `chain = <known/chain>`: the action's own default, INPUT
    if (/^<known\/chain>$/.test(v)) return 'INPUT';
    if (!CHAIN_RE.test(v)) fail('VG_CONFIG_TYPE', `"${raw}" is not an iptables chain name`, ctx);
    return v;
  }),
  ami: bool('ami', 'no', 'the jail also takes failures from AMI security events'),
  amievents: custom('amievents', DEFAULT_SECURITY_EVENTS.join(' '), [] as string[], 'AMI security events that count as failures', parseAmiEvents),
  maxskew: boundedDuration(
    'maxskew',
    '10m',
    1000,
    86_400_000,
    'a failure dated further than this from now is refused (old, replayed or forged line); closer, it counts at its time (a clock ahead: at now)',
  ),
  protectregistered: custom(
    'protectregistered',
    'auto',
    'auto' as 'auto' | 'yes' | 'no',
    'yes: an address registered for an account is never banned for failures against that account (docs/registrations.md); auto: yes when the jail reads security events or AMI',
    parseAutoBool,
  ),
  registeredttl: boundedDuration('registeredttl', '1h', 10_000, 86_400_000, 'how long a successful login keeps its address registered for its account'),
  timezone: custom('timezone', null, null as string | null, 'time zone of log timestamps without one (UTC, UTC+0200, Europe/Paris)', parseTimezone),
  ...ACCOUNT_FIELDS,
  // droprepeat, subnetmaxbans, subnetprefix4/6, subnetfindtime (docs/firewall.md)
  ...KERNEL_FIELDS,
} as const;

export const INCREMENT_FIELDS = {
  'bantime.increment': bool('enabled', 'false', 'repeat offenders get longer bans'),
  'bantime.factor': positiveNumber('factor', '1', 'multiplies every increased ban time'),
  'bantime.multipliers': custom(
    'multipliers',
    '',
    [] as number[],
    'ban time multipliers by earlier ban count (the last one repeats); empty: doubling',
    parseMultipliers,
  ),
  'bantime.maxtime': optionalDuration('maxtime', 'cap on an increased ban time'),
  'bantime.rndtime': optionalDuration('rndtime', 'random extra time, up to this much'),
  'bantime.overalljails': bool('overalljails', 'false', 'count earlier bans of the address in every jail'),
} as const;

/** yes/no (every boolean spelling) or auto. */
function parseAutoBool(raw: string, ctx: FieldContext): 'auto' | 'yes' | 'no' {
  if (raw.trim().toLowerCase() === 'auto') return 'auto';
  return parseBool(raw, ctx) ? 'yes' : 'no';
}

/** A duration with bounds: a window wide enough to join separate attempts would lower the count. */
function boundedDuration<P extends string>(prop: P, def: string, minMs: number, maxMs: number, doc: string) {
  return custom(prop, def, 0, doc, (raw, ctx) => {
    const ms = parseDurationField(raw, { permanent: false }, ctx);
    if (ms < minMs || ms > maxMs) {
      fail('VG_CONFIG_TYPE', `${formatMs(ms)} is out of range (${formatMs(minMs)} to ${formatMs(maxMs)})`, ctx);
    }
    return ms;
  });
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${ms / 1000}s`;
}

/** One attempt counts once (docs/ami.md, "One attempt counts once"): the rule and its windows. */
export const CORRELATE_FIELDS = {
  correlate: bool('enabled', 'true', 'signals of one attempt (AMI, security log, notice log) count once; false: every signal counts'),
  'correlate.idwindow': boundedDuration('idWindowMs', '10s', 100, 60_000, 'signals with the same Call-ID within this time of the first are one attempt'),
  'correlate.pointerwindow': boundedDuration(
    'pointerWindowMs',
    '10ms',
    1,
    1000,
    'signals with the same chan_sip/AMI pointer SessionID within this time are one attempt (Asterisk reuses pointers)',
  ),
  'correlate.crosswindow': boundedDuration(
    'crossWindowMs',
    '2s',
    100,
    10_000,
    'signals of different sources without a shared id, within this time, can be one attempt',
  ),
  'correlate.retain': boundedDuration('retainMs', '30s', 1000, 600_000, 'how long an attempt waits for its late signals (a log read late)'),
} as const;

export type JailValues = Values<typeof JAIL_FIELDS>;
export type IncrementConfig = Values<typeof INCREMENT_FIELDS>;
export type CorrelateConfig = Values<typeof CORRELATE_FIELDS>;

export interface JailConfig extends JailValues {
  readonly name: string;
  readonly increment: IncrementConfig;
  readonly correlate: CorrelateConfig;
  /** Every key in effect for the jail (DEFAULT and own), interpolated: actions resolve <tags> from it. */
  readonly raw: Readonly<Record<string, string>>;
  /** The first file that sets a key of the section (for messages). */
  readonly file: string;
}

/** Keys read under another name (fail2ban's logtimezone is our timezone). */
export const JAIL_ALIASES: Readonly<Record<string, string>> = Object.freeze({ logtimezone: 'timezone' });
