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
}

const DEFAULT_SET = new Set(DEFAULT_SECURITY_EVENTS);

export function securityEventToFailure(pairs: ReadonlyArray<readonly [string, string]>, ctx: SecurityEventContext): SecurityEventResult {
  const last = new Map<string, string>();
  const dups: string[] = [];
  for (const [k, v] of pairs) {
    const key = k.toLowerCase();
    if (last.has(key) && !dups.includes(key)) dups.push(key);
    last.set(key, v);
  }
  // The event name is the first one given: Asterisk writes it first, an attacker can only add later.
  const nameKey = pairs.find(([k]) => /^(securityevent|event)$/i.test(k));
  const name = nameKey ? nameKey[1].trim() : '';
  const wanted = ctx.events ?? DEFAULT_SET;
  const asSignal = NEVER_FAILURES.has(name) && ctx.signals?.has(name as AuthSignalKind) === true;
  if (!name || (!asSignal && (NEVER_FAILURES.has(name) || !wanted.has(name)))) {
    return { failure: null, duplicateKeys: dups, reason: 'not-a-failure-event' };
  }
  // chan_sip (Service "SIP") reports p->sa, which check_via() sets to the host of the top Via's
  // maddr= parameter, port from the Via: a caller's choice (docs/security.md, "chan_sip and Via
  // maddr"). Its NOTICE lines print the packet's source: those are what counts for chan_sip.
  if (last.get('service') === 'SIP') return { failure: null, duplicateKeys: dups, reason: 'untrusted-address' };
  const remote = last.get('remoteaddress');
  if (remote === undefined) return { failure: null, duplicateKeys: dups, reason: 'no-remote-address' };
  const addr = parseAsteriskAddress(remote);
  if (addr === null) return { failure: null, duplicateKeys: dups, reason: 'bad-remote-address' };
  const tv = last.get('eventtv');
  const time = (tv !== undefined ? parseEventTv(tv) : null) ?? ctx.fallbackTime;
  const service = last.get('service');
  const account = last.get('accountid');
  const session = last.get('sessionid');
  if (asSignal) {
    // read through the same checks as a failure (trusted address, EventTV), counted as none
    const signal: AuthSignal = {
      kind: name as AuthSignalKind,
      ip: addr.ip,
      time,
      origin: ctx.origin,
      source: ctx.source,
      ...(service ? { service } : {}),
      ...(account !== undefined ? { account } : {}),
      ...(session !== undefined ? { sessionId: session } : {}),
    };
    return { failure: null, signal, duplicateKeys: dups, reason: 'not-a-failure-event' };
  }
  const failure: Failure = {
    ip: addr.ip,
    time,
    kind: name,
    origin: ctx.origin,
    source: ctx.source,
    ...(service ? { service } : {}),
    ...(addr.transport ? { transport: addr.transport } : {}),
    ...(account !== undefined ? { account } : {}),
    ...(session !== undefined ? { sessionId: session } : {}),
    ...(ctx.line !== undefined ? { line: ctx.line } : {}),
  };
  return { failure, duplicateKeys: dups };
}

/** `IPV4/UDP/203.0.113.5/5060`, `IPV6/2001:db8::1/5060` (no transport), `IPV4/TLS/…` → ip, transport. */
export function parseAsteriskAddress(text: string): { ip: string; transport: string | null; port: number } | null {
  const parts = text.trim().split('/');
  if (parts.length !== 3 && parts.length !== 4) return null;
  const fam = parts[0]!.toUpperCase();
  if (fam !== 'IPV4' && fam !== 'IPV6') return null;
  const transport = parts.length === 4 ? parts[1]!.toUpperCase() : null;
  if (transport !== null && !/^[A-Z]{2,5}$/.test(transport)) return null;
  const ip = normalizeIp(parts[parts.length - 2]!);
  const portText = parts[parts.length - 1]!;
  if (ip === null || !/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return null;
  // IPv4-mapped sources are printed as IPV4; a plain v6 under IPV4 (or the reverse) is not Asterisk's
  if ((fam === 'IPV4') !== !ip.includes(':')) return null;
  return { ip, transport, port: Number(portText) };
}

/** EventTV: `2015-05-24T08:42:16.296+0300` (12+) or `1368439853-500975` (11, µs not zero-padded). */
export function parseEventTv(text: string): number | null {
  const s = text.trim();
  const old = /^(\d{9,11})-(\d{1,6})$/.exec(s);
  if (old) return Number(old[1]) * 1000 + Math.floor(Number(old[2]) / 1000);
  const iso = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([+-])(\d{2}):?(\d{2})$/.exec(s);
  if (!iso) return null;
  const [, y, mo, d, h, mi, se, frac, sign, oh, om] = iso;
  const ms = frac ? Math.floor(Number((frac + '00').slice(0, 3))) : 0;
  const utc = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se), ms);
  const offset = (Number(oh) * 60 + Number(om)) * 60_000 * (sign === '-' ? -1 : 1);
  const t = utc - offset;
  return Number.isFinite(t) ? t : null;
}
