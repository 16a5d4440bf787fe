// A filter named by a jail (`asterisk`, `asterisk[mode=x, chan_sip_patched=yes]`) or given as a path
// → the compiled LineFilter. Lookup: <configDir>/filter.d then the shipped filter.d (core/paths.ts);
// the first dir holding NAME.conf is the base, and NAME.local / NAME.d/* from a dir searched earlier
// still layer on top (so /etc/voipguard/filter.d/asterisk.local tunes the shipped asterisk.conf).
// Values: [Init] parameters and jail arguments feed %(name)s and <name> in [Definition]
// (arguments win), as fail2ban does.

import type { AuthSignalKind } from '../core/auth-signal.js';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ConfigSet, diskReader, type ConfigFileReader } from '../config/config-set.js';
import { parseNamedArgs } from '../config/named-args.js';
import { VoipguardError, type ErrorPlace } from '../core/errors.js';
import { searchDirs, shippedInclude, userLocalsFor } from '../core/paths.js';
import { compileRule, type CompiledRule, type RegexLine } from './compile-rule.js';
import { buildDateParser } from './date-templates.js';
import type { LineFilter } from './filter.js';
import { CompiledFilter } from './line-filter.js';
import { DEFAULT_SECURITY_EVENTS } from './security-event.js';
import { parseTimeZone } from '../core/time-zone.js';

export interface LoadFilterOptions {
  readonly configDir: string;
  /** Jail arguments; they override [Init] and [Definition] values of the same name. */
  readonly args?: Readonly<Record<string, string>>;
  /** The zone of the log's timestamps (jail `logtimezone`); default: the host's local zone. */
  readonly timezone?: string;
  /** SecurityEvent names that count; default: the filter's `securityevents` key. */
  readonly securityEvents?: ReadonlySet<string>;
  /** ChallengeSent / SuccessfulAuth read as signals (docs/beyond-one-address.md); default none. */
  readonly signals?: ReadonlySet<AuthSignalKind>;
  readonly reader?: ConfigFileReader;
}

const SECTION = 'Definition';

export function loadFilter(spec: string, opts: LoadFilterOptions): LineFilter {
  const reader = opts.reader ?? diskReader;
  const isPath = spec.includes('/') || /\.(conf|local)$/.test(spec);
  const named = isPath ? null : parseNamedArgs(spec, { key: 'filter' });
  if (!isPath && named === null) throw new VoipguardError('VG_FILTER_NOT_FOUND', 'no filter named', { key: 'filter' });
  const name = named ? named.name : basename(spec).replace(/\.(conf|local)$/, '');
  const files = isPath ? ConfigSet.unitFiles(spec.replace(/\.(conf|local)$/, ''), reader) : filterFiles(name, opts.configDir, reader);
  if (files.length === 0) {
    const where = isPath
      ? spec
      : searchDirs(opts.configDir)
          .map((d) => join(d, 'filter.d'))
          .join(', ');
    throw new VoipguardError('VG_FILTER_NOT_FOUND', `filter "${name}" not found in ${where}`, { key: 'filter' });
  }
  const set = new ConfigSet(userLocalsFor(opts.configDir), shippedInclude);
  for (const f of files) set.addFile(f, reader);
  if (!set.hasSection(SECTION)) {
    throw new VoipguardError('VG_CONFIG_MISSING', `filter ${name} has no [${SECTION}] section`, { file: files[0]! });
  }
  return compileFromConfig(name, set, { ...(named?.args ?? {}), ...lower(opts.args ?? {}) }, opts, reader);
}

/** A bare regex given to `voipguard regex`: the default date templates, the default events. */
export function compileRegexFilter(
  regex: string,
  opts: { timezone?: string; securityEvents?: ReadonlySet<string>; signals?: ReadonlySet<AuthSignalKind> } = {},
): LineFilter {
  const place: ErrorPlace = { file: '<command line>', key: 'failregex' };
  return new CompiledFilter({
    name: 'regex',
    files: [],
    prefregex: null,
    failregex: [compileRule({ text: regex, place }, 'failregex', () => undefined)].filter(isRule),
    ignoreregex: [],
    dates: buildDateParser(undefined, parseTimeZone(opts.timezone, { key: 'logtimezone' })),
    securityEvents: opts.securityEvents ?? new Set(DEFAULT_SECURITY_EVENTS),
    ...(opts.signals ? { signals: opts.signals } : {}),
  });
}

function filterFiles(name: string, configDir: string, reader: ConfigFileReader): string[] {
  const units = searchDirs(configDir).map((d) => join(d, 'filter.d', name));
  let base = units.findIndex((u) => reader.read(`${u}.conf`) !== null);
  if (base < 0) base = units.findIndex((u) => ConfigSet.unitFiles(u, reader).length > 0);
  if (base < 0) return [];
  const files = ConfigSet.unitFiles(units[base]!, reader);
  for (let i = base - 1; i >= 0; i--) files.push(...ConfigSet.unitFiles(units[i]!, reader));
  return files;
}

