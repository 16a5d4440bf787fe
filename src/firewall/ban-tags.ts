// The per-ban values of dynamic tags. All are voipguard's own numbers or the canonical address:
// nothing an attacker wrote reaches a command except an IP that core/ip.ts has parsed.

import type { TagValues } from '../actions/command-template.js';
import type { FirewallBan } from './firewall.js';

/** ipset's largest timeout (s). A longer ban is re-added by the periodic check when it lapses. */
export const MAX_KERNEL_TIMEOUT_S = 2_147_483;

export function banTagValues(b: FirewallBan, now: number): TagValues {
  const remaining = b.until === null ? 0 : Math.min(MAX_KERNEL_TIMEOUT_S, Math.max(1, Math.ceil((b.until - now) / 1000)));
  return {
    ip: b.ip,
    bantime: b.until === null ? '-1' : String(Math.max(0, Math.round((b.until - b.time) / 1000))),
    timeout: String(remaining),
    duration: `${remaining}s`,
    failures: String(b.failures),
    bancount: String(b.banCount),
    time: String(Math.floor(b.time / 1000)),
  };
}
