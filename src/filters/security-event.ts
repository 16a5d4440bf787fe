// A security event (from a `SecurityEvent="…",Key="…"` log line or an AMI message) as ordered
// key/value pairs → a Failure, or null. Shared by the log filter and the AMI source so both sources
// yield the same record for the same event.
//
// Rules (docs/asterisk-formats.md, "Security events"):
// - only the configured event names count (default: the four failures); ChallengeSent and
//   SuccessfulAuth never do, whatever the configuration says;
// - the address comes from RemoteAddress `IPV4|IPV6/[transport/]addr/port`; when any key occurs
//   twice the event is hostile: the LAST RemoteAddress (the one Asterisk wrote after the attacker's
//   fields) is used and `duplicateKeys` is reported to the caller, which logs and counts it;
// - chan_sip's events (Service "SIP") give no failure: their RemoteAddress can come from a Via maddr=;
// - EventTV in the 12+ ISO form (`2015-05-24T08:42:16.296+0300`) or the 11 form (`sec-usec`).

import { DEFAULT_SECURITY_EVENTS } from '../config/ami-events.js';
import { normalizeIp } from '../core/ip.js';
import type { AuthSignal, AuthSignalKind } from '../core/auth-signal.js';
import type { Failure, Origin } from '../core/types.js';

// the default of a jail's `amievents` is a config value (config/ami-events.ts); re-exported for the filters
export { DEFAULT_SECURITY_EVENTS };

const NEVER_FAILURES = new Set(['ChallengeSent', 'SuccessfulAuth']);

export interface SecurityEventResult {
  readonly failure: Failure | null;
  /** A ChallengeSent or SuccessfulAuth the caller asked for (`signals`): never a failure. */
  readonly signal?: AuthSignal;
  /** Keys that occurred more than once (lowercased): the event is hostile. */
  readonly duplicateKeys: readonly string[];
  /** Why there is no failure, for `voipguard regex` and debug logs. */
  readonly reason?: 'not-a-failure-event' | 'no-remote-address' | 'bad-remote-address' | 'untrusted-address';
}

export interface SecurityEventContext {
  readonly origin: Origin;
  readonly source: string;
  readonly fallbackTime: number; // used when EventTV is absent or unreadable
  readonly events?: ReadonlySet<string>; // event names that count; default DEFAULT_SECURITY_EVENTS
  /** The informational events to read as signals (docs/beyond-one-address.md); default none. */
  readonly signals?: ReadonlySet<AuthSignalKind>;
  readonly line?: string;
  /** The pairs hold each key once already (an AMI event shaped by the session): no repeat check. */
  readonly uniqueKeys?: boolean;
}

const DEFAULT_SET = new Set(DEFAULT_SECURITY_EVENTS);
type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** The empty list of repeated keys, shared (no array per clean event). */
export const NO_KEYS: readonly string[] = Object.freeze([]);

export function securityEventToFailure(pairs: ReadonlyArray<readonly [string, string]>, ctx: SecurityEventContext): SecurityEventResult {
  // one pass: the fields a failure needs (the last copy of each), and the keys given twice
  let name: string | undefined;
  let service: string | undefined;
  let remote: string | undefined;
  let tv: string | undefined;
  let account: string | undefined;
  let session: string | undefined;
  let usingPassword: string | undefined;
  // one pair cannot repeat a key (the high-volume ChallengeSent lines come as their name alone)
  const seen = ctx.uniqueKeys === true || pairs.length < 2 ? null : new Set<string>();
  let dups: string[] | null = null;
  for (const [k, v] of pairs) {
    const key = k.toLowerCase();
    if (seen === null) {
      // one copy per key by construction
    } else if (seen.has(key)) {
      if (dups === null) dups = [key];
      else if (!dups.includes(key)) dups.push(key);
    } else seen.add(key);
    switch (key) {
      case 'securityevent':
      case 'event':
        // the event name is the first one given: Asterisk writes it first, an attacker can only add later
        if (name === undefined) name = v.trim();
        break;
      case 'service':
        service = v;
        break;
      case 'remoteaddress':
        remote = v;
        break;
      case 'eventtv':
        tv = v;
        break;
      case 'accountid':
        account = v;
        break;
      case 'sessionid':
        session = v;
        break;
      case 'usingpassword':
        usingPassword = v;
        break;
    }
  }
  const duplicateKeys = dups ?? NO_KEYS;
  const wanted = ctx.events ?? DEFAULT_SET;
  const asSignal = name !== undefined && NEVER_FAILURES.has(name) && ctx.signals?.has(name as AuthSignalKind) === true;
  if (!name || (!asSignal && (NEVER_FAILURES.has(name) || !wanted.has(name)))) {
    return { failure: null, duplicateKeys, reason: 'not-a-failure-event' };
  }
  // chan_sip (Service "SIP") reports p->sa, which check_via() sets to the host of the top Via's
  // maddr= parameter, port from the Via: a caller's choice (docs/security.md, "chan_sip and Via
  // maddr"). Its NOTICE lines print the packet's source: those are what counts for chan_sip.
  if (service === 'SIP') return { failure: null, duplicateKeys, reason: 'untrusted-address' };
  if (remote === undefined) return { failure: null, duplicateKeys, reason: 'no-remote-address' };
  const addr = parseAsteriskAddress(remote);
  if (addr === null) return { failure: null, duplicateKeys, reason: 'bad-remote-address' };
  const time = (tv !== undefined ? parseEventTv(tv) : null) ?? ctx.fallbackTime;
  if (asSignal) {
    // read through the same checks as a failure (trusted address, EventTV), counted as none
    const signal: Mutable<AuthSignal> = { kind: name as AuthSignalKind, ip: addr.ip, time, origin: ctx.origin, source: ctx.source };
    if (service) signal.service = service;
    if (account !== undefined) signal.account = account;
    if (session !== undefined) signal.sessionId = session;
    if (usingPassword !== undefined) signal.usingPassword = usingPassword.trim() !== '0';
    return { failure: null, signal, duplicateKeys, reason: 'not-a-failure-event' };
  }
  // built field by field: an optional field is absent, not undefined (spreads cost an object each)
  const failure: Mutable<Failure> = { ip: addr.ip, time, kind: name, origin: ctx.origin, source: ctx.source };
  if (service) failure.service = service;
  if (addr.transport) failure.transport = addr.transport;
  if (account !== undefined) failure.account = account;
  if (session !== undefined) failure.sessionId = session;
  if (ctx.line !== undefined) failure.line = ctx.line;
  return { failure, duplicateKeys };
}

