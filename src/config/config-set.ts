// Layered configuration the fail2ban way: for a unit such as `jail` or `filter.d/asterisk`, read
// NAME.conf, NAME.d/*.conf, NAME.local, NAME.d/*.local (each only if present), each preceded by its
// [INCLUDES] `before` files and followed by its `after` files. Later layers override earlier ones
// key by key; each key keeps its stack of values so `%(known/key)s` can reach the one it overrides.
//
// Interpolation: `%(key)s` in the requesting section, then [DEFAULT]; `%(section/key)s` across
// sections; `%(known/key)s` the value below the current one; `%(__name__)s` the section name;
// `%%` a literal percent. Missing names and cycles are VG_CONFIG_INTERPOLATION errors naming file,
// section and key.

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { VoipguardError } from '../core/errors.js';
import { parseIni, type IniEntry } from './ini-file.js';

export interface ConfigEntry extends IniEntry {
  readonly section: string;
  readonly key: string;
}

/** Reading files is the one side effect; tests may pass files from memory. */
export interface ConfigFileReader {
  read(path: string): string | null; // null when absent
  list(dir: string): string[] | null; // file names, null when absent
}

export const diskReader: ConfigFileReader = {
  read(path) {
    try {
      if (!statSync(path).isFile()) return null;
      return readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new VoipguardError('VG_CONFIG_READ', `cannot read: ${(e as Error).message}`, { file: path }, { cause: e });
    }
  },
  list(dir) {
    try {
      return readdirSync(dir).sort();
    } catch {
      return null;
    }
  },
};

export function memoryReader(files: Record<string, string>): ConfigFileReader {
  return {
    read: (p) => files[resolve(p)] ?? files[p] ?? null,
    list: (d) => {
      const dir = resolve(d) + '/';
      const names = Object.keys(files)
        .map((f) => resolve(f))
        .filter((f) => f.startsWith(dir) && !f.slice(dir.length).includes('/'))
        .map((f) => f.slice(dir.length))
        .sort();
      return names.length ? names : null;
    },
  };
}

const MAX_DEPTH = 32;

export class ConfigSet {
  private readonly stacks = new Map<string, Map<string, ConfigEntry[]>>();
  private readonly order: string[] = [];
  readonly files: string[] = [];

  /**
   * `userLocals` names more .local overrides of an included file than the one beside it: with the
   * shipped filter.d/action.d outside the config dir, a user's /etc/voipguard/filter.d/X.local must
   * reach the shipped X.conf that another shipped file includes (core/paths.ts userLocalsFor).
   */
  constructor(
    private readonly userLocals: (included: string) => readonly string[] = () => [],
    /** Where a .conf that is not beside the file including it is found instead (the shipped one). */
    private readonly shippedFor: (missing: string) => string | null = () => null,
  ) {}

  /** The files of a unit in fail2ban's order; `unit` is a path without extension. */
  static unitFiles(unit: string, reader: ConfigFileReader = diskReader): string[] {
    const out: string[] = [];
    const dDir = `${unit}.d`;
    const dList = reader.list(dDir) ?? [];
    for (const ext of ['.conf', '.local']) {
      if (reader.read(unit + ext) !== null) out.push(unit + ext);
      for (const f of dList) if (f.endsWith(ext)) out.push(join(dDir, f));
    }
    return out;
  }

  static load(unit: string, reader: ConfigFileReader = diskReader): ConfigSet {
    const set = new ConfigSet();
    for (const f of ConfigSet.unitFiles(unit, reader)) set.addFile(f, reader);
    return set;
  }

  /** Adds one file (with its includes) on top of what is loaded. */
  addFile(path: string, reader: ConfigFileReader = diskReader, seen: string[] = []): void {
    const abs = resolve(path);
    if (seen.includes(abs)) {
      throw new VoipguardError('VG_CONFIG_INCLUDE', `includes itself through ${seen.map((s) => basename(s)).join(' → ')}`, {
        file: path,
        section: 'INCLUDES',
      });
    }
    const text = reader.read(path);
    if (text === null) throw new VoipguardError('VG_CONFIG_READ', 'file not found', { file: path });
    const doc = parseIni(text, path);
    const inc = doc.sections.get('INCLUDES');
    const includes = (key: 'before' | 'after'): string[] => {
      const e = inc?.entries.get(key);
      if (!e) return [];
      return e.value
        .split(/\s+/)
        .filter(Boolean)
        .map((f) => (isAbsolute(f) ? f : join(dirname(path), f)));
    };
    const chain = [...seen, abs];
    for (const f of includes('before')) this.addIncluded(f, reader, chain, path);
    this.files.push(path);
    for (const [name, sec] of doc.sections) {
      if (name === 'INCLUDES') continue;
      let stack = this.stacks.get(name);
      if (!stack) {
        stack = new Map();
        this.stacks.set(name, stack);
        this.order.push(name);
      }
      for (const [key, entry] of sec.entries) {
        const list = stack.get(key) ?? [];
        list.push({ ...entry, section: name, key });
        stack.set(key, list);
      }
    }
    for (const f of includes('after')) this.addIncluded(f, reader, chain, path);
  }

