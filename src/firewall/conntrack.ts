// Removing a banned address's conntrack entries: a rule that accepts ESTABLISHED traffic before
// our jump, or a UDP flow the kernel already tracks, would otherwise keep it talking. One listing
// per family and batch, then one delete per address that has entries: a batch of 10,000 bans
// costs two commands when none of them has a flow.

import type { Logger } from '../log/logger.js';
import { normalizeIp } from '../core/ip.js';
import type { CommandRunner } from '../exec/command-runner.js';
import { familyOf } from './firewall.js';

const FAMILY_ARG = { inet4: 'ipv4', inet6: 'ipv6' } as const;

export class ConntrackPurger {
  private available: boolean | null = null;

  constructor(
    private readonly runner: CommandRunner,
    private readonly log: Logger,
    private readonly binary = 'conntrack',
  ) {}

  /** Whether the conntrack tool is installed (checked once). */
  async detect(): Promise<boolean> {
    if (this.available === null) {
      const r = await this.runner.run([this.binary, '--version']);
      this.available = r.exitCode === 0;
      if (!this.available) this.log.info({ event: 'conntrack-absent' }, 'conntrack tool not found: established flows of banned addresses are not cut');
    }
    return this.available;
  }

  /** Deletes the entries whose original source is one of `ips`; returns how many addresses had some. */
  async purge(ips: readonly string[]): Promise<number> {
    if (ips.length === 0 || !(await this.detect())) return 0;
    let purged = 0;
    for (const fam of ['inet4', 'inet6'] as const) {
      const wanted = new Set(ips.filter((ip) => familyOf(ip) === fam));
      if (wanted.size === 0) continue;
      const listed = await this.runner.run([this.binary, '-L', '-f', FAMILY_ARG[fam]]);
      if (listed.exitCode !== 0) {
        this.log.warn({
          event: 'conntrack-failed',
          argv: [this.binary, '-L', '-f', FAMILY_ARG[fam]],
          exitCode: listed.exitCode,
          stderr: listed.stderr.slice(0, 500),
        });
        continue;
      }
      for (const ip of sources(listed.stdout)) {
        if (!wanted.has(ip)) continue;
        wanted.delete(ip);
        const argv = [this.binary, '-D', '-f', FAMILY_ARG[fam], '-s', ip];
        const r = await this.runner.run(argv);
        // exit 1 with "0 flow entries": the flow ended between listing and deleting
        if (r.exitCode === 0 || (r.exitCode === 1 && /\b0 flow entries/.test(r.stderr))) purged++;
        else this.log.warn({ event: 'conntrack-failed', argv, exitCode: r.exitCode, stderr: r.stderr.slice(0, 500) });
      }
    }
    if (purged > 0) this.log.info({ event: 'conntrack-purged', addresses: purged });
    return purged;
  }
}

/** The original-direction source of each listed entry (the first `src=` of a line). */
export function sources(listing: string): Set<string> {
  const out = new Set<string>();
  for (const m of listing.matchAll(/^.*?\bsrc=(\S+)/gm)) {
    const ip = normalizeIp(m[1]!);
    if (ip !== null) out.add(ip);
  }
  return out;
}
