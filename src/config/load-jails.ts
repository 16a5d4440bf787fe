// jail.conf, jail.d/*.conf, jail.local, jail.d/*.local → validated, frozen JailConfigs. Every
// section but [DEFAULT] is a jail. A jail with any error is left out (its errors are reported) and
// the others load. Unknown keys: an error, unless something voipguard uses refers to them by
// interpolation (helpers such as action_ or mode), or fail2ban knows them (one warning per key).

import { VoipguardError, type ErrorPlace } from '../core/errors.js';
import type { ConfigSet } from './config-set.js';
import { fail2banOnly, references } from './fail2ban-keys.js';
import { deepFreeze, describePlace, readSchema } from './fields.js';
import { CORRELATE_FIELDS, INCREMENT_FIELDS, JAIL_ALIASES, JAIL_FIELDS, type JailConfig } from './jail-schema.js';

const SCHEMA_KEYS: ReadonlySet<string> = new Set([
  ...Object.keys(JAIL_FIELDS),
  ...Object.keys(INCREMENT_FIELDS),
  ...Object.keys(CORRELATE_FIELDS),
  ...Object.keys(JAIL_ALIASES),
]);
// the helper the shipped jail.conf defines for `action`: a jail that sets its own action leaves it unused
const OUR_HELPERS: ReadonlySet<string> = new Set(['action_']);
// fail2ban's mail shortcuts, defined in the shipped jail.conf: silent there even when no jail uses
// them; a user's own value that nothing refers to still gets its warning
const SHIPPED_HELPERS: ReadonlySet<string> = new Set(['destemail', 'sender', 'mta', 'action_mw', 'action_mwl', 'banaction_allports']);

export interface Diagnostics {
  readonly errors: VoipguardError[];
  /** Deduplicated by text: a [DEFAULT] problem is said once, not once per jail. */
  warn(message: string): void;
}

export function loadJails(set: ConfigSet, diag: Diagnostics): JailConfig[] {
  const jails = set.sections();
  const used = usedKeys(set, jails);
  checkKeys(set, 'DEFAULT', used, diag, []);
  const out: JailConfig[] = [];
  for (const name of jails) {
    const errors: VoipguardError[] = [];
    checkKeys(set, name, used, diag, errors);
    const jail = readJail(set, name, used, diag, errors);
    if (errors.length > 0 || jail === null) diag.errors.push(...errors);
    else out.push(deepFreeze(jail));
  }
  return out;
}

function placeOf(set: ConfigSet, section: string, key: string): ErrorPlace {
  const e = set.entry(section, key);
  return e ? { file: e.file, section: e.section, key, line: e.line } : { section, key };
}

function readJail(set: ConfigSet, name: string, used: ReadonlySet<string>, diag: Diagnostics, errors: VoipguardError[]): JailConfig | null {
  const lookup = (key: string): { raw: string; place: ErrorPlace } | undefined => {
    let k = key;
    if (set.entry(name, k) === undefined) {
      const alias = Object.keys(JAIL_ALIASES).find((a) => JAIL_ALIASES[a] === key && set.entry(name, a) !== undefined);
      if (alias === undefined) return undefined;
      k = alias;
    }
    return { raw: set.get(name, k)!, place: placeOf(set, name, k) };
  };
  const own = { file: set.entry(name, set.ownKeys(name)[0] ?? '')?.file ?? '' };
  const values = readSchema(JAIL_FIELDS, lookup, { section: name }, (m) => diag.warn(m), errors);
  const increment = readSchema(INCREMENT_FIELDS, lookup, { section: name }, (m) => diag.warn(m), errors);
  const correlate = readSchema(CORRELATE_FIELDS, lookup, { section: name }, (m) => diag.warn(m), errors);
  if (errors.length > 0) return null;

  const raw: Record<string, string> = {};
  for (const key of new Set([...set.ownKeys('DEFAULT'), ...set.ownKeys(name)])) {
    try {
      raw[key] = set.get(name, key)!;
    } catch (e) {
      // a helper may refer to names this jail lacks (action_mwl's logpath in [blacklist]): fail2ban
      // never reads it either. A helper this jail does use fails through its schema key (action).
      if (!(e instanceof VoipguardError)) throw e;
      if (SCHEMA_KEYS.has(key)) errors.push(e);
    }
  }

  if (errors.length > 0) return null;
  const where = (key: string): string => describePlace(placeOf(set, name, key));
  if (values.enabled && values.filter !== null && values.logpath.length === 0 && values.backend !== 'systemd' && !values.ami) {
    errors.push(
      new VoipguardError(
        'VG_CONFIG_MISSING',
        `jail [${name}] has filter ${values.filter.name} but no logpath, no backend = systemd and ami = no: it would never see a line`,
        { ...placeOf(set, name, 'filter'), key: 'logpath' },
      ),
    );
    return null;
  }
  if (values.backend === 'systemd' && values.logpath.length > 0 && set.entry(name, 'logpath')?.section === name) {
    diag.warn(`${where('logpath')}: backend = systemd reads the journal; logpath is not used`);
  }
  if (correlate.retainMs < Math.max(correlate.idWindowMs, correlate.crossWindowMs)) {
    errors.push(
      new VoipguardError(
        'VG_CONFIG_TYPE',
        `correlate.retain must be at least correlate.idwindow and correlate.crosswindow: a signal arriving after the attempt is forgotten counts again`,
        placeOf(set, name, 'correlate.retain'),
      ),
    );
    return null;
  }
  return { name, ...values, increment, correlate, raw, file: own.file };
}

