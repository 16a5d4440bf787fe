// voipguard's own side: its configuration loads, Asterisk's files read cleanly, its database is writable.

import type { DoctorContext, Finding } from './doctor-types.js';

export function checkConfig(ctx: DoctorContext): Finding[] {
  const id = 'config';
  const c = ctx.config;
  if (c.errors.length) {
    return [
      {
        id,
        status: 'fail',
        message: `voipguard's config in ${c.configDir} has ${c.errors.length} error${c.errors.length > 1 ? 's' : ''}: ${c.errors.join('; ')}`,
        fix: 'correct the named files (the daemon skips a broken jail and refuses a broken service section)',
      },
    ];
  }
  const jails = c.jails.length ? `jail${c.jails.length > 1 ? 's' : ''} ${c.jails.map((j) => j.name).join(', ')}` : 'no enabled jail';
  if (c.warnings.length) {
    return [{ id, status: 'warn', message: `${jails}; ${c.warnings.join('; ')}`, fix: 'see the warnings above' }];
  }
  if (c.jails.length === 0) {
    return [{ id, status: 'warn', message: `no enabled jail in ${c.configDir}: nothing is watched`, fix: 'set "enabled = true" for a jail in jail.local' }];
  }
  return [{ id, status: 'ok', message: `config ${c.configDir} loads: ${jails}` }];
}

export function checkAsteriskFiles(ctx: DoctorContext): Finding[] {
  const id = 'asterisk-config';
  const f = ctx.files;
  const read = [f.asterisk, f.logger, f.manager, f.modules, f.stasis, f.sip, f.pjsip, f.extensions].filter((x) => x !== null);
  if (read.length === 0) {
    return [{ id, status: 'fail', message: `no Asterisk config files in ${f.dir}`, fix: 'pass the directory with --asterisk-dir (default /etc/asterisk)' }];
  }
  const problems = read.flatMap((c) => c!.problems);
  if (problems.length) {
    const shown = problems.slice(0, 3).map((p) => `${p.file}:${p.line}: ${p.message}`);
    return [
      {
        id,
        status: 'warn',
        message: `${problems.length} line${problems.length > 1 ? 's' : ''} Asterisk would also complain about: ${shown.join('; ')}${problems.length > 3 ? '; …' : ''}`,
        fix: 'correct those lines; Asterisk skips or misreads them too',
      },
    ];
  }
  return [{ id, status: 'ok', message: `${read.reduce((n, c) => n + c!.files.length, 0)} Asterisk config files read from ${f.dir}` }];
}

export async function checkDatabase(ctx: DoctorContext): Promise<Finding[]> {
  const id = 'database';
  const db = ctx.config.dbfile;
  if (db === null) return [{ id, status: 'skip', message: 'no dbfile configured' }];
  if (db === ':memory:') {
    return [
      {
        id,
        status: 'warn',
        message: 'dbfile = :memory:: bans and ban history are lost when voipguard restarts',
        fix: 'set dbfile to a file path in voipguard.local',
      },
    ];
  }
  const r = await ctx.env.probeDatabase(db);
  if (r.ok) return [{ id, status: 'ok', message: `database ${db} is writable` }, ...banScale(ctx, r.bans ?? {})];
  return [{ id, status: 'fail', message: `database ${db} is not writable: ${r.message}`, fix: "check the path, its directory's mode and free space" }];
}

/** Past this many bans, a jail whose action writes a rule per ban is told to use a set action. */
export const PER_RULE_BANS_MAX = 10_000;

/**
 * A rule per ban is fine for hundreds; at a flood's size every packet walks the list, and after a
 * reboot the bans come back one slowing `iptables-restore` after another (100,000 stored bans:
 * 58,700 back in the kernel after 300 s on the development machine, docs/benchmarks.md).
 */
function banScale(ctx: DoctorContext, bans: Readonly<Record<string, number>>): Finding[] {
  const out: Finding[] = [];
  for (const j of ctx.config.jails) {
    const n = bans[j.name] ?? 0;
    if (j.perRuleBans !== true || n < PER_RULE_BANS_MAX) continue;
    out.push({
      id: 'ban-scale',
      status: 'warn',
      message: `jail ${j.name} holds ${n.toLocaleString('en-US')} bans with a firewall rule for each: every packet to it walks them, and after a reboot they come back slowly (100,000 took over 5 minutes in our benchmark)`,
      fix: `set banaction = iptables-ipset (or nftables) in [${j.name}] of jail.local, then systemctl restart voipguard (docs/firewall.md)`,
    });
  }
  return out;
}
