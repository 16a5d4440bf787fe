// The host's own addresses, read from the interfaces each time they are asked for (an address
// added by DHCP or a VPN after start counts at once). The concrete HostAddresses (core/protection.ts)
// that app.ts passes to whatever must never ban the host itself (bans from other nodes, subnet bans).

import { networkInterfaces } from 'node:os';
import { normalizeIp } from '../core/ip.js';
import type { HostAddresses } from '../core/protection.js';

type InterfaceReader = () => ReturnType<typeof networkInterfaces>;

export class OsHostAddresses implements HostAddresses {
  /** `read` is os.networkInterfaces unless a test passes its own. */
  constructor(private readonly read: InterfaceReader = networkInterfaces) {}

  addresses(): readonly string[] {
    const out = new Set<string>();
    for (const list of Object.values(this.read())) {
      for (const a of list ?? []) {
        // fe80::1%eth0: the zone is dropped; the address is what a ban would name
        const ip = normalizeIp(a.address.replace(/%.*$/, ''));
        if (ip !== null) out.add(ip);
      }
    }
    return [...out];
  }
}
