// The addresses and ranges an operator names (banip, unbanip, addignoreip), checked before the jail
// acts on them, and how the jail says why an address is never banned.

import { VoipguardError } from '../core/errors.js';
import { parseBanTarget, parseCidr } from '../core/ip.js';
import type { IgnoreReason } from './ignore-matcher.js';

/** An address, or a range (`net/prefix`, canonical) for manual bans: docs/service.md, "Runtime settings and range bans". */
export function banTarget(text: string): string {
  const t = parseBanTarget(text.trim());
  if (t === null) throw new VoipguardError('VG_BAD_IP', `"${text}" is not an IP address or CIDR range`);
  if ('refused' in t) throw new VoipguardError('VG_BAN_RANGE', t.refused);
  return t.target.text;
}

/** An ignoreip entry added or removed at run time: an address or a range, canonical. */
export function ignoreRange(text: string): string {
  const c = parseCidr(text.trim());
  if (c === null) throw new VoipguardError('VG_BAD_IP', `"${text}" is not an IP address or CIDR range`);
  return c.text;
}

export function describeIgnore(why: IgnoreReason): string {
  return why === 'loopback' ? 'loopback' : why === 'self' ? "one of this host's own addresses" : 'in ignoreip';
}
