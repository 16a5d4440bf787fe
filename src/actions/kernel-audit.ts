// The periodic check's comparison of what an action believes the kernel holds with what the kernel
// lists (moved out of action-instance.ts as it was): bans the kernel lost are queued again, bans
// it holds that nobody asked for are queued for removal. The addresses sent while the listing was
// taken (`touched`) are left out: the listing may predate them.

import { Slicer, turn } from '../core/slices.js';
import { Listing, type FirewallBan } from '../firewall/firewall.js';

/**
 * The read-only half of a check (is the structure intact, which bans does the kernel list), taken
 * outside the jail's firewall queue so a ban never waits for it. Bans and unbans sent while it ran
 * are in `touched`: the check leaves those addresses out of its audit (the listing may predate
 * them), and trusts the rest. `generation` counts the changes of the whole structure (start,
 * repair, flush, relisting): after one of those the probe is of no use, and check() skips its audit
 * (the change itself left the kernel's state freshly known; the next check audits).
 */
export interface CheckProbe {
  readonly generation: number;
  readonly intact: boolean;
  readonly listed: Set<string> | { readonly error: unknown } | null;
  readonly touched: ReadonlySet<string>;
}

/** Past this many addresses sent during one probe, the probe is treated as stale (memory bound). */
export const MAX_TOUCHED = 100_000;

// a kernel timer rounds up to whole seconds: a ban this close to its end may lapse on its own
const EXPIRY_SLACK_MS = 2000;

/** The instance's maps, changed in place. */
export interface KernelView {
  readonly inKernel: Map<string, FirewallBan>;
  readonly pendingBan: Map<string, FirewallBan>;
  readonly pendingUnban: Set<string>;
  readonly backlog: ReadonlyMap<string, FirewallBan>;
}

/**
 * Compares `view` with the kernel's listing; returns how many bans were lost and how many are
 * unknown. A turn of the event loop every SLICE addresses (100,000 bans held: two passes of 100,000);
 * the caller runs in the jail's firewall queue, so nothing else changes the maps meanwhile.
 */
export async function compareListing(
  v: KernelView,
  listed: ReadonlySet<string>,
  touched: ReadonlySet<string>,
  now: number,
  kernelTimeouts: boolean,
): Promise<{ lost: number; unknown: number }> {
  const slicer = new Slicer();
  let lost = 0;
  for (const [ip, b] of v.inKernel) {
    if (slicer.due()) await turn();
    if (listed.has(ip) || touched.has(ip)) continue;
    v.inKernel.delete(ip);
    if (kernelTimeouts && b.until !== null && b.until <= now + EXPIRY_SLACK_MS) continue;
    if (!v.pendingBan.has(ip) && !v.pendingUnban.has(ip) && !v.backlog.has(ip)) v.pendingBan.set(ip, b);
    lost++;
  }
  let unknown = 0;
  for (const ip of listed) {
    if (slicer.due()) await turn();
    if (v.inKernel.has(ip) || v.pendingBan.has(ip) || v.backlog.has(ip) || touched.has(ip)) continue;
    v.inKernel.set(ip, placeholder(ip, listed instanceof Listing && listed.dropped.has(ip)));
    v.pendingUnban.add(ip);
    unknown++;
  }
  return { lost, unknown };
}

// an address found in the kernel whose ban we know nothing about (its timer, if any, is unknown)
export function placeholder(ip: string, drop = false): FirewallBan {
  return { ip, family: ip.includes(':') ? 'inet6' : 'inet4', time: 0, until: null, banCount: 0, failures: 0, ...(drop ? { drop } : {}) };
}
