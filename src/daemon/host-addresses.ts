// The host's own addresses, read from the interfaces each time they are asked for (an address
// added after start counts): the concrete HostAddresses that app.ts gives the subnet bans.

import { networkInterfaces } from 'node:os';
import { normalizeIp } from '../core/ip.js';
import type { HostAddresses } from '../core/protection.js';

export class OsHostAddresses implements HostAddresses {
  constructor(private readonly read: typeof networkInterfaces = networkInterfaces) {}

  addresses(): readonly string[] {
    const out = new Set<string>();
    for (const list of Object.values(this.read())) {
      for (const a of list ?? []) {
        const ip = normalizeIp(a.address, true);
        if (ip) out.add(ip);
      }
    }
    return [...out];
  }
}
