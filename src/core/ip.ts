// Addresses: parse, validate, normalise; CIDR ranges. Every IP that reaches a jail or an action has
// passed through parseIp, so the rest of the code can treat `ip` strings as canonical and safe:
// IPv4 dotted quad without leading zeros, or RFC 5952 IPv6 (lowercase, longest zero run compressed),
// with IPv4-mapped IPv6 turned into IPv4.
//
// Scoped addresses (`fe80::1%eth0`) are refused by default: a ban applies on every interface, and
// fe80::1 on another link is another host, so banning the address without its zone could ban an
// innocent neighbour (docs/resources.md). Only where a wider match is the safe side (ignoreip: never
// banning fe80::1 anywhere) is the zone accepted and dropped, with `allowScope`.

import { isIPv4 } from 'node:net';
import { detach } from './detach.js';

export type IpFamily = 4 | 6;

export interface Ip {
  readonly family: IpFamily;
  readonly text: string; // canonical
  /** 4 bytes (v4) or 16 bytes (v6), for range checks. */
  readonly bytes: Uint8Array;
}

/** Parses a bare address (brackets allowed around IPv6). Returns the canonical text, or null. */
export function normalizeIp(input: string, allowScope = false): string | null {
  // a dotted quad is its own normal form (isIPv4 refuses leading zeros): no bytes to build; a copy,
  // not the cut of a log line the caller may have passed (detach.ts)
  if (input.length <= 15 && isIPv4(input)) return detach(input);
  const ip = parseIp(input, allowScope);
  return ip === null ? null : ip.text;
}

/** True when `input` is an IPv6 address with a zone index (`fe80::1%eth0`), which parseIp refuses. */
export function isScopedIp(input: string): boolean {
  return input.includes('%') && parseIp(input, true) !== null;
}

export function parseIp(input: string, allowScope = false): Ip | null {
  let s = input;
  if (s.length === 0 || s.length > 64) return null;
  if (s.charCodeAt(0) === 91 /* [ */) {
    if (s.charCodeAt(s.length - 1) !== 93) return null;
    s = s.slice(1, -1);
  }
  if (isIPv4(s)) return { family: 4, text: detach(s), bytes: v4Bytes(s) };
  const pct = s.indexOf('%');
  if (pct >= 0) {
    // a zone index names a local interface: refused, unless the caller wants the wider match
    if (!allowScope) return null;
    const zone = s.slice(pct + 1);
    if (!/^[A-Za-z0-9_.-]{1,32}$/.test(zone)) return null;
    s = s.slice(0, pct);
  }
  // v6Bytes is the whole syntax check (test/core/ip.test.ts holds it to node:net's isIPv6 over a
  // corpus of edits and random strings): isIPv6's regex took 8 ms to compile at the first address
  // of every start
  const bytes = v6Bytes(s);
  if (bytes === null) return null;
  if (isV4Mapped(bytes)) {
    const v4 = bytes.subarray(12);
    return { family: 4, text: `${v4[0]}.${v4[1]}.${v4[2]}.${v4[3]}`, bytes: Uint8Array.from(v4) };
  }
  return { family: 6, text: formatV6(bytes), bytes };
}

/**
 * Parses `ip:port`, `[v6]:port`, a bare v4 or a bare v6 (as Asterisk prints them:
 * ast_sockaddr_stringify, pj_sockaddr_print). Returns the canonical address and the port if any.
 */
export function parseHostPort(input: string): { ip: string; port: number | null } | null {
  if (input.charCodeAt(0) === 91 /* [ */) {
    const close = input.indexOf(']');
    if (close < 0) return null;
    const ip = normalizeIp(input.slice(1, close));
    if (ip === null) return null;
    const rest = input.slice(close + 1);
    if (rest === '') return { ip, port: null };
    const port = parsePort(rest.startsWith(':') ? rest.slice(1) : '');
    return port === null ? null : { ip, port };
  }
  const colons = countChar(input, ':');
  if (colons === 1) {
    const i = input.indexOf(':');
    const ip = normalizeIp(input.slice(0, i));
    const port = parsePort(input.slice(i + 1));
    if (ip === null || port === null || ip.includes(':')) return null;
    return { ip, port };
  }
  const ip = normalizeIp(input);
  return ip === null ? null : { ip, port: null };
}

function parsePort(s: string): number | null {
  if (!/^[0-9]{1,5}$/.test(s)) return null;
  const n = Number(s);
  return n <= 65535 ? n : null;
}

function countChar(s: string, c: string): number {
  let n = 0;
  for (let i = s.indexOf(c); i >= 0; i = s.indexOf(c, i + 1)) n++;
  return n;
}

/** The bytes of a dotted quad already validated (isIPv4): read digit by digit, no split (a 100,000-entry batch parses each address several times). */
function v4Bytes(s: string): Uint8Array {
  const out = new Uint8Array(4);
  let k = 0;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 /* . */) {
      out[k++] = n;
      n = 0;
    } else n = n * 10 + (c - 48);
  }
  out[k] = n;
  return out;
}