/** `IPV4/UDP/203.0.113.5/5060`, `IPV6/2001:db8::1/5060` (no transport), `IPV4/TLS/…` → ip, transport. */
export function parseAsteriskAddress(text: string): { ip: string; transport: string | null; port: number } | null {
  const t = text.trim();
  // IPV4|IPV6 / [transport /] address / port: scanned by hand (a v6 address holds no slash)
  const s1 = t.indexOf('/');
  const sLast = t.lastIndexOf('/');
  if (s1 < 0 || sLast === s1) return null;
  const fam = t.slice(0, s1).toUpperCase();
  if (fam !== 'IPV4' && fam !== 'IPV6') return null;
  const s2 = t.indexOf('/', s1 + 1);
  let transport: string | null = null;
  let addrStart = s1 + 1;
  if (s2 !== sLast) {
    if (t.indexOf('/', s2 + 1) !== sLast) return null; // more than four parts
    transport = t.slice(s1 + 1, s2).toUpperCase();
    if (!TRANSPORT.test(transport)) return null;
    addrStart = s2 + 1;
  }
  const ip = normalizeIp(t.slice(addrStart, sLast));
  const portText = t.slice(sLast + 1);
  if (ip === null || !PORT.test(portText)) return null;
  const port = Number(portText);
  if (port > 65535) return null;
  // IPv4-mapped sources are printed as IPV4; a plain v6 under IPV4 (or the reverse) is not Asterisk's
  if ((fam === 'IPV4') !== !ip.includes(':')) return null;
  return { ip, transport, port };
}

const TRANSPORT = /^[A-Z]{2,5}$/;
const PORT = /^\d{1,5}$/;

/** EventTV: `2015-05-24T08:42:16.296+0300` (12+) or `1368439853-500975` (11, µs not zero-padded). */
export function parseEventTv(text: string): number | null {
  const fast = isoFast(text);
  if (fast !== undefined) return fast;
  const s = text.trim();
  const old = OLD_TV.exec(s);
  if (old) return Number(old[1]) * 1000 + Math.floor(Number(old[2]) / 1000);
  const iso = ISO_TV.exec(s);
  if (!iso) return null;
  const [, y, mo, d, h, mi, se, frac, sign, oh, om] = iso;
  const ms = frac ? Number((frac + '00').slice(0, 3)) : 0;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se), ms);
  const offset = (Number(oh) * 60 + Number(om)) * 60_000 * (sign === '-' ? -1 : 1);
  const t = utc - offset;
  return Number.isFinite(t) ? t : null;
}

const OLD_TV = /^(\d{9,11})-(\d{1,6})$/;
const ISO_TV = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([+-])(\d{2}):?(\d{2})$/;

/**
 * The form Asterisk 12+ writes, `YYYY-MM-DDTHH:MM:SS.mmm±HHMM` (28 characters), read digit by digit
 * without a regex or a string: one per AMI event, so on the flood path. Anything else (other
 * fraction lengths, `±HH:MM`, spaces) is left to the regex: undefined.
 */
function isoFast(s: string): number | null | undefined {
  if (s.length !== 28 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84) return undefined;
  if (s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58 || s.charCodeAt(19) !== 46) return undefined;
  const sign = s.charCodeAt(23);
  if (sign !== 43 && sign !== 45) return undefined;
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  const se = digits(s, 17, 2);
  const ms = digits(s, 20, 3);
  const oh = digits(s, 24, 2);
  const om = digits(s, 26, 2);
  if ((y | mo | d | h | mi | se | ms | oh | om) < 0) return undefined;
  const t = Date.UTC(y, mo - 1, d, h, mi, se, ms) - (oh * 60 + om) * 60_000 * (sign === 45 ? -1 : 1);
  return Number.isFinite(t) ? t : null;
}

/** The decimal number of `n` ASCII digits at `at`, or -1 when one is no digit. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}