function compileFromConfig(
  name: string,
  set: ConfigSet,
  args: Readonly<Record<string, string>>,
  opts: LoadFilterOptions,
  reader: ConfigFileReader,
): LineFilter {
  const vars: Record<string, string> = {};
  if (set.hasSection('Init')) for (const k of set.ownKeys('Init')) vars[k] = set.get('Init', k, args) ?? '';
  Object.assign(vars, args);
  const get = (key: string): string | undefined => set.get(SECTION, key, vars);
  const option = (key: string): string | undefined => (Object.prototype.hasOwnProperty.call(vars, key) ? vars[key] : get(key));

  const maxlines = get('maxlines');
  if (maxlines !== undefined && Number(maxlines) > 1) {
    throw new VoipguardError('VG_FILTER_REGEX', 'maxlines > 1 (multi-line matching) is not supported', placeOf(set, 'maxlines', args));
  }
  const lines = (key: string): RegexLine[] => regexLines(set, key, get(key), args, reader);
  const pref = lines('prefregex')[0];
  const events = opts.securityEvents ?? eventSet(get('securityevents'));
  const zone = parseTimeZone(opts.timezone ?? vars.logtimezone, { key: 'logtimezone' });
  return new CompiledFilter({
    name,
    files: set.files,
    prefregex: pref ? compileRule(pref, 'prefregex', option) : null,
    failregex: lines('failregex')
      .map((l) => compileRule(l, 'failregex', option))
      .filter(isRule),
    ignoreregex: lines('ignoreregex')
      .map((l) => compileRule(l, 'ignoreregex', option))
      .filter(isRule),
    dates: buildDateParser(get('datepattern'), zone, placeOf(set, 'datepattern', args)),
    securityEvents: events,
    ...(opts.signals ? { signals: opts.signals } : {}),
  });
}

function isRule(r: CompiledRule | null): r is CompiledRule {
  return r !== null;
}

function eventSet(value: string | undefined): ReadonlySet<string> {
  if (value === undefined) return new Set(DEFAULT_SECURITY_EVENTS);
  return new Set(value.split(/[\s,]+/).filter(Boolean));
}

function placeOf(set: ConfigSet, key: string, args: Readonly<Record<string, string>>): ErrorPlace {
  if (Object.prototype.hasOwnProperty.call(args, key)) return { file: '<filter arguments>', section: SECTION, key };
  const e = set.entry(SECTION, key);
  return e ? { file: e.file, section: e.section, key, line: e.line } : { section: SECTION, key };
}

/**
 * One RegexLine per non-empty line of the interpolated value, each with the physical line it came
 * from when that can be told (the raw value has as many lines as the interpolated one).
 */
function regexLines(set: ConfigSet, key: string, value: string | undefined, args: Readonly<Record<string, string>>, reader: ConfigFileReader): RegexLine[] {
  if (value === undefined) return [];
  const base = placeOf(set, key, args);
  const out = value.split('\n').map((t) => t.trim());
  const entry = Object.prototype.hasOwnProperty.call(args, key) ? undefined : set.entry(SECTION, key);
  const raw = entry ? entry.value.split('\n').map((t) => t.trim()) : [];
  const physical = entry && raw.length === out.length ? physicalLines(reader.read(entry.file), entry.line, raw) : [];
  const result: RegexLine[] = [];
  out.forEach((text, i) => {
    if (text === '') return;
    const line = physical[i] ?? base.line;
    result.push({ text, place: { ...base, ...(line !== undefined ? { line } : {}) } });
  });
  return result;
}

/** Line numbers of each raw value line, found in the file from the key's own line on. */
function physicalLines(fileText: string | null, from: number, raw: readonly string[]): number[] {
  if (fileText === null) return [];
  const lines = fileText.split(/\r?\n/);
  const out: number[] = [];
  let at = from - 1;
  for (const r of raw) {
    let found = -1;
    for (let j = at; j < lines.length && found < 0; j++) if (r !== '' && lines[j]!.includes(r)) found = j;
    if (found < 0) return [];
    out.push(found + 1);
    at = found + 1;
  }
  return out;
}

function lower(o: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.toLowerCase(), v]));
}

/** True when `dir` holds filter.d/<name>.conf or .local (for the CLI's "is it a name?" guess). */
export function filterExists(name: string, configDir: string): boolean {
  return searchDirs(configDir).some((d) => existsSync(join(d, 'filter.d', `${name}.conf`)) || existsSync(join(d, 'filter.d', `${name}.local`)));
}
