// The fleet, when voipguard's [cluster] section is enabled (docs/cluster.md): its password and CA
// files are readable, and one connection with the daemon's own settings reaches Redis and reads who
// is there (nothing is written). A node that cannot reach Redis still bans on its own, so an
// unreachable Redis is a warning, not a failure; a file the daemon cannot read turns the fleet off
// at start, so that one fails.

import { describeTarget } from '../config/cluster-schema.js';
import type { DoctorContext, Finding } from './doctor-types.js';

/** Node names listed in the finding (a big fleet is counted, not listed). */
const MAX_NAMES = 10;

export async function checkCluster(ctx: DoctorContext): Promise<Finding[]> {
  const cfg = ctx.config.cluster;
  if (cfg === null) {
    return [{ id: 'cluster', status: 'skip', message: 'bans are not shared with other PBXs ([cluster] enabled = no)' }];
  }
  const where = describeTarget(cfg.redis);
  for (const [key, path] of [
    ['redis.passwordfile', cfg.passwordfile],
    ['redis.cafile', cfg.cafile],
  ] as const) {
    if (path === null) continue;
    const access = ctx.env.fileAccess(path);
    if (access !== 'readable') {
      return [
        {
          id: 'cluster',
          status: 'fail',
          message: `[cluster] ${key} ${path} is ${access === 'not-a-file' ? 'not a file' : access}: the daemon would start without the fleet`,
          fix: `create it, readable by root only (chmod 600), or fix the path in [cluster] ${key}`,
        },
      ];
    }
  }
  const r = await ctx.env.clusterProbe(cfg, ctx.amiTimeoutMs);
  if (!r.ok) {
    return [
      {
        id: 'cluster',
        status: 'warn',
        message: `cannot use Redis at ${where}: ${r.message} (this PBX still bans on its own)`,
        fix: fixFor(r.message, cfg.redis.kind),
      },
    ];
  }
  const shown = r.nodes.slice(0, MAX_NAMES).join(', ') + (r.nodes.length > MAX_NAMES ? ', …' : '');
  const nodes =
    r.nodes.length === 0 ? 'no node seen in the last minute' : `${r.nodes.length} node${r.nodes.length === 1 ? '' : 's'} seen in the last minute (${shown})`;
  return [
    {
      id: 'cluster',
      status: 'ok',
      message: `Redis at ${where} answers: ${nodes}, ${r.activeBans.toLocaleString('en')} active shared ban${r.activeBans === 1 ? '' : 's'}, ${r.streamLength.toLocaleString('en')} stream entries`,
    },
  ];
}

/** The likely fix for a connection error, by the client's words. */
function fixFor(message: string, kind: 'tcp' | 'unix'): string {
  if (/certificate|self[- ]signed|unable to verify|CERT_|altnames/i.test(message)) {
    return "rediss:// with a private or self-signed CA: set [cluster] redis.cafile to the CA's PEM file; the certificate must name the host in the URL";
  }
  if (/WRONGPASS|NOAUTH|invalid password|invalid username|AUTH/i.test(message)) {
    return 'check [cluster] redis.password or redis.passwordfile, and the ACL user in the URL (redis://user@host)';
  }
  if (/NOPERM/i.test(message)) {
    return "the ACL user lacks a command or a key: give it the prefix's keys and the stream, hash, sorted-set, MULTI/EXEC and EVAL commands (docs/cluster.md)";
  }
  return kind === 'unix'
    ? 'is redis-server running, and is its socket at that path (unixsocket in redis.conf)?'
    : 'is redis-server running and reachable from this host (its bind address, port, a firewall in between)?';
}
