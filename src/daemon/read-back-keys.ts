// The store keys a jail looks up before deciding about an address (Jail.failure: the address, then
// the subnet prefix it may be banned under): while the stored bans are read back
// (daemon/jail-restore.ts), the runtime reads these rows first, so that a ban not read yet still
// counts. Canonical forms, as the store holds them; an unparsable text is looked up as it is.

import type { JailConfig } from '../config/load-config.js';
import { parseCidr } from '../core/ip.js';

export function readBackKeys(ip: string, cfg: Pick<JailConfig, 'subnetmaxbans' | 'subnetprefix4' | 'subnetprefix6'>): string[] {
  const c = parseCidr(ip);
  if (c === null) return [ip];
  const key = c.text;
  if (cfg.subnetmaxbans === 0 || key.includes('/')) return [key];
  const prefix = parseCidr(`${key}/${key.includes(':') ? cfg.subnetprefix6 : cfg.subnetprefix4}`)?.text ?? null;
  return prefix !== null && prefix !== key ? [key, prefix] : [key];
}
