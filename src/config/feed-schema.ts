// The keys of a blocklist feed (feed.d/NAME.conf, its [Definition] section; docs/feeds.md): one
// schema, the source of FeedConfig's type and of every check. Defaults keep a feed harmless: DROP on
// every port unless ports or jails say otherwise, at most 200,000 entries.

import { isAbsolute } from 'node:path';
import { bool, custom, duration, fail, int, splitList, type FieldContext, type Values } from './fields.js';
import { parsePortList, type PortSpec } from './feed-ports.js';

export type FeedFormat = 'plain' | 'apiban' | 'csv-column';
export type FeedBlocktype = 'DROP' | 'REJECT';
export type FeedFirewall = 'auto' | 'iptables' | 'nftables';

/** A column of a csv-column feed: a 1-based number, or a header name read from the first line. */
export type FeedColumn = { readonly index: number } | { readonly header: string } | null;

function parseUrl(raw: string, ctx: FieldContext): string | null {
  const v = raw.trim();
  if (v === '') return null;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return fail('VG_CONFIG_TYPE', 'is not a URL', ctx);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') fail('VG_CONFIG_TYPE', `${u.protocol} is not http: or https:`, ctx);
  if (u.username || u.password) fail('VG_CONFIG_TYPE', 'user:password@ in a feed URL is not supported', ctx);
  return u.toString();
}

function parsePath(raw: string, ctx: FieldContext): string | null {
  const v = raw.trim();
  if (v === '') return null;
  if (!isAbsolute(v)) fail('VG_CONFIG_TYPE', `"${v}" is not an absolute path`, ctx);
  return v;
}

function parseFormat(raw: string, ctx: FieldContext): FeedFormat {
  const v = raw.trim().toLowerCase();
  if (v === 'plain' || v === 'apiban' || v === 'csv-column') return v;
  return fail('VG_CONFIG_TYPE', `"${raw}" is not a feed format (plain, apiban, csv-column)`, ctx);
}

function parseColumn(raw: string, ctx: FieldContext): FeedColumn {
  const v = raw.trim();
  if (v === '') return null;
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (n < 1 || n > 1000) fail('VG_CONFIG_TYPE', `${n} is out of range (columns count from 1)`, ctx);
    return { index: n };
  }
  if (!/^[A-Za-z0-9_ .-]{1,64}$/.test(v)) fail('VG_CONFIG_TYPE', `"${v}" is not a column number or header name`, ctx);
  return { header: v.toLowerCase() };
}

function parseBlocktype(raw: string, ctx: FieldContext): FeedBlocktype {
  const v = raw.trim().toUpperCase();
  if (v === 'DROP' || v === 'REJECT') return v;
  return fail('VG_CONFIG_TYPE', `"${raw}" is not DROP or REJECT`, ctx);
}

function parsePorts(raw: string, ctx: FieldContext): PortSpec | 'jails' {
  const v = raw.trim();
  if (v === '') return 'jails';
  if (v.toLowerCase() === 'all') return null;
  const p = parsePortList(v);
  return typeof p === 'string' ? fail('VG_CONFIG_TYPE', p, ctx) : p;
}

function parseJails(raw: string, ctx: FieldContext): string[] {
  const out: string[] = [];
  for (const w of splitList(raw)) {
    if (!/^[A-Za-z0-9_.@:+-]{1,100}$/.test(w)) fail('VG_CONFIG_TYPE', `"${w}" is not a jail name`, ctx);
    if (!out.includes(w)) out.push(w);
  }
  return out;
}

function parseFirewall(raw: string, ctx: FieldContext): FeedFirewall {
  const v = raw.trim().toLowerCase();
  if (v === 'auto' || v === 'iptables' || v === 'nftables') return v;
  return fail('VG_CONFIG_TYPE', `"${raw}" is not auto, iptables or nftables`, ctx);
}

export const FEED_FIELDS = {
  enabled: bool('enabled', 'true', 'the feed runs unless false (the shipped example says false)'),
  url: custom('url', null, null as string | null, 'http:// or https:// address of the list (for apiban: with the key in it)', parseUrl),
  file: custom('path', null, null as string | null, 'absolute path of a local list, instead of url', parsePath),
  format: custom('format', 'plain', 'plain' as FeedFormat, 'plain, apiban or csv-column', parseFormat),
  column: custom('column', null, null as FeedColumn, 'csv-column: the column holding the address (1-based number or header name)', parseColumn),
  refresh: duration('refresh', '1h', { permanent: false }, 'how often the list is fetched again'),
  timeout: duration('timeout', '30s', { permanent: false }, 'a download taking longer fails (the last good list stays)'),
  blocktype: custom('blocktype', 'DROP', 'DROP' as FeedBlocktype, 'DROP (silent) or REJECT', parseBlocktype),
  ports: custom(
    'ports',
    null,
    'jails' as PortSpec | 'jails',
    'ports blocked: a list, `all`, or empty for the ports of `jails` (every port without jails)',
    parsePorts,
  ),
  jails: custom('jails', null, [] as string[], 'jails whose ports and ignoreip the feed follows', parseJails),
  maxentries: int('maxentries', '200000', 1, 10_000_000, 'a list with more entries is refused (the last good list stays)'),
  maxsize: int('maxsize', '0', 0, 1_073_741_824, 'most bytes downloaded; 0: 128 bytes per maxentries'),
  allowfile: custom('allowfile', null, null as string | null, 'absolute path of addresses and ranges never to block', parsePath),
  firewall: custom('firewall', 'auto', 'auto' as FeedFirewall, 'auto (nftables when a jail uses it), iptables (with ipset) or nftables', parseFirewall),
};

export type FeedValues = Values<typeof FEED_FIELDS>;

export interface FeedConfig extends FeedValues {
  readonly name: string;
  /** The first file of the feed (feed.d/NAME.conf or .local), for messages. */
  readonly configFile: string;
}

/** A feed's name makes kernel names (f2b-feed-NAME, ipset's 31-character limit): short and plain. */
export const FEED_NAME_RE = /^[A-Za-z0-9_-]{1,20}$/;
