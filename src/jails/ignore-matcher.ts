// Who is never banned: loopback always, the host's own addresses (ignoreself), and ignoreip.
// This runs on every failure, so single addresses are compared as strings (a few: one by one, no
// hash; more: a Set lookup) and IPv4 ranges a mask test on the canonical dotted quad; only IPv6
// ranges parse the address. Entries that loopback already covers (the default 127.0.0.1/8 ::1)
// cost nothing.

import { cidrContains, cidrOverlaps, IpRangeList, isLoopback, normalizeIp, parseCidr, parseIp, type Cidr } from '../core/ip.js';

export type IgnoreReason = 'loopback' | 'self' | 'ignoreip';

/** Up to this many single addresses, comparing each costs less than hashing the address once for
 *  a Set (a compare of two strings of different lengths is one length check). */
const FEW = 8;

/** Single addresses: a short array compared one by one, or a Set. */
class AddressSet {
  private readonly few: readonly string[];
  private readonly many: ReadonlySet<string> | null;

  constructor(addresses: Iterable<string>) {
    const all = new Set(addresses);
    this.few = all.size <= FEW ? [...all] : [];
    this.many = all.size <= FEW ? null : all;
  }

  has(ip: string): boolean {
    if (this.many !== null) return this.many.has(ip);
    for (const a of this.few) if (a === ip) return true;
    return false;
  }

  values(): readonly string[] {
    return this.many !== null ? [...this.many] : this.few;
  }
}
const LOOPBACK_V4 = parseCidr('127.0.0.0/8')!;
const LOOPBACK = [LOOPBACK_V4, parseCidr('::1')!];

export class IgnoreMatcher {
  private readonly list = new IpRangeList();
  private readonly self: AddressSet;
  private exact = new AddressSet([]);
  private v4: { net: number; mask: number }[] = [];
  private v6 = new IpRangeList();
  private hasV6 = false;

  constructor(ignoreip: readonly string[], selfAddresses: readonly string[]) {
    for (const e of ignoreip) this.add(e);
    const self: string[] = [];
    for (const a of selfAddresses) {
      const n = normalizeIp(a);
      if (n !== null && !isLoopback(n)) self.push(n);
    }
    this.self = new AddressSet(self);
  }

  /** Adds an ignoreip entry (IP or CIDR). Returns false when it is already there; throws on bad text. */
  add(entry: string): boolean {
    const c = parseCidr(entry.trim());
    if (c === null) throw new RangeError(`"${entry}" is not an IP address or CIDR range`);
    const added = this.list.add(c);
    if (added) this.rebuild();
    return added;
  }

  remove(entry: string): boolean {
    const removed = this.list.remove(entry.trim());
    if (removed) this.rebuild();
    return removed;
  }

  entries(): string[] {
    return this.list.list();
  }

  /** `ip` must be canonical (what parseIp/normalizeIp give). */
  match(ip: string): IgnoreReason | null {
    if (ip.startsWith('127.') || ip === '::1') return 'loopback';
    if (this.self.has(ip)) return 'self';
    if (this.exact.has(ip)) return 'ignoreip';
    if (this.v4.length > 0 && !ip.includes(':')) {
      const n = v4ToInt(ip);
      for (const r of this.v4) if ((n & r.mask) >>> 0 === r.net) return 'ignoreip';
    } else if (this.hasV6 && ip.includes(':')) {
      if (this.v6.contains(ip)) return 'ignoreip';
    }
    return null;
  }

  /**
   * For a range ban: why some address of `range` is never banned (a range holding loopback, one of
   * the host's addresses or any ignoreip address), or null. Runs once per manual ban, never per failure.
   */
  overlap(range: Cidr): IgnoreReason | null {
    if (LOOPBACK.some((l) => cidrOverlaps(l, range))) return 'loopback';
    for (const a of this.self.values()) {
      const ip = parseIp(a);
      if (ip !== null && cidrContains(range, ip)) return 'self';
    }
    for (const text of this.list.list()) if (cidrOverlaps(parseCidr(text)!, range)) return 'ignoreip';
    return null;
  }

  private rebuild(): void {
    const exact: string[] = [];
    const v4: { net: number; mask: number }[] = [];
    const v6: Cidr[] = [];
    for (const text of this.list.list()) {
      const c = parseCidr(text)!;
      const full = c.prefix === (c.family === 4 ? 32 : 128);
      if (full) {
        const ip = c.text.split('/')[0]!;
        if (!isLoopback(ip)) exact.push(ip); // match() answers loopback before it looks
      } else if (c.family === 4) {
        if (c.prefix >= LOOPBACK_V4.prefix && isLoopback([...c.bytes].join('.'))) continue;
        const mask = c.prefix === 0 ? 0 : (0xffffffff << (32 - c.prefix)) >>> 0;
        v4.push({ net: bytesToInt(c.bytes), mask });
      } else v6.push(c);
    }
    this.exact = new AddressSet(exact);
    this.v4 = v4;
    this.v6 = new IpRangeList(v6);
    this.hasV6 = v6.length > 0;
  }
}

function bytesToInt(b: Uint8Array): number {
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/** Canonical dotted quad → uint32, without allocating. */
function v4ToInt(ip: string): number {
  let n = 0;
  let part = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      n = n * 256 + part;
      part = 0;
    } else part = part * 10 + (c - 48);
  }
  return n * 256 + part;
}
