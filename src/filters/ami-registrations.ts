// AMI events → registration signals (docs/registrations.md): SuccessfulAuth (a login Asterisk
// accepted, address from RemoteAddress), ContactStatus (a PJSIP contact created, refreshed,
// qualified or removed) and ContactList (an item of the PJSIPShowContacts answer at connect).
// Pure: no clock (the event carries receivedAt), no state.
//
// Trust: SuccessfulAuth's RemoteAddress is Asterisk's packet source. A contact's URI is what the
// registering device wrote in its Contact header (Asterisk rewrites the host to the packet source
// only with rewrite_contact = yes), and ContactList's ViaAddr is the device's own Via sent-by: the
// contact's host is kept as a claim, which the registration book believes only for an address that
// also logged in successfully for the same account (jails/registration-book.ts).
// An event that the AMI session found planted lines in registers nothing.

import { parseHostPort } from '../core/ip.js';
import { MAX_ACCOUNT_CHARS, type ContactSignal, type RegistrationSignal } from '../core/registration.js';
import type { AmiEvent } from '../core/types.js';
import { successfulAuth } from './successful-auth.js';

/** Longest contact URI kept (Asterisk's own limit for a contact URI is 511 bytes, PJSIP_MAX_URL_SIZE). */
const MAX_URI = 512;

const LIVE_STATES = new Set(['created', 'updated', 'reachable', 'unknown', 'nonqualified']);

/** The registration signal an AMI event carries, or null (most events carry none). */
export function amiRegistration(e: AmiEvent): RegistrationSignal | null {
  const name = e.fields
    .find(([k]) => k.toLowerCase() === 'event')?.[1]
    ?.trim()
    .toLowerCase();
  if (name !== 'successfulauth' && name !== 'contactstatus' && name !== 'contactlist') return null;
  if ((e.hostile?.length ?? 0) > 0 || (e.malformedLines ?? 0) > 0) return null;
  if (name === 'successfulauth') return successfulAuth(e.fields, { origin: 'ami', source: 'ami', fallbackTime: e.receivedAt });
  const f = new Map<string, string>();
  for (const [k, v] of e.fields) {
    const key = k.toLowerCase();
    if (f.has(key)) return null; // a key written twice: not Asterisk's event
    f.set(key, v.trim());
  }
  return name === 'contactstatus' ? contactStatus(f, e.receivedAt) : contactListItem(f, e.receivedAt);
}

function contactStatus(f: ReadonlyMap<string, string>, now: number): ContactSignal | null {
  const uri = f.get('uri');
  const aor = f.get('aor');
  const status = f.get('contactstatus')?.toLowerCase();
  if (!uri || !aor || !status) return null;
  const account = f.get('endpointname') || aor;
  const state = status === 'removed' ? 'removed' : status === 'unreachable' ? 'down' : LIVE_STATES.has(status) ? 'live' : null;
  if (state === null) return null;
  return contact(aor, uri, account, state, null, now);
}

/** `Event: ContactList` (PJSIPShowContacts): ObjectName `<aor>;@<hash>`, Endpoint, Uri, Status, ExpirationTime (unix s). */
function contactListItem(f: ReadonlyMap<string, string>, now: number): ContactSignal | null {
  const uri = f.get('uri');
  const objectName = f.get('objectname') ?? '';
  const cut = objectName.indexOf(';@');
  const aor = f.get('aor') || (cut > 0 ? objectName.slice(0, cut) : '');
  if (!uri || !aor) return null;
  const account = f.get('endpoint') || aor;
  const status = (f.get('status') ?? 'unknown').toLowerCase();
  const exp = f.get('expirationtime');
  const expires = exp !== undefined && /^\d{1,12}$/.test(exp) && Number(exp) > 0 ? Number(exp) * 1000 : null;
  return contact(aor, uri, account, status === 'unreachable' ? 'down' : 'live', expires, now);
}

function contact(aor: string, uri: string, account: string, state: ContactSignal['state'], expires: number | null, now: number): ContactSignal | null {
  if (uri.length > MAX_URI || aor.length > MAX_ACCOUNT_CHARS || account.length > MAX_ACCOUNT_CHARS) return null;
  return { type: 'contact', aor, uri, account, host: contactHost(uri), state, expires, time: now };
}

/**
 * The host of a SIP URI as an address: `sip:1001@203.0.113.7:5060;transport=udp` → 203.0.113.7,
 * `sips:1001@[2001:db8::7]:5061` → 2001:db8::7. A name, or anything else, → null (names are never
 * resolved). Only the host part between `@` (or the scheme) and the first `;`, `?` or `>` is read.
 */
export function contactHost(uri: string): string | null {
  const m = /^<?sips?:(?:[^@;?>]*@)?([^;?>]+)/i.exec(uri.trim());
  if (!m) return null;
  const hostPort = m[1]!;
  // an IPv6 host is bracketed in a SIP URI (RFC 3261 §25.1): a bare one is refused, not guessed
  if (!hostPort.startsWith('[') && hostPort.indexOf(':') !== hostPort.lastIndexOf(':')) return null;
  return parseHostPort(hostPort)?.ip ?? null;
}
