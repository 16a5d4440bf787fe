// Which entries of a feed reach the kernel. A feed is someone else's list: an entry is skipped (and
// counted by reason) when it covers or falls inside an ignoreip range of the feed's jails or an
// allowfile range, when it holds one of the host's own addresses or an address with a live
// registration, or when it is wider than /8 (IPv4) or /16 (IPv6). Entries inside another entry
// of the same list are folded into it (interval sets refuse overlaps).
//
// Overlap tests are lookups of numeric keys (IPv4: prefix and network in one number; IPv6: a text
// key) at the prefix lengths that actually occur, so 100,000 entries against thousands of protected
// addresses stay linear and cheap (bench:e2e --sections feed).

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

type Reason = 'host' | 'registered' | 'ignoreip' | 'allowfile';

function mask4(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The IPv4 network of `n` at `prefix` as a signed 32-bit number (a small-integer key). */
function net4(n: number, prefix: number): number {
  return (n & mask4(prefix)) | 0;
}

function key6(bytes: Uint8Array, prefix: number): string {
  let s = `${prefix}/`;
  for (let i = 0; i < 16; i++) {
    const bits = prefix - i * 8;
    const b = bits >= 8 ? bytes[i]! : bits <= 0 ? 0 : bytes[i]! & ((0xff << (8 - bits)) & 0xff);
    s += b.toString(16) + '.';
  }
  return s;
}

/** A canonical IPv4 `a.b.c.d` or `a.b.c.d/p` → [number, prefix], or null for anything else. */
function quick4(text: string): [number, number] | null {
  let n = 0;
  let part = 0;
  let dots = 0;
  let digits = 0;
  let i = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return null;
    } else if (c === 46 && digits > 0 && dots < 3) {
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else break;
  }
  if (dots !== 3 || digits === 0) return null;
  n = n * 256 + part;
  if (i === text.length) return [n, 32];
  if (text.charCodeAt(i) !== 47) return null;
  const p = Number(text.slice(i + 1));
  return Number.isInteger(p) && p >= 0 && p <= 32 ? [n, p] : null;
}

/** One map per prefix length: IPv4 networks as small integers. */
class ByPrefix4<V> {
  private readonly maps: (Map<number, V> | undefined)[] = new Array(33);
  readonly lengths: number[] = [];
  get(n: number, p: number): V | undefined {
    return this.maps[p]?.get(net4(n, p));
  }
  setOnce(n: number, p: number, v: V): void {
    let m = this.maps[p];
    if (m === undefined) {
      m = this.maps[p] = new Map();
      this.lengths.push(p);
      this.lengths.sort((a, b) => a - b);
    }
    const k = net4(n, p);
    if (!m.has(k)) m.set(k, v);
  }
}

/** Protected ranges with their reason; the first reason given to a key wins (host first). */
class Protected {
  readonly exact4 = new ByPrefix4<Reason>();
  readonly covering4 = new ByPrefix4<Reason>();
  readonly exact6 = new Map<string, Reason>();
  readonly covering6 = new Map<string, Reason>();
  readonly prefixes6: number[] = [];

  add(ranges: readonly string[], why: Reason): void {
    for (const r of ranges) {
      const c = parseCidr(r, true);
      if (c === null) continue;
      if (c.family === 4) {
        const n = ((c.bytes[0]! << 24) | (c.bytes[1]! << 16) | (c.bytes[2]! << 8) | c.bytes[3]!) >>> 0;
        this.exact4.setOnce(n, c.prefix, why);
        for (let p = 0; p <= c.prefix; p++) this.covering4.setOnce(n, p, why);
      } else {
        setOnce(this.exact6, key6(c.bytes, c.prefix), why);
        for (let p = 0; p <= c.prefix; p++) setOnce(this.covering6, key6(c.bytes, p), why);
        if (!this.prefixes6.includes(c.prefix)) this.prefixes6.push(c.prefix);
      }
    }
  }

  /** Why an IPv4 range may not be blocked (it holds or lies inside a protected range), or null. */
  check4(n: number, prefix: number): Reason | null {
    const own = this.covering4.get(n, prefix);
    if (own !== undefined) return own;
    for (const p of this.exact4.lengths) {
      if (p > prefix) break;
      const why = this.exact4.get(n, p);
      if (why !== undefined) return why;
    }
    return null;
  }

