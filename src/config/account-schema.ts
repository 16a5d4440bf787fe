// The jail keys of "beyond one address" (docs/beyond-one-address.md): per-account counting across
// addresses, unanswered challenges and the compromise alarm. Spread into JAIL_FIELDS; every default
// keeps the behaviour of a jail that has none of them (accountretry and challengetimeout are off).

import type { AuthSignalKind } from '../core/auth-signal.js';
import { bool, custom, fail, int, parseDurationField, type Field, type FieldContext } from './fields.js';

/** A duration where `0` means off; otherwise between `minMs` and `maxMs`. */
function offOrDuration<P extends string>(prop: P, minMs: number, maxMs: number, doc: string): Field<P, number> {
  return custom(prop, '0', 0, doc, (raw: string, ctx: FieldContext) => {
    if (/^\s*0+\s*$/.test(raw)) return 0;
    const ms = parseDurationField(raw, { permanent: false }, ctx);
    if (ms < minMs || ms > maxMs) fail('VG_CONFIG_TYPE', `${ms / 1000}s is out of range (0 = off, or ${minMs / 1000}s to ${maxMs / 1000}s)`, ctx);
    return ms;
  });
}

/** accountfindtime: a duration, read from the jail's findtime when absent. */
const accountFindtime: Field<'accountfindtime', number> = {
  prop: 'accountfindtime',
  default: null,
  absent: 0,
  fallback: 'findtime',
  doc: 'the window per-account counting looks at (default: findtime)',
  parse: (raw, ctx) => parseDurationField(raw, { permanent: false }, ctx),
};

export const ACCOUNT_FIELDS = {
  accountretry: int('accountretry', '0', 0, 1000, 'failures against one account, from any addresses, within accountfindtime that put it under attack; 0 = off'),
  accountfindtime: accountFindtime,
  accountminfailures: int('accountminfailures', '2', 1, 1000, 'failures against an account under attack that ban an address'),
  challengetimeout: offOrDuration(
    'challengetimeout',
    1000,
    600_000,
    'a ChallengeSent not answered (same address and session) within this time counts as a failure; 0 = off',
  ),
  suspectfailures: int('suspectfailures', '3', 0, 10_000, 'failures within findtime before a successful login that raise the compromise alarm; 0 = off'),
  bansuspected: bool('bansuspected', 'no', 'a successful login that raised the compromise alarm also bans the address'),
} as const;

/** The informational events a jail with these settings reads as signals (the filter and AMI are told). */
export function authSignalsFor(cfg: {
  readonly challengetimeout?: number;
  readonly suspectfailures?: number;
  readonly accountretry?: number;
}): ReadonlySet<AuthSignalKind> {
  const out = new Set<AuthSignalKind>();
  if ((cfg.challengetimeout ?? 0) > 0) out.add('ChallengeSent').add('SuccessfulAuth');
  if ((cfg.suspectfailures ?? 3) > 0) out.add('SuccessfulAuth');
  return out;
}
