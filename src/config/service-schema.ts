// voipguard.conf (+ .local): [Definition] with fail2ban.conf's key names, [ami] for the manager
// connection, [metrics] for the exporter. One schema per section, the source of ServiceConfig.

import { isAbsolute } from 'node:path';
import { normalizeIp } from '../core/ip.js';
import { fromFail2banLevel } from './log-level.js';
import type { MetricsListen } from './metrics-listen.js';
import { CLUSTER_FIELDS, type ClusterConfig } from './cluster-schema.js';
import { bool, custom, duration, fail, int, optionalText, text, type FieldContext, type Values } from './fields.js';

function absolutePath(raw: string, ctx: FieldContext): string {
  const v = raw.trim();
  if (!isAbsolute(v)) fail('VG_CONFIG_TYPE', `"${raw}" is not an absolute path`, ctx);
  return v;
}

function parseLoglevel(raw: string, ctx: FieldContext): string {
  const level = fromFail2banLevel(raw);
  if (level === null) fail('VG_CONFIG_TYPE', `"${raw}" is not a log level (CRITICAL, ERROR, WARNING, NOTICE, INFO, DEBUG)`, ctx);
  return level;
}

/** 'stdout', 'stderr' or an absolute file path. */
function parseLogtarget(raw: string, ctx: FieldContext): string {
  const v = raw.trim();
  const up = v.toUpperCase();
  if (up === 'STDOUT' || up === 'STDERR') return up.toLowerCase();
  if (up === 'SYSLOG' || up === 'SYSTEMD-JOURNAL') {
    ctx.warn(`logtarget = ${v}: voipguard logs to stdout instead (journald captures it under systemd)`);
    return 'stdout';
  }
  return absolutePath(v, ctx);
}

function parseDbfile(raw: string, ctx: FieldContext): string {
  const v = raw.trim();
  if (v === ':memory:') return v;
  if (v.toLowerCase() === 'none') {
    ctx.warn('dbfile = None: bans will not survive a restart (an in-memory database is used)');
    return ':memory:';
  }
  return absolutePath(v, ctx);
}

const HOST_RE = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

function parseHost(raw: string, ctx: FieldContext): string {
  const v = raw.trim();
  const ip = normalizeIp(v);
  if (ip !== null) return ip;
  if (!HOST_RE.test(v)) fail('VG_CONFIG_TYPE', `"${raw}" is not an IP address or host name`, ctx);
  return v;
}

export const DEFINITION_FIELDS = {
  loglevel: custom('loglevel', 'INFO', 'info', 'fail2ban level names: CRITICAL, ERROR, WARNING, NOTICE, INFO, DEBUG', parseLoglevel),
  logtarget: custom('logtarget', 'STDOUT', 'stdout', 'STDOUT, STDERR or an absolute file path', parseLogtarget),
  socket: custom('socket', '/run/voipguard/voipguard.sock', '', 'the control socket', absolutePath),
  pidfile: custom('pidfile', '/run/voipguard/voipguard.pid', '', 'the daemon writes its pid here', absolutePath),
  dbfile: custom('dbfile', '/var/lib/voipguard/voipguard.sqlite3', '', 'the SQLite database (bans, history, log positions)', parseDbfile),
  dbpurgeage: duration('dbpurgeage', '1d', { permanent: false }, 'ban history older than this is pruned'),
} as const;

export const AMI_FIELDS = {
  enabled: bool('enabled', 'no', 'connect to the Asterisk manager for security events'),
  host: custom('host', '127.0.0.1', '', 'the manager address', parseHost),
  port: int('port', '5038', 1, 65535, 'the manager port'),
  username: text('username', 'voipguard', /^[^\s\r\n]+$/, 'a user name without spaces', 'the manager.conf user'),
  secret: optionalText('secret', /^[^\r\n]+$/, 'a single line', 'its secret (or secretfile)'),
  secretfile: custom('secretfile', null, null as string | null, 'a root-only file holding the secret', (raw, ctx) =>
    raw.trim() === '' ? null : absolutePath(raw, ctx),
  ),
} as const;

export const METRICS_FIELDS = {
  listen: custom('listen', 'off', '', 'off, or ip:port of the /metrics exporter (loopback unless allow_remote)', (raw) => raw.trim()),
  allow_remote: bool('allowRemote', 'no', 'allow a non-loopback listen address'),
} as const;

export type AmiConfig = Values<typeof AMI_FIELDS>;

export interface ServiceConfig extends Values<typeof DEFINITION_FIELDS> {
  readonly ami: AmiConfig;
  readonly metrics: { readonly listen: MetricsListen | null };
  /** [cluster]: bans shared through Redis (docs/cluster.md). */
  readonly cluster: ClusterConfig;
}

export const SERVICE_SECTIONS = { Definition: DEFINITION_FIELDS, ami: AMI_FIELDS, metrics: METRICS_FIELDS, cluster: CLUSTER_FIELDS } as const;
