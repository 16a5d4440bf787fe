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

// One reader for SuccessfulAuth: securityEventToFailure reads it as an AuthSignal (the same checks
// as a failure: the trusted RemoteAddress, EventTV, chan_sip refused) and registrationOf() adds the
// rules above. The compromise alarm (account-guard.ts) reads the same signal.

import type { AuthSignal, AuthSignalKind } from '../core/auth-signal.js';
import { MAX_ACCOUNT_CHARS, type AuthSuccess } from '../core/registration.js';
import type { Origin } from '../core/types.js';
import { securityEventToFailure } from './security-event.js';

export const SUCCESSFUL_AUTH = 'SuccessfulAuth';

export interface SuccessContext {
  readonly origin: Origin;
  readonly source: string;
  readonly fallbackTime: number;
}

const NO_EVENTS: ReadonlySet<string> = new Set();
const ONLY_SUCCESS: ReadonlySet<AuthSignalKind> = new Set(['SuccessfulAuth']);

export function successfulAuth(pairs: ReadonlyArray<readonly [string, string]>, ctx: SuccessContext): AuthSuccess | null {
  const r = securityEventToFailure(pairs, { ...ctx, events: NO_EVENTS, signals: ONLY_SUCCESS });
  if (r.duplicateKeys.length > 0 || r.signal === undefined) return null; // a planted field: registers nothing
  return registrationOf(r.signal);
}

/** The registration a SuccessfulAuth signal proves, or null (see the rules above). */
export function registrationOf(s: AuthSignal): AuthSuccess | null {
  if (s.kind !== 'SuccessfulAuth' || s.service === 'SIP') return null;
  const account = s.account;
  if (account === undefined || account === '' || account === '<unknown>' || account.length > MAX_ACCOUNT_CHARS) return null;
  if (s.service === 'PJSIP' && s.usingPassword === false) return null;
  const out: { -readonly [K in keyof AuthSuccess]: AuthSuccess[K] } = { type: 'auth', ip: s.ip, account, time: s.time, origin: s.origin, source: s.source };
  if (s.service) out.service = s.service;
  return out;
}