  private addIncluded(f: string, reader: ConfigFileReader, chain: string[], from: string): void {
    // fail2ban's own common.conf ends with `after = common.local`, which rarely exists: a missing
    // .local is an override nobody wrote, not an error
    if (f.endsWith('.local') && reader.read(f) === null) return;
    if (reader.read(f) === null) {
      const shipped = this.shippedFor(f);
      if (shipped !== null && reader.read(shipped) !== null) f = shipped;
    }
    if (reader.read(f) === null) {
      throw new VoipguardError('VG_CONFIG_INCLUDE', `included file ${f} not found`, { file: from, section: 'INCLUDES' });
    }
    this.addFile(f, reader, chain);
    // an included file's own .local override follows it, as fail2ban reads it
    const local = f.replace(/\.conf$/, '.local');
    if (local !== f && reader.read(local) !== null) this.addFile(local, reader, chain);
    for (const user of this.userLocals(f)) if (user !== local && reader.read(user) !== null) this.addFile(user, reader, chain);
  }

  sections(): string[] {
    return this.order.filter((s) => s !== 'DEFAULT');
  }

  hasSection(name: string): boolean {
    return this.stacks.has(name);
  }

  /** Keys set in the section itself (not inherited from DEFAULT). */
  ownKeys(section: string): string[] {
    return [...(this.stacks.get(section)?.keys() ?? [])];
  }

  /** The entry in effect (section, then DEFAULT), without interpolation. */
  entry(section: string, key: string): ConfigEntry | undefined {
    const own = this.stacks.get(section)?.get(key);
    if (own?.length) return own[own.length - 1];
    const def = this.stacks.get('DEFAULT')?.get(key);
    return def?.length ? def[def.length - 1] : undefined;
  }

  /**
   * The interpolated value in `section`, or undefined if the key is absent. `vars` overrides
   * (filter/action arguments) win over the file's own values, for the key and for references.
   */
  get(section: string, key: string, vars: Readonly<Record<string, string>> = {}): string | undefined {
    if (Object.prototype.hasOwnProperty.call(vars, key)) return this.interpolate(section, key, vars[key]!, vars, [], undefined);
    const e = this.entry(section, key);
    if (!e) return undefined;
    return this.interpolate(section, key, e.value, vars, [], e);
  }

  private lookup(
    section: string,
    ref: string,
    vars: Readonly<Record<string, string>>,
    below: ConfigEntry | undefined,
  ): { value: string; entry?: ConfigEntry; section: string } | undefined {
    if (ref === '__name__') return { value: section, section };
    if (ref.startsWith('known/')) {
      const k = ref.slice(6);
      const stack = below && below.key === k ? this.stacks.get(below.section)?.get(k) : undefined;
      if (stack) {
        const i = stack.indexOf(below!);
        if (i > 0) return { value: stack[i - 1]!.value, entry: stack[i - 1]!, section };
        const def = below!.section !== 'DEFAULT' ? this.entry('DEFAULT', k) : undefined;
        if (def) return { value: def.value, entry: def, section };
        return { value: '', section };
      }
      const e = this.entry(section, k);
      return e ? { value: e.value, entry: e, section } : { value: '', section };
    }
    const slash = ref.indexOf('/');
    if (slash > 0) {
      const sec = ref.slice(0, slash);
      const k = ref.slice(slash + 1);
      // fail2ban (configparserinc._map_section_options) inserts the raw value of `default/key` and
      // interpolates it in the requesting section: `%(default/action_)s` in [asterisk] must see
      // [asterisk]'s port. A named section's value is interpolated in that section.
      if (sec.toLowerCase() === 'default') {
        const e = this.entry('DEFAULT', k);
        return e ? { value: e.value, entry: e, section } : undefined;
      }
      const e = this.entry(sec, k);
      return e ? { value: e.value, entry: e, section: sec } : undefined;
    }
    const k = ref.toLowerCase();
    if (Object.prototype.hasOwnProperty.call(vars, k)) return { value: vars[k]!, section };
    const e = this.entry(section, k);
    return e ? { value: e.value, entry: e, section } : undefined;
  }

  private interpolate(
    section: string,
    key: string,
    value: string,
    vars: Readonly<Record<string, string>>,
    path: string[],
    entry: ConfigEntry | undefined,
  ): string {
    if (!value.includes('%')) return value;
    const here = `${section}/${key}`;
    if (path.includes(here) || path.length > MAX_DEPTH) {
      throw new VoipguardError('VG_CONFIG_INTERPOLATION', `interpolation cycle: ${[...path, here].join(' → ')}`, {
        file: entry?.file,
        section,
        key,
        line: entry?.line,
      });
    }
    const chain = [...path, here];
    return value.replace(/%%|%\(([^)\s]+)\)s/g, (m, ref: string | undefined) => {
      if (m === '%%') return '%';
      const found = this.lookup(section, ref!, vars, entry);
      if (!found) {
        throw new VoipguardError('VG_CONFIG_INTERPOLATION', `%(${ref})s is not defined in [${section}] or [DEFAULT]${shortcutHint(ref!)}`, {
          file: entry?.file,
          section,
          key,
          line: entry?.line,
        });
      }
      // known/ and default/ values are interpolated in this section: give them their own cycle key
      const slash = ref!.indexOf('/');
      const prefix = slash > 0 ? ref!.slice(0, slash).toLowerCase() : '';
      const name = ref!.slice(slash + 1).toLowerCase();
      const refKey = prefix === 'known' || prefix === 'default' ? `${prefix}:${name}` : name;
      return this.interpolate(found.section, refKey, found.value, vars, chain, found.entry);
    });
  }
}

/** fail2ban's action shortcuts voipguard has no action for: say so, rather than only "not defined". */
function shortcutHint(ref: string): string {
  if (!/^action_[a-z0-9_]+$/i.test(ref)) return '';
  return "; voipguard's jail.conf defines action_, action_mw and action_mwl; fail2ban's other shortcuts report to services it ships no action for: name your own action.d file (action = myaction[…])";
}
