// `voipguard doctor [-c DIR] [--asterisk-dir DIR] [--json] [--timeout SECONDS]`: checks Asterisk's
// and voipguard's configuration together and prints a checklist, each finding with its fix. Exit 1
// when any check fails. The checks live in src/doctor/; this file reads the command line and
// wires the real side effects (or the ones a test passes in).

import { parseArgs } from 'node:util';
import { SystemClock } from '../core/clock.js';
import { VoipguardError } from '../core/errors.js';
import { DEFAULT_CONFIG_DIR } from '../core/paths.js';
import { loadConfig } from '../config/load-config.js';
import { doctorConfigFrom } from '../doctor/doctor-config.js';
import { actionFactsFor, type ActionFacts } from '../doctor/action-facts.js';
import { filterTimeProbe } from '../doctor/filter-time-probe.js';
import { renderChecklist } from '../doctor/render-checklist.js';
import { runDoctorChecks } from '../doctor/run-doctor.js';
import { systemDoctorEnv } from '../doctor/system-env.js';
import type { DoctorConfig, DoctorEnv, LogTimeProbe } from '../doctor/doctor-types.js';
import type { CliIo } from './io.js';

export const DEFAULT_ASTERISK_DIR = '/etc/asterisk';

export const DOCTOR_USAGE = `usage: voipguard doctor [-c DIR] [--asterisk-dir DIR] [--json] [--timeout SECONDS]

Checks that Asterisk logs what voipguard reads, that AMI and the firewall are ready, and that
voipguard's own config, log files and database are usable. Prints ok / warn / fail / skip per check
with a fix; exits 1 when a check fails.
  -c DIR              voipguard's config dir (default ${DEFAULT_CONFIG_DIR})
  --asterisk-dir DIR  Asterisk's config dir (default ${DEFAULT_ASTERISK_DIR})
  --json              print the findings as JSON
  --timeout SECONDS   for the AMI login and the fleet's Redis (default 5)
`;

export interface DoctorCommandDeps {
  readonly env?: DoctorEnv;
  /** How the daemon's filters read a line's time, for the config dir in use. */
  readonly timeProbe?: (configDir: string) => LogTimeProbe;
  readonly actionFacts?: (configDir: string) => ActionFacts;
}

export async function runDoctor(argv: string[], io: CliIo, deps: DoctorCommandDeps = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        conf: { type: 'string', short: 'c' },
        'asterisk-dir': { type: 'string' },
        json: { type: 'boolean' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new VoipguardError('VG_USAGE', `${(e as Error).message}\n${DOCTOR_USAGE}`, {}, { cause: e });
  }
  const o = parsed.values;
  if (o.help) {
    io.out(DOCTOR_USAGE);
    return 0;
  }
  const timeout = o.timeout === undefined ? 5 : Number(o.timeout);
  if (!Number.isFinite(timeout) || timeout <= 0 || timeout > 120) {
    throw new VoipguardError('VG_USAGE', `--timeout ${o.timeout}: give seconds, 0 < n <= 120`);
  }
  const configDir = o.conf ?? DEFAULT_CONFIG_DIR;
  const env = deps.env ?? systemDoctorEnv(new SystemClock());
  const report = await runDoctorChecks({
    asteriskDir: o['asterisk-dir'] ?? DEFAULT_ASTERISK_DIR,
    config: readConfig(configDir, env, (deps.actionFacts ?? ((d) => actionFactsFor(d, env.reader)))(configDir)),
    env,
    timeProbe: (deps.timeProbe ?? filterTimeProbe)(configDir),
    amiTimeoutMs: Math.round(timeout * 1000),
  });
  io.out(o.json ? JSON.stringify(report, null, 2) + '\n' : renderChecklist(report));
  return report.summary.fail > 0 ? 1 : 0;
}

/** A config that throws while loading still lets the doctor check Asterisk's side. */
function readConfig(configDir: string, env: DoctorEnv, facts: ActionFacts): DoctorConfig {
  try {
    return doctorConfigFrom(configDir, loadConfig(configDir, { reader: env.reader }), facts);
  } catch (e) {
    if (!(e instanceof VoipguardError)) throw e;
    return { configDir, jails: [], ami: null, dbfile: null, cluster: null, errors: [e.describe()], warnings: [] };
  }
}
