// The per-ban values of dynamic tags. All are voipguard's own numbers or the canonical address:
// nothing an attacker wrote reaches a command except an IP that core/ip.ts has parsed. Only the
// tags a template uses are computed (a 100,000-ban restore renders 100,000 lines).

import type { DynamicTag, Slot, TagValues } from './command-template.js';
import type { FirewallBan } from './firewall.js';

/** ipset's largest timeout (s). A longer ban is re-added by the periodic check when it lapses. */
export const MAX_KERNEL_TIMEOUT_S = 2_147_483;

/** The dynamic tags used by a set of compiled lines. */
export function tagsUsed(lines: readonly (readonly Slot[])[]): ReadonlySet<DynamicTag> {
  const out = new Set<DynamicTag>();
  for (const l of lines) for (const s of l) if (typeof s !== 'string') out.add(s.tag);
  return out;
}

export function banTagValues(b: FirewallBan, now: number, needed: ReadonlySet<DynamicTag>): TagValues {
  const v: Partial<Record<DynamicTag, string>> = { ip: b.ip };
  if (needed.has('timeout') || needed.has('duration')) {
    const remaining = b.until === null ? 0 : Math.min(MAX_KERNEL_TIMEOUT_S, Math.max(1, Math.ceil((b.until - now) / 1000)));
    v.timeout = String(remaining);
    v.duration = `${remaining}s`;
  }
  if (needed.has('bantime')) v.bantime = b.until === null ? '-1' : String(Math.max(0, Math.round((b.until - b.time) / 1000)));
  if (needed.has('failures')) v.failures = String(b.failures);
  if (needed.has('bancount')) v.bancount = String(b.banCount);
  if (needed.has('time')) v.time = String(Math.floor(b.time / 1000));
  return v;
}
