// A SuccessfulAuth security event (log line or AMI, as ordered key/value pairs) → an AuthSuccess
// record for the registration book, or null. It never becomes a Failure: what counts as a failure
// is security-event.ts's business and does not change (docs/registrations.md).
//
// Rules, the same as for failures (security-event.ts):
// - the address is RemoteAddress, in the position Asterisk writes after the caller's fields; the
//   caller (the log reader, the AMI session) already chose the last one, and an event with a key
//   written twice is hostile: it registers nothing (a login is a privilege, never a guess);
// - chan_sip's events (Service "SIP") register nothing: a Via maddr= can choose their address;
// - the account is AccountID, kept only up to MAX_ACCOUNT_CHARS (a longer one registers nothing),
//   never empty, never PJSIP's `<unknown>` (its artificial endpoint);
// - PJSIP writes UsingPassword 0 when the request carried no Authorization header (an endpoint that
//   asks for none): nothing was proven, so nothing registers. (AMI writes 0 for a challenge login,
//   which is a proof: only PJSIP's 0 is refused.)

import { MAX_ACCOUNT_CHARS, type AuthSuccess } from '../core/registration.js';
import type { Origin } from '../core/types.js';
import { parseAsteriskAddress, parseEventTv } from './security-event.js';

export const SUCCESSFUL_AUTH = 'SuccessfulAuth';

export interface SuccessContext {
  readonly origin: Origin;
  readonly source: string;
  readonly fallbackTime: number;
}

export function successfulAuth(pairs: ReadonlyArray<readonly [string, string]>, ctx: SuccessContext): AuthSuccess | null {
  const nameKey = pairs.find(([k]) => /^(securityevent|event)$/i.test(k));
  if (!nameKey || nameKey[1].trim() !== SUCCESSFUL_AUTH) return null;
  const last = new Map<string, string>();
  for (const [k, v] of pairs) {
    const key = k.toLowerCase();
    if (last.has(key)) return null; // hostile: a planted field
    last.set(key, v);
  }
  const service = last.get('service');
  if (service === 'SIP') return null;
  const remote = last.get('remoteaddress');
  const addr = remote === undefined ? null : parseAsteriskAddress(remote);
  if (addr === null) return null;
  const account = last.get('accountid');
  if (account === undefined || account === '' || account === '<unknown>' || account.length > MAX_ACCOUNT_CHARS) return null;
  if (service === 'PJSIP' && last.get('usingpassword')?.trim() === '0') return null;
  const tv = last.get('eventtv');
  const time = (tv !== undefined ? parseEventTv(tv) : null) ?? ctx.fallbackTime;
  return {
    type: 'auth',
    ip: addr.ip,
    account,
    time,
    origin: ctx.origin,
    source: ctx.source,
    ...(service ? { service } : {}),
  };
}
