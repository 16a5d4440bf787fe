// Which entries of a feed reach the kernel. A feed is someone else's list: an entry is skipped (and
// counted by reason) when it covers or falls inside an ignoreip range of the feed's jails or an
// allowfile range, when it holds one of the host's own addresses or an address with a live
// registration, or when it is wider than /8 (IPv4) or /16 (IPv6). Entries inside another entry
// of the same list are folded into it (interval sets refuse overlaps).
//
// Overlap tests are set lookups on the networks that contain a range at each shorter prefix, so
// 100,000 entries against thousands of protected addresses stay linear.

import { parseCidr, type Cidr } from '../core/ip.js';

export const MIN_PREFIX4 = 8;
export const MIN_PREFIX6 = 16;

export interface ScreenInput {
  /** Canonical entries (feed-parse.ts). */
  readonly entries: readonly string[];
  /** ignoreip ranges of the feed's jails. */
  readonly ignore: readonly string[];
  /** allowfile ranges. */
  readonly allow: readonly string[];
  readonly host: readonly string[];
  readonly registered: readonly string[];
}

export interface SkipCounts {
  ignoreip: number;
  allowfile: number;
  host: number;
  registered: number;
  wide: number;
}

export interface ScreenResult {
  /** What goes into the kernel set. */
  readonly kept: Cidr[];
  readonly skipped: SkipCounts;
  /** Entries folded into a wider entry of the same list. */
  readonly folded: number;
}

/** A key naming the network of `bytes` at `prefix`. */
function keyAt(family: 4 | 6, bytes: Uint8Array, prefix: number): string {
  if (family === 4) {
    const n = ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    return `4/${prefix}/${(n & mask) >>> 0}`;
  }
  let s = `6/${prefix}/`;
  for (let i = 0; i < 16; i++) {
    const bits = prefix - i * 8;
    const b = bits >= 8 ? bytes[i]! : bits <= 0 ? 0 : bytes[i]! & ((0xff << (8 - bits)) & 0xff);
    s += b.toString(16) + '.';
  }
  return s;
}

/** The keys of a range and of every network that contains it. */
function supernetKeys(c: Cidr): string[] {
  const out: string[] = [];
  for (let p = 0; p <= c.prefix; p++) out.push(keyAt(c.family, c.bytes, p));
  return out;
}

/** Ranges that must not be blocked, or covered: overlap with any of them is a set lookup per prefix. */
class Protected {
  /** Every protected range's own key. */
  private readonly exact = new Set<string>();
  /** The keys of every network that contains a protected range (itself included). */
  private readonly covering = new Set<string>();
  constructor(ranges: readonly string[]) {
    for (const r of ranges) {
      const c = parseCidr(r, true);
      if (c === null) continue;
      this.exact.add(keyAt(c.family, c.bytes, c.prefix));
      for (const k of supernetKeys(c)) this.covering.add(k);
    }
  }
  get empty(): boolean {
    return this.exact.size === 0;
  }
  /** True when `c` contains a protected range or lies inside one. */
  overlaps(c: Cidr, own: string, supers: () => string[]): boolean {
    if (this.empty) return false;
    if (this.covering.has(own)) return true;
    for (const k of supers()) if (this.exact.has(k)) return true;
    return false;
  }
}

export function screenEntries(input: ScreenInput): ScreenResult {
  const ignore = new Protected(input.ignore);
  const allow = new Protected(input.allow);
  const host = new Protected(input.host);
  const registered = new Protected(input.registered);
  const skipped: SkipCounts = { ignoreip: 0, allowfile: 0, host: 0, registered: 0, wide: 0 };
  const candidates: { c: Cidr; key: string }[] = [];
  for (const e of input.entries) {
    const c = parseCidr(e);
    if (c === null) continue; // feed-parse.ts let only canonical entries through
    if (c.prefix < (c.family === 4 ? MIN_PREFIX4 : MIN_PREFIX6)) {
      skipped.wide++;
      continue;
    }
    const own = keyAt(c.family, c.bytes, c.prefix);
    let supers: string[] | null = null;
    const lazy = (): string[] => (supers ??= supernetKeys(c));
    if (host.overlaps(c, own, lazy)) skipped.host++;
    else if (registered.overlaps(c, own, lazy)) skipped.registered++;
    else if (ignore.overlaps(c, own, lazy)) skipped.ignoreip++;
    else if (allow.overlaps(c, own, lazy)) skipped.allowfile++;
    else candidates.push({ c, key: own });
  }
  // fold entries that a wider entry of the list already holds
  const keys = new Set(candidates.map((x) => x.key));
  const kept: Cidr[] = [];
  let folded = 0;
  for (const { c } of candidates) {
    let inside = false;
    for (let p = c.family === 4 ? MIN_PREFIX4 : MIN_PREFIX6; p < c.prefix && !inside; p++) inside = keys.has(keyAt(c.family, c.bytes, p));
    if (inside) folded++;
    else kept.push(c);
  }
  return { kept, skipped, folded };
}

export function skippedTotal(s: SkipCounts): number {
  return s.ignoreip + s.allowfile + s.host + s.registered + s.wide;
}
