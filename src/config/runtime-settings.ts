// The jail keys `set <jail> KEY VALUE` changes while the daemon runs, as fail2ban-client does: the
// value is parsed by the config schema's own field (the same checks as jail.conf), takes effect for
// the next decision, is never written anywhere, and a reload puts the file's value back
// (docs/service.md, "Runtime settings and range bans").

import { VoipguardError } from '../core/errors.js';
import { INCREMENT_FIELDS, JAIL_FIELDS, type JailConfig } from './jail-schema.js';
import type { FieldContext } from './fields.js';

export const RUNTIME_KEYS = [
  'maxretry',
  'findtime',
  'bantime',
  'maxskew',
  'bantime.increment',
  'bantime.factor',
  'bantime.multipliers',
  'bantime.maxtime',
  'bantime.rndtime',
  'bantime.overalljails',
] as const;
export type RuntimeKey = (typeof RUNTIME_KEYS)[number];

/** What `set`/`get` answer: durations in seconds (-1 permanent), as fail2ban's `get`. */
export type RuntimeValue = number | boolean | string | null;

export function isRuntimeKey(k: string): k is RuntimeKey {
  return (RUNTIME_KEYS as readonly string[]).includes(k);
}

/** `cfg` with `key` set from `raw`, parsed by the schema's field; throws VG_CONFIG_TYPE with the reason. */
export function withRuntimeSetting(cfg: JailConfig, key: RuntimeKey, raw: string): JailConfig {
  const ctx: FieldContext = { place: { section: cfg.name, key }, warn: () => undefined };
  const parse = (): unknown => {
    try {
      if (key.startsWith('bantime.')) return INCREMENT_FIELDS[key as keyof typeof INCREMENT_FIELDS].parse(raw, ctx);
      return JAIL_FIELDS[key as 'maxretry' | 'findtime' | 'bantime' | 'maxskew'].parse(raw, ctx);
    } catch (e) {
      if (e instanceof VoipguardError) throw new VoipguardError('VG_CONFIG_TYPE', `set ${cfg.name} ${key}: ${e.message}`, e.place, { cause: e });
      throw e;
    }
  };
  const value = parse();
  if (key.startsWith('bantime.')) {
    const prop = INCREMENT_FIELDS[key as keyof typeof INCREMENT_FIELDS].prop;
    return { ...cfg, increment: { ...cfg.increment, [prop]: value } };
  }
  return { ...cfg, [key]: value };
}

const seconds = (ms: number | null): number | null => (ms === null ? null : ms < 0 ? -1 : ms / 1000);

/** The value of `key` in `cfg`, in fail2ban's units. */
export function runtimeValue(cfg: JailConfig, key: RuntimeKey): RuntimeValue {
  const inc = cfg.increment;
  switch (key) {
    case 'maxretry':
      return cfg.maxretry;
    case 'findtime':
      return seconds(cfg.findtime);
    case 'bantime':
      return seconds(cfg.bantime);
    case 'maxskew':
      return seconds(cfg.maxskew);
    case 'bantime.increment':
      return inc.enabled;
    case 'bantime.factor':
      return inc.factor;
    case 'bantime.multipliers':
      return inc.multipliers.join(' ');
    case 'bantime.maxtime':
      return seconds(inc.maxtime);
    case 'bantime.rndtime':
      return seconds(inc.rndtime);
    case 'bantime.overalljails':
      return inc.overalljails;
  }
}
