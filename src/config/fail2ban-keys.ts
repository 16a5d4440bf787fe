// Keys a fail2ban configuration carries that voipguard does not use. A jail.local written for
// fail2ban must load, so these warn (once per key) instead of failing. Helper keys that exist only to
// be interpolated (action_mw, banaction_allports, the paths-*.conf *_log names, mta, sender…) are
// silent when something voipguard uses refers to them, and warn when nothing does.

const WHY: Readonly<Record<string, string>> = Object.freeze({
  'bantime.formula': 'voipguard never evaluates formulas: use bantime.factor or bantime.multipliers',
  ignorecommand: 'voipguard runs no command to decide what to ignore: use ignoreip',
  ignorecache: 'voipguard keeps no ignore cache',
  logencoding: 'voipguard reads logs as UTF-8',
  failregex: 'put it in filter.d/<filter>.local',
  ignoreregex: 'put it in filter.d/<filter>.local',
  prefregex: 'put it in filter.d/<filter>.local',
  datepattern: 'put it in filter.d/<filter>.local',
  maxlines: 'put it in filter.d/<filter>.local',
  allowipv6: 'voipguard handles IPv6 always',
  syslogsocket: 'voipguard does not log to syslog: use logtarget = STDOUT under systemd',
  dbmaxmatches: 'voipguard does not keep matched lines in the database',
  polltime: 'voipguard polls at its own pace',
});

const HELPER_NAMES = new Set([
  'mode',
  'mta',
  'sender',
  'sendername',
  'destemail',
  'dest',
  'fail2ban_agent',
  'banaction_allports',
  'default_backend',
  'logtimezone',
]);

const HELPER_PATTERNS: readonly RegExp[] = [/^action_[a-z0-9_]*$/, /^banaction_[a-z0-9_]+$/, /_log$/, /_backend$/, /^syslog_/];

/** Sections of fail2ban.conf voipguard.conf may carry, ignored with a warning. */
export const FAIL2BAN_SERVICE_SECTIONS: ReadonlySet<string> = new Set(['Thread']);

/** Why a key means nothing to voipguard, or null when it is not a known fail2ban key. */
export function fail2banOnly(key: string): string | null {
  const why = WHY[key];
  if (why !== undefined) return why;
  if (HELPER_NAMES.has(key) || HELPER_PATTERNS.some((re) => re.test(key))) return 'a fail2ban helper key that nothing here refers to';
  return null;
}

const REF_RE = /%\(([^)\s]+)\)s/g;

export interface Reference {
  readonly key: string;
  /** plain %(key)s, %(default/key)s, %(known/key)s, or %(section/key)s (then `section` is set). */
  readonly kind: 'plain' | 'default' | 'known' | 'section';
  readonly section?: string;
}

/** What a value refers to with %(…)s. */
export function references(value: string): Reference[] {
  const out: Reference[] = [];
  for (const m of value.matchAll(REF_RE)) {
    const ref = m[1]!;
    const slash = ref.indexOf('/');
    if (slash < 0) {
      out.push({ key: ref.toLowerCase(), kind: 'plain' });
      continue;
    }
    const sec = ref.slice(0, slash);
    const key = ref.slice(slash + 1).toLowerCase();
    const low = sec.toLowerCase();
    out.push(low === 'default' || low === 'known' ? { key, kind: low } : { key, kind: 'section', section: sec });
  }
  return out;
}
