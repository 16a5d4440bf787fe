// What `voipguard regex` needs only with --jail or per-account counting: the config loader (a
// jail's settings) and the daemon's Jail (the per-account replay). runRegex imports them only for
// those options, so a plain run does not load and compile the twenty-odd modules behind them.

import type { JailConfig } from '../config/jail-schema.js';
import { VoipguardError } from '../core/errors.js';
import type { JailSettings } from '../jails/jail.js';
import type { AccountJail } from './regex-accounts.js';

export interface RegexExtras {
  /** The jail's settings as the daemon would load them; a jail with errors is refused with its first error. */
  jailSettings(name: string, dir: string): JailConfig;
  /** The daemon's Jail with these settings. */
  jail(settings: JailSettings): AccountJail;
}

export async function loadRegexExtras(): Promise<RegexExtras> {
  const [{ loadConfig }, { Jail }] = await Promise.all([import('../config/load-config.js'), import('../jails/jail.js')]);
  return {
    jailSettings(name, dir) {
      const loaded = loadConfig(dir);
      const jail = loaded.jails.find((j) => j.name === name);
      if (jail !== undefined) return jail;
      const own = loaded.errors.find((e) => e.place?.section === name);
      if (own !== undefined) throw own;
      throw new VoipguardError('VG_USAGE', `--jail ${name}: no such jail in ${dir}`);
    },
    jail: (settings) => new Jail(settings),
  };
}