function v6Bytes(s: string): Uint8Array | null {
  let head = s;
  let tailV4: Uint8Array | null = null;
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) > 0) {
    const v4 = s.slice(lastColon + 1);
    if (!isIPv4(v4)) return null;
    tailV4 = v4Bytes(v4);
    head = s.slice(0, lastColon + 1) + '0:0'; // placeholder groups, overwritten below
  }
  const dbl = head.indexOf('::');
  let groups: string[];
  if (dbl >= 0) {
    const left = head.slice(0, dbl) === '' ? [] : head.slice(0, dbl).split(':');
    const right = head.slice(dbl + 2) === '' ? [] : head.slice(dbl + 2).split(':');
    const fill = 8 - left.length - right.length;
    if (fill < 1) return null;
    groups = [...left, ...new Array<string>(fill).fill('0'), ...right];
  } else {
    groups = head.split(':');
  }
  if (groups.length !== 8) return null;
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const v = parseInt(g, 16);
    out[i * 2] = v >> 8;
    out[i * 2 + 1] = v & 0xff;
  }
  if (tailV4) out.set(tailV4, 12);
  return out;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

function formatV6(b: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  // RFC 5952: compress the longest run of two or more zero groups (the first on a tie)
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(':');
  const left = hex.slice(0, bestStart).join(':');
  const right = hex.slice(bestStart + bestLen).join(':');
  return `${left}::${right}`;
}

export interface Cidr {
  readonly family: IpFamily;
  readonly bytes: Uint8Array; // network address, host bits zeroed
  readonly prefix: number;
  readonly text: string; // canonical "addr/prefix" (or bare addr for a full-length prefix)
}

/** Parses `addr` or `addr/prefix`. An IPv4-mapped IPv6 range becomes an IPv4 range. */
export function parseCidr(input: string, allowScope = false): Cidr | null {
  const slash = input.indexOf('/');
  const addr = slash < 0 ? input : input.slice(0, slash);
  const ip = parseIp(addr, allowScope);
  if (ip === null) return null;
  const max = ip.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = input.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(p)) return null;
    prefix = Number(p);
    const mappedV6 = ip.family === 4 && addr.includes(':');
    if (mappedV6) {
      if (prefix < 96 || prefix > 128) return null;
      prefix -= 96;
    }
    if (prefix > max) return null;
  }
  // a single address is its own network: parseIp's canonical text and fresh bytes, no mask to apply
  if (prefix === max) return { family: ip.family, bytes: ip.bytes, prefix, text: ip.text };
  const bytes = Uint8Array.from(ip.bytes);
  for (let bit = prefix; bit < max; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  const base = ip.family === 4 ? [...bytes].join('.') : formatV6(bytes);
  return { family: ip.family, bytes, prefix, text: prefix === max ? base : `${base}/${prefix}` };
}

/**
 * What a manual ban or unban names: an address (canonical text) or a range (`net/prefix`, the
 * network address, canonical). Refused, with the reason: /0 (every address), and a range written
 * with host bits (`198.51.100.7/24`: the host or its /24? the operator says which). A full-length
 * prefix is the address itself. Returns the reason as a string when refused, null when not an IP.
 */
export function parseBanTarget(input: string): { readonly target: Cidr } | { readonly refused: string } | null {
  const c = parseCidr(input);
  if (c === null) return null;
  const slash = input.indexOf('/');
  if (slash < 0) return { target: c };
  if (c.prefix === 0) return { refused: `${input} is every address: a /0 is never banned` };
  const ip = parseIp(input.slice(0, slash));
  const given = ip === null ? null : ip.text;
  const net = c.text.split('/')[0]!;
  if (given !== null && given !== net) {
    const host = given;
    return { refused: `${input} has host bits set: ban ${c.text} (the range) or ${host} (the address)` };
  }
  return { target: c };
}

/** Whether the two ranges share an address (one holds the other's network address). */
export function cidrOverlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const wide = a.prefix <= b.prefix ? a : b;
  const narrow = wide === a ? b : a;
  return cidrContains(wide, { family: narrow.family, text: '', bytes: narrow.bytes });
}

export function cidrContains(c: Cidr, ip: Ip): boolean {
  if (c.family !== ip.family) return false;
  const full = c.prefix >> 3;
  for (let i = 0; i < full; i++) if (c.bytes[i] !== ip.bytes[i]) return false;
  const rem = c.prefix & 7;
  if (rem === 0) return true;
  const mask = (0xff << (8 - rem)) & 0xff;
  return (ip.bytes[full]! & mask) === c.bytes[full];
}

/** A small list of ranges (ignoreip). Linear scan: lists are short; callers cache per IP if needed. */
export class IpRangeList {
  private readonly ranges: Cidr[] = [];
  constructor(ranges: Iterable<Cidr> = []) {
    for (const r of ranges) this.add(r);
  }
  add(r: Cidr): boolean {
    if (this.ranges.some((x) => x.text === r.text)) return false;
    this.ranges.push(r);
    return true;
  }
  remove(text: string): boolean {
    const c = parseCidr(text);
    const key = c ? c.text : text;
    const i = this.ranges.findIndex((x) => x.text === key);
    if (i < 0) return false;
    this.ranges.splice(i, 1);
    return true;
  }
  contains(ip: string | Ip): boolean {
    const p = typeof ip === 'string' ? parseIp(ip) : ip;
    if (p === null) return false;
    return this.ranges.some((r) => cidrContains(r, p));
  }
  list(): string[] {
    return this.ranges.map((r) => r.text);
  }
}

const LOOPBACK = [parseCidr('127.0.0.0/8')!, parseCidr('::1')!];
export function isLoopback(ip: string | Ip): boolean {
  const p = typeof ip === 'string' ? parseIp(ip) : ip;
  return p !== null && LOOPBACK.some((r) => cidrContains(r, p));
}
