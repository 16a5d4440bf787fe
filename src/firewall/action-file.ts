// Finds and layers one action.d unit, and resolves its static tags. An action is looked up in the
// user's config dir first, then in the shipped one: a user's NAME.conf replaces the shipped one;
// a user's NAME.local or NAME.d/*.local is layered on top of the shipped NAME.conf.
//
// Static tags come from, highest first: the jail's arguments to this action (`iptables[name=…]`),
// the jail's own values (port, protocol, chain…), [Init?family=inet6|inet4], [Init], [Definition].
// Command keys (actionban, batchban…) are read from [Definition] only: a jail value cannot
// replace a command.

import { join } from 'node:path';
import { ConfigSet, diskReader, type ConfigEntry, type ConfigFileReader } from '../config/config-set.js';
import { VoipguardError, type ErrorPlace } from '../core/errors.js';
import { searchDirs, shippedInclude, userLocalsFor } from '../core/paths.js';
import { isDynamicTag } from './command-template.js';

export type Family = 'inet4' | 'inet6';
export const FAMILIES: readonly Family[] = ['inet4', 'inet6'];

const NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.@+-]*$/;
const TAG_RE = /<([A-Za-z_][A-Za-z0-9_.-]*)>/g;
const MAX_DEPTH = 20;

/** Keys that hold commands, scripts or patterns: never taken from the jail. */
export const COMMAND_KEYS = new Set([
  'actionstart',
  'actionstop',
  'actioncheck',
  'actionrepair',
  'actionflush',
  'actionban',
  'actionunban',
  'batchcommand',
  'batchbegin',
  'batchban',
  'batchunban',
  'batchend',
  'actionlist',
  'listban',
  'checkmatch',
  'hooklist',
  'hookjump',
  'tablelist',
  'tablecheck',
  'tablebans',
  'batchjoin',
  'firewall',
  'notify',
  'banranges',
]);

/** The files of action `name`, in layering order. Throws VG_ACTION_NOT_FOUND. */
export function actionFiles(name: string, configDir: string, reader: ConfigFileReader = diskReader): string[] {
  if (!NAME_RE.test(name) || name.includes('..')) {
    throw new VoipguardError('VG_ACTION_NOT_FOUND', `"${name}" is not an action name`, { key: 'action' });
  }
  const dirs = searchDirs(configDir);
  const units = dirs.map((d) => join(d, 'action.d', name));
  const own = ConfigSet.unitFiles(units[0]!, reader);
  if (own.some((f) => f.endsWith(`${name}.conf`)) || units.length === 1) {
    if (own.length === 0) throw notFound(name, units);
    return own;
  }
  const shipped = ConfigSet.unitFiles(units[1]!, reader);
  if (shipped.length === 0 && own.length === 0) throw notFound(name, units);
  return [...shipped, ...own];
}

function notFound(name: string, units: string[]): VoipguardError {
  return new VoipguardError('VG_ACTION_NOT_FOUND', `action ${name} not found (looked for ${units.map((u) => u + '.conf').join(', ')})`, { key: 'action' });
}

export interface ActionSource {
  readonly set: ConfigSet;
  readonly file: string;
  readonly reader: ConfigFileReader;
  /** Jail values and arguments, lowercased keys, arguments winning. */
  readonly given: Readonly<Record<string, string>>;
}

export function openAction(
  name: string,
  args: Readonly<Record<string, string>>,
  params: Readonly<Record<string, string>>,
  configDir: string,
  reader: ConfigFileReader = diskReader,
): ActionSource {
  const files = actionFiles(name, configDir, reader);
  const set = new ConfigSet(userLocalsFor(configDir), shippedInclude);
  for (const f of files) set.addFile(f, reader);
  const given: Record<string, string> = {};
  for (const src of [params, args]) {
    for (const [k, v] of Object.entries(src)) if (!COMMAND_KEYS.has(k.toLowerCase())) given[k.toLowerCase()] = v;
  }
  return { set, file: files.find((f) => f.endsWith('.conf')) ?? files[0]!, reader, given };
}

export function placeOf(src: ActionSource, section: string, key: string): ErrorPlace {
  const e = src.set.entry(section, key);
  return e ? { file: e.file, section: e.section, key, line: e.line } : { file: src.file, section, key };
}

/** A command key's value from [Definition], %(…)s interpolated; undefined when absent or empty. */
export function commandValue(src: ActionSource, key: string): string | undefined {
  const v = src.set.get('Definition', key, src.given);
  return v === undefined || v.trim() === '' ? undefined : v;
}

/** The value a static tag stands for, before its own tags are resolved. */
function rawTag(src: ActionSource, family: Family, tag: string): string | undefined {
  if (tag === 'family') return family;
  if (Object.prototype.hasOwnProperty.call(src.given, tag)) return src.given[tag];
  for (const section of [`Init?family=${family}`, 'Init', 'Definition']) {
    if (src.set.entry(section, tag)?.section === section) return src.set.get(section, tag, src.given);
  }
  return undefined;
}

/**
 * Replaces every static tag in `text` (recursively); dynamic tags stay as written. `escape`
 * transforms each substituted value (regex keys escape them). Unknown tags: VG_ACTION_TAG.
 */
export function resolveStatic(src: ActionSource, family: Family, text: string, place: ErrorPlace, escape: (s: string) => string = (s) => s): string {
  const walk = (t: string, path: string[]): string =>
    t.replace(TAG_RE, (whole, rawName: string, at: number, all: string) => {
      const name = rawName.toLowerCase();
      // a pattern's named group, (?<ip>…) or (?<expires>…), is no tag
      if (isDynamicTag(name) || all.startsWith('(?', at - 2)) return whole;
      if (path.includes(name) || path.length > MAX_DEPTH) {
        throw new VoipguardError('VG_ACTION_TAG', `tag cycle: ${[...path, name].map((p) => `<${p}>`).join(' → ')}`, place);
      }
      const v = rawTag(src, family, name);
      if (v === undefined) throw new VoipguardError('VG_ACTION_TAG', `unknown tag <${rawName}>: not an argument, a jail value or an [Init] key`, place);
      const inner = walk(v, [...path, name]);
      return path.length === 0 ? escape(inner) : inner;
    });
  return walk(text, []);
}

/**
 * The file line of the `index`-th line of a multi-line value: the key's own line when the value
 * starts there, then its indented continuation lines (blank and comment lines do not count).
 */
export function valueLine(src: ActionSource, entry: ConfigEntry | undefined, index: number): number | undefined {
  if (!entry) return undefined;
  const text = src.reader.read(entry.file);
  if (text === null) return entry.line;
  const lines = text.split(/\r?\n/);
  const candidates: number[] = [];
  const first = lines[entry.line - 1] ?? '';
  if (!/^[^=:]*[=:]\s*(;.*)?$/.test(first.trim())) candidates.push(entry.line);
  for (let i = entry.line; i < lines.length; i++) {
    const l = lines[i]!;
    const t = l.trim();
    if (t === '' || t.startsWith('#') || t.startsWith(';')) continue;
    if (!/^[ \t]/.test(l)) break;
    candidates.push(i + 1);
  }
  return candidates[index] ?? entry.line;
}
