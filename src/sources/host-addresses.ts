// The host's own addresses, read from the interfaces each time they are asked for (an address added
// by DHCP or a VPN after start counts). Feeds never block them (core/protection.ts HostAddresses).

import { networkInterfaces } from 'node:os';
import { normalizeIp } from '../core/ip.js';
import type { HostAddresses } from '../core/protection.js';

export class InterfaceAddresses implements HostAddresses {
  addresses(): readonly string[] {
    const out = new Set<string>();
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) {
        // a link-local address carries its zone in `scopeid`, not in the text: normalizeIp takes it
        const ip = normalizeIp(a.address);
        if (ip) out.add(ip);
      }
    }
    return [...out];
  }
}
