// Can the service read its log files? The doctor runs as root with every capability; the unit keeps
// only UNIT_CAPABILITIES (systemd/voipguard.service, CapabilityBoundingSet=). Root without
// CAP_DAC_READ_SEARCH cannot read Asterisk's 0640 logs in its 0750 directory, so a log the doctor
// reads may be invisible to the daemon. The probe reads one byte of the file in a child that has
// exactly the unit's capabilities: `setpriv` drops the bounding set, and root's exec then keeps only
// those (argv, no shell).

import type { CommandRunner } from '../exec/command-runner.js';

/** The unit's CapabilityBoundingSet, in order; a test keeps the two in step. */
export const UNIT_CAPABILITIES = ['CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_DAC_READ_SEARCH'] as const;

export type CapsRead = 'readable' | 'unreadable' | 'unknown';

/** argv reading one byte of `path` with only `caps` (setpriv's names: lower case, without CAP_). */
export function capsProbeArgv(path: string, caps: readonly string[] = UNIT_CAPABILITIES): string[] {
  const keep = caps.map((c) => '+' + c.replace(/^CAP_/, '').toLowerCase()).join(',');
  return ['setpriv', `--bounding-set=-all,${keep}`, `--inh-caps=-all`, '--', 'head', '-c', '1', '--', path];
}

/** 'unknown' when the probe cannot run here (not root, no setpriv): the caller skips the check. */
export async function readsWithCaps(runner: CommandRunner, path: string, caps: readonly string[] = UNIT_CAPABILITIES): Promise<CapsRead> {
  if (process.getuid?.() !== 0) return 'unknown';
  const r = await runner.run(capsProbeArgv(path, caps));
  if (r.exitCode === 0) return 'readable';
  if (/permission denied/i.test(r.stderr)) return 'unreadable';
  return 'unknown';
}