  check6(c: Cidr): Reason | null {
    const own = this.covering6.get(key6(c.bytes, c.prefix));
    if (own !== undefined) return own;
    for (const p of this.prefixes6) {
      if (p > c.prefix) continue;
      const why = this.exact6.get(key6(c.bytes, p));
      if (why !== undefined) return why;
    }
    return null;
  }
}

function setOnce<K>(m: Map<K, Reason>, k: K, why: Reason): void {
  if (!m.has(k)) m.set(k, why);
}

interface Candidate {
  readonly text: string;
  readonly v4: number;
  readonly prefix: number;
  readonly c6: Cidr | null;
}

export function screenEntries(input: ScreenInput): ScreenResult {
  const guard = new Protected();
  guard.add(input.host, 'host');
  guard.add(input.registered, 'registered');
  guard.add(input.ignore, 'ignoreip');
  guard.add(input.allow, 'allowfile');
  const skipped: SkipCounts = { ignoreip: 0, allowfile: 0, host: 0, registered: 0, wide: 0 };
  const candidates: Candidate[] = [];
  for (const e of input.entries) {
    const q = quick4(e);
    if (q !== null) {
      const [n, prefix] = q;
      if (prefix < MIN_PREFIX4) {
        skipped.wide++;
        continue;
      }
      const why = guard.check4(n, prefix);
      if (why !== null) skipped[why]++;
      else candidates.push({ text: e, v4: (n & mask4(prefix)) >>> 0, prefix, c6: null });
      continue;
    }
    const c = parseCidr(e);
    if (c === null) continue; // feed-parse.ts let only canonical entries through
    if (c.family === 4) {
      // an IPv4 entry in another spelling (not canonical): the slow path gives the same answer
      const n = ((c.bytes[0]! << 24) | (c.bytes[1]! << 16) | (c.bytes[2]! << 8) | c.bytes[3]!) >>> 0;
      if (c.prefix < MIN_PREFIX4) skipped.wide++;
      else {
        const why = guard.check4(n, c.prefix);
        if (why !== null) skipped[why]++;
        else candidates.push({ text: c.text, v4: n, prefix: c.prefix, c6: null });
      }
      continue;
    }
    if (c.prefix < MIN_PREFIX6) {
      skipped.wide++;
      continue;
    }
    const why = guard.check6(c);
    if (why !== null) skipped[why]++;
    else candidates.push({ text: c.text, v4: 0, prefix: c.prefix, c6: c });
  }
  // fold entries that a wider entry of the list already holds (only the prefix lengths present are looked at)
  const have4 = new ByPrefix4<true>();
  const have6 = new Set<string>();
  const lens6 = new Set<number>();
  for (const x of candidates) {
    if (x.c6 === null) have4.setOnce(x.v4, x.prefix, true);
    else {
      have6.add(key6(x.c6.bytes, x.prefix));
      lens6.add(x.prefix);
    }
  }
  const wider4 = have4.lengths;
  const wider6 = [...lens6].sort((a, b) => a - b);
  const kept: Cidr[] = [];
  let folded = 0;
  for (const x of candidates) {
    let inside = false;
    if (x.c6 === null) {
      for (const p of wider4) {
        if (p >= x.prefix) break;
        if (have4.get(x.v4, p)) {
          inside = true;
          break;
        }
      }
    } else {
      for (const p of wider6) {
        if (p >= x.prefix) break;
        if (have6.has(key6(x.c6.bytes, p))) {
          inside = true;
          break;
        }
      }
    }
    if (inside) folded++;
    else kept.push(x.c6 ?? cidr4(x.text, x.v4, x.prefix));
  }
  return { kept, skipped, folded };
}

function cidr4(text: string, n: number, prefix: number): Cidr {
  return { family: 4, text, prefix, bytes: Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255) };
}

export function skippedTotal(s: SkipCounts): number {
  return s.ignoreip + s.allowfile + s.host + s.registered + s.wide;
}