/** Reports keys of `section` that are neither ours, nor referred to, nor fail2ban's. */
function checkKeys(set: ConfigSet, section: string, used: ReadonlySet<string>, diag: Diagnostics, errors: VoipguardError[]): void {
  for (const key of set.ownKeys(section)) {
    if (SCHEMA_KEYS.has(key) || OUR_HELPERS.has(key) || used.has(key)) continue;
    const place = placeOf(set, section, key);
    if (SHIPPED_HELPERS.has(key) && /(^|\/)jail\.conf$/.test(place.file ?? '')) continue;
    const why = fail2banOnly(key);
    if (why !== null) {
      diag.warn(`${describePlace({ file: place.file, section: place.section, key })}: only fail2ban uses this key (${why}); voipguard ignores it`);
      continue;
    }
    const near = closestKey(key);
    const hint =
      near !== null
        ? ` (did you mean "${near}"?)`
        : section === 'DEFAULT'
          ? ''
          : ` (an action parameter goes in the action's brackets: action = iptables[${key}=…])`;
    const err = new VoipguardError('VG_CONFIG_UNKNOWN_KEY', `unknown key "${key}"${hint}`, place);
    if (section === 'DEFAULT') diag.errors.push(err);
    else errors.push(err);
  }
}

/**
 * Key names reached by interpolation from the keys voipguard reads, in any jail: `action = %(action_)s`
 * makes action_ used, and action_'s `%(banaction)s[port="%(port)s"]` in turn banaction and port.
 */
function usedKeys(set: ConfigSet, jails: readonly string[]): Set<string> {
  const used = new Set<string>();
  const seen = new Set<string>();
  // scan: the section whose value is read; ctx: the section its own references resolve in
  const work: { scan: string; ctx: string; key: string }[] = [];
  for (const jail of jails) for (const key of SCHEMA_KEYS) work.push({ scan: jail, ctx: jail, key });
  while (work.length > 0) {
    const { scan, ctx, key } = work.pop()!;
    const id = `${scan}\u0000${ctx}\u0000${key}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const entry = set.entry(scan, key);
    if (entry === undefined) continue;
    for (const ref of references(entry.value)) {
      used.add(ref.key);
      if (ref.kind === 'section') work.push({ scan: ref.section!, ctx: ref.section!, key: ref.key });
      else work.push({ scan: ref.kind === 'default' ? 'DEFAULT' : ctx, ctx, key: ref.key });
    }
  }
  return used;
}

/** The known key a typo most likely meant (`enable` → enabled, `maxretries` → maxretry), or null. */
export function closestKey(key: string): string | null {
  let best: string | null = null;
  let bestDistance = Math.min(3, Math.max(1, Math.floor(key.length / 3)));
  for (const k of SCHEMA_KEYS) {
    const d = editDistance(key, k, bestDistance);
    if (d < bestDistance || (d === bestDistance && best === null)) {
      best = k;
      bestDistance = d;
    }
  }
  return best !== null && editDistance(key, best, 3) <= bestDistance ? best : null;
}

/** Levenshtein distance, giving up (returning limit + 1) once it exceeds limit. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      rowMin = Math.min(rowMin, cur[j]!);
    }
    if (rowMin > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length]!;
}
