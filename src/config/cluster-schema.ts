// [cluster] in voipguard.conf: bans shared with the other PBXs of a fleet through Redis
// (docs/cluster.md). The schema parses and checks every key; the cluster/ folder does the work.

import { isAbsolute } from 'node:path';
import type { BanReason } from '../core/types.js';
import { bool, custom, duration, fail, optionalText, splitList, text, type FieldContext, type Values } from './fields.js';

/** Where Redis is: a TCP address (TLS with rediss://) or a unix socket path. */
export type RedisTarget =
  | {
      readonly kind: 'tcp';
      readonly tls: boolean;
      readonly host: string;
      readonly port: number;
      readonly username: string | null;
      readonly password: string | null;
      readonly db: number;
    }
  | { readonly kind: 'unix'; readonly path: string; readonly username: null; readonly password: null; readonly db: number };

/** The reasons another node's entry may carry and this node may accept. */
export const ACCEPTABLE_REASONS = ['detected', 'manual', 'account-attack', 'subnet'] as const satisfies readonly BanReason[];
export type AcceptableReason = (typeof ACCEPTABLE_REASONS)[number];

/** `redis://[user[:password]@]host[:port][/db]`, `rediss://…` (TLS) or `unix:/path/to/redis.sock`. */
export function parseRedisTarget(raw: string, ctx: FieldContext): RedisTarget {
  const v = raw.trim();
  if (v.startsWith('unix:')) {
    const path = v.slice(5).replace(/^\/\/(?=\/)/, '');
    if (!isAbsolute(path) || /[\0\r\n]/.test(path)) fail('VG_CONFIG_TYPE', `"${raw}" is not unix: followed by an absolute socket path`, ctx);
    return { kind: 'unix', path, username: null, password: null, db: 0 };
  }
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return fail('VG_CONFIG_TYPE', `"${redact(raw)}" is not a redis://, rediss:// or unix: address`, ctx);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') fail('VG_CONFIG_TYPE', `"${redact(raw)}" is not a redis://, rediss:// or unix: address`, ctx);
  if (url.hostname === '') fail('VG_CONFIG_TYPE', `"${redact(raw)}" names no host`, ctx);
  if (url.search !== '' || url.hash !== '') fail('VG_CONFIG_TYPE', `"${redact(raw)}": query strings and fragments are not read`, ctx);
  const dbText = url.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,2}$/.test(dbText)) fail('VG_CONFIG_TYPE', `"${redact(raw)}": the path is a database number (0 to 99)`, ctx);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    kind: 'tcp',
    tls: url.protocol === 'rediss:',
    host,
    port: url.port === '' ? 6379 : Number(url.port),
    username: url.username === '' ? null : decodeURIComponent(url.username),
    password: url.password === '' ? null : decodeURIComponent(url.password),
    db: dbText === '' ? 0 : Number(dbText),
  };
}

/** The address without its password, for logs, status and error messages. */
export function redact(raw: string): string {
  return raw.replace(/^(\s*[A-Za-z][A-Za-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
}

/** A target as status shows it (no secret). */
export function describeTarget(t: RedisTarget): string {
  if (t.kind === 'unix') return `unix:${t.path}`;
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return `${t.tls ? 'rediss' : 'redis'}://${t.username ? `${t.username}@` : ''}${host}:${t.port}${t.db ? `/${t.db}` : ''}`;
}

function parseAccept(raw: string, ctx: FieldContext): readonly AcceptableReason[] {
  const words = splitList(raw.trim());
  for (const w of words) {
    if (!(ACCEPTABLE_REASONS as readonly string[]).includes(w)) fail('VG_CONFIG_TYPE', `"${w}" is not a reason (${ACCEPTABLE_REASONS.join(', ')})`, ctx);
  }
  return [...new Set(words)] as AcceptableReason[];
}

const JAIL_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

export const CLUSTER_FIELDS = {
  enabled: bool('enabled', 'no', 'share bans with the other nodes through Redis'),
  redis: custom(
    'redis',
    'redis://127.0.0.1:6379',
    null as unknown as RedisTarget,
    'redis://[user@]host[:port][/db], rediss://… (TLS) or unix:/path',
    parseRedisTarget,
  ),
  'redis.password': optionalText('password', /^[^\r\n]+$/, 'a single line', 'the Redis password (or redis.passwordfile)'),
  'redis.passwordfile': custom('passwordfile', null, null as string | null, 'a root-only file holding the Redis password', (raw, ctx) => {
    const v = raw.trim();
    if (v === '') return null;
    if (!isAbsolute(v)) fail('VG_CONFIG_TYPE', `"${raw}" is not an absolute path`, ctx);
    return v;
  }),
  'redis.cafile': custom(
    'cafile',
    null,
    null as string | null,
    'rediss://: a PEM file of the CA that signed the Redis certificate (default: the system CAs)',
    (raw, ctx) => {
      const v = raw.trim();
      if (v === '') return null;
      if (!isAbsolute(v)) fail('VG_CONFIG_TYPE', `"${raw}" is not an absolute path`, ctx);
      return v;
    },
  ),
  node: custom('node', null, null as string | null, "this node's name in the fleet (default: the host name)", (raw, ctx) => {
    const v = raw.trim();
    if (v === '') return null;
    if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(v)) fail('VG_CONFIG_TYPE', `"${raw}" is not a node name (letters, digits, _ . : -, at most 64)`, ctx);
    return v;
  }),
  prefix: text('prefix', 'voipguard', /^[A-Za-z0-9_.:-]{1,64}$/, 'a key prefix (letters, digits, _ . : -)', 'the Redis key prefix'),
  jails: custom('jails', '', [] as readonly string[], 'the jails that publish and accept (empty: every enabled jail)', (raw, ctx) => {
    const words = splitList(raw.trim());
    for (const w of words) if (!JAIL_NAME.test(w)) fail('VG_CONFIG_TYPE', `"${w}" is not a jail name`, ctx);
    return [...new Set(words)];
  }),
  accept: custom('accept', 'detected manual', [] as readonly AcceptableReason[], 'the reasons applied from other nodes', parseAccept),
  maxbantime: duration('maxbantime', '1d', { permanent: false }, "the longest ban another node's entry may set here"),
} as const;

export type ClusterConfig = Values<typeof CLUSTER_FIELDS>;
