// What the doctor needs from voipguard's configuration, taken from loadConfig's result. A config that
// does not load still gives the doctor what did load (its jails without errors), and the errors.

import type { LoadedConfig } from '../config/load-config.js';
import type { ActionFacts } from './action-facts.js';
import type { DoctorConfig, DoctorJail } from './doctor-types.js';
import type { JailConfig } from '../config/jail-schema.js';

export function doctorConfigFrom(configDir: string, loaded: LoadedConfig, facts: ActionFacts): DoctorConfig {
  const s = loaded.service;
  const ami = s.ami.enabled
    ? {
        host: s.ami.host,
        port: s.ami.port,
        username: s.ami.username,
        ...(s.ami.secret !== null ? { secret: s.ami.secret } : {}),
        ...(s.ami.secretfile !== null ? { secretfile: s.ami.secretfile } : {}),
      }
    : null;
  const errors = loaded.errors.map((e) => e.describe());
  const jails: DoctorJail[] = loaded.jails
    .filter((j) => j.enabled)
    .map((j) => {
      const f = facts(j);
      errors.push(...f.errors);
      return {
        name: j.name,
        logpaths: j.backend === 'systemd' ? [] : j.logpath,
        ignoreip: j.ignoreip,
        ignoreself: j.ignoreself,
        ami: j.ami && ami !== null,
        amiSignals: signalsOf(j),
        firewallTools: f.tools,
        hooks: f.hooks,
        perRuleBans: f.perRuleBans,
      };
    });
  return { configDir, jails, ami, dbfile: s.dbfile === '' ? null : s.dbfile, cluster: s.cluster.enabled ? s.cluster : null, errors, warnings: loaded.warnings };
}

/** The AMI events beyond the failures that a jail's keys need (for an AMI jail, auto protection is on). */
function signalsOf(j: JailConfig): { event: string; key: string }[] {
  const out: { event: string; key: string }[] = [];
  if ((j.challengetimeout ?? 0) > 0) out.push({ event: 'ChallengeSent', key: 'challengetimeout' });
  if (j.protectregistered !== 'no') out.push({ event: 'SuccessfulAuth', key: 'protectregistered' });
  else if ((j.suspectfailures ?? 0) > 0) out.push({ event: 'SuccessfulAuth', key: 'suspectfailures' });
  return out;
}
