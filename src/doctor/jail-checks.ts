// Per enabled jail: its log files are there and readable, and its ignoreip keeps the host's own
// addresses out of the firewall (a PBX that bans itself drops its own trunks and AMI).

import { IpRangeList, parseCidr, parseIp } from '../core/ip.js';
import { expandLogpath, isGlob } from './logpaths.js';
import type { DoctorContext, DoctorJail, Finding } from './doctor-types.js';
import { UNIT_CAPABILITIES } from './unit-caps.js';

export function checkLogpaths(ctx: DoctorContext): Finding[] {
  const out: Finding[] = [];
  for (const jail of ctx.config.jails) {
    if (jail.logpaths.length === 0) continue; // an AMI-only jail reads no file
    const id = `logpath:${jail.name}`;
    const problems: string[] = [];
    let files = 0;
    for (const pattern of jail.logpaths) {
      const paths = expandLogpath(pattern, ctx.env.reader);
      if (paths.length === 0) problems.push(`${pattern} matches no file`);
      for (const p of paths) {
        const access = ctx.env.fileAccess(p);
        if (access === 'readable') files++;
        else problems.push(`${p} ${access === 'missing' ? 'does not exist' : access === 'not-a-file' ? 'is not a file' : 'cannot be read'}`);
      }
    }
    if (problems.length === 0) {
      out.push({ id, status: 'ok', message: `${files} log file${files === 1 ? '' : 's'} readable: ${jail.logpaths.join(' ')}` });
    } else {
      out.push({
        id,
        status: 'fail',
        message: `jail ${jail.name}: ${problems.join('; ')}`,
        fix:
          jail.logpaths.some(isGlob) || problems.some((p) => p.includes('does not exist') || p.includes('matches no file'))
            ? 'make logger.conf write that file (voipguard asterisk logger), or correct logpath in jail.local'
            : 'let voipguard read it (it runs as root; check the file mode and any MAC policy)',
      });
    }
  }
  return out;
}

/**
 * The files the doctor reads, tried again with only the unit's capabilities: the daemon runs with
 * those, so a file only full root can read is one the service never sees.
 */
export async function checkLogpathsAsService(ctx: DoctorContext): Promise<Finding[]> {
  const probe = ctx.env.readsAsService;
  if (!probe) return [];
  const files = new Set<string>();
  for (const jail of ctx.config.jails) {
    for (const pattern of jail.logpaths) for (const p of expandLogpath(pattern, ctx.env.reader)) if (ctx.env.fileAccess(p) === 'readable') files.add(p);
  }
  if (files.size === 0) return [];
  const caps = UNIT_CAPABILITIES.join(' ');
  const denied: string[] = [];
  let unknown = 0;
  for (const f of files) {
    const r = await probe(f);
    if (r === 'unreadable') denied.push(f);
    else if (r === 'unknown') unknown++;
  }
  if (denied.length > 0) {
    return [
      {
        id: 'logpath-service',
        status: 'fail',
        message: `with the unit's capabilities (${caps}) the service cannot read ${denied.join(' ')}`,
        fix: "keep CAP_DAC_READ_SEARCH in CapabilityBoundingSet= of voipguard.service (systemctl edit voipguard), or check the file's MAC policy",
      },
    ];
  }
  if (unknown === files.size)
    return [
      { id: 'logpath-service', status: 'skip', message: "cannot drop capabilities here (needs root and setpriv): not checked under the unit's capabilities" },
    ];
  return [
    {
      id: 'logpath-service',
      status: 'ok',
      message: `${files.size - unknown} log file${files.size - unknown === 1 ? '' : 's'} readable with the unit's capabilities (${caps})`,
    },
  ];
}

/** Addresses of this host (loopback included; IPv6 link-local left out, it never crosses a router). */
export function hostAddresses(ctx: DoctorContext): string[] {
  const seen = new Set<string>();
  for (const list of Object.values(ctx.env.networkInterfaces())) {
    for (const info of list ?? []) {
      const ip = parseIp(info.address);
      if (ip === null) continue;
      if (ip.family === 6 && ip.bytes[0] === 0xfe && (ip.bytes[1]! & 0xc0) === 0x80) continue;
      seen.add(ip.text);
    }
  }
  return [...seen];
}

export function checkIgnoreip(ctx: DoctorContext): Finding[] {
  const own = hostAddresses(ctx);
  return ctx.config.jails.map((jail) => ignoreipFinding(jail, own));
}

function ignoreipFinding(jail: DoctorJail, own: string[]): Finding {
  const id = `ignoreip:${jail.name}`;
  const list = new IpRangeList();
  for (const entry of jail.ignoreip) {
    const c = parseCidr(entry);
    if (c !== null) list.add(c);
  }
  const missing = own.filter((ip) => !list.contains(ip));
  if (missing.length === 0) return { id, status: 'ok', message: `ignoreip covers this host's ${own.length} addresses` };
  if (jail.ignoreself) return { id, status: 'ok', message: `ignoreself = true keeps this host's addresses (${missing.join(' ')}) out of jail ${jail.name}` };
  return {
    id,
    status: 'warn',
    message: `ignoreip of jail ${jail.name} lacks this host's own address${missing.length > 1 ? 'es' : ''} ${missing.join(' ')}: a forged line could ban the PBX itself`,
    fix: `in [${jail.name}] (or [DEFAULT]) of jail.local: ignoreip = ${[...jail.ignoreip, ...missing].join(' ')}, or ignoreself = true`,
  };
}
