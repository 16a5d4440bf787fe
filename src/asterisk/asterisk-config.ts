// A reader for Asterisk's own config syntax (main/config.c), which `ini` cannot read
// (docs/asterisk-facts.md §6): `[name]`, `[name](!)` templates, `[name](tpl,…)` inheritance,
// `[name](+)` additions, `key = value`, `key => value`, `key += value`, `;` comments with `\;`
// escapes, `;-- … --;` block comments, `#include`/`#tryinclude` (relative to the config dir, globs
// allowed). It follows Asterisk's lookup rules so the doctor sees what Asterisk sees:
// category names and keys compare case-insensitively; `retrieve` returns the last value over every
// category of that name (ast_variable_retrieve), `browse` only the first category (ast_variable_browse).
// Problems Asterisk would warn about are collected, not thrown: the doctor reports them.

import { isAbsolute, join, dirname, basename } from 'node:path';
import { diskReader, type ConfigFileReader } from '../config/config-set.js';

export interface AstVariable {
  readonly name: string;
  readonly value: string;
  /** Written with `=>` (an "object", as exten => and channel lines are). */
  readonly object: boolean;
  readonly file: string;
  readonly line: number;
  /** Copied from a template. */
  readonly inherited: boolean;
}

export interface AstCategory {
  readonly name: string;
  readonly template: boolean;
  readonly inherits: readonly string[];
  readonly file: string;
  readonly line: number;
  readonly variables: readonly AstVariable[];
}

export interface AstConfigProblem {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export interface ReadOptions {
  readonly reader?: ConfigFileReader;
  /** Where relative #include paths start (Asterisk's astetcdir); default: the main file's dir. */
  readonly configDir?: string;
}

const MAX_INCLUDE_DEPTH = 16;

interface MutableCategory {
  name: string;
  template: boolean;
  inherits: string[];
  file: string;
  line: number;
  variables: AstVariable[];
}

export class AsteriskConfig {
  constructor(
    readonly file: string,
    readonly files: readonly string[],
    readonly categories: readonly AstCategory[],
    readonly problems: readonly AstConfigProblem[],
  ) {}

  /** Every category of that name, in file order (templates too: Asterisk's lookups find them). */
  named(name: string): AstCategory[] {
    const n = name.toLowerCase();
    return this.categories.filter((c) => c.name.toLowerCase() === n);
  }

  has(name: string): boolean {
    return this.named(name).length > 0;
  }

  /** ast_variable_retrieve: the last value of `key` over every category named `category`. */
  retrieve(category: string, key: string): string | undefined {
    return this.lastVariable(category, key)?.value;
  }

  lastVariable(category: string, key: string): AstVariable | undefined {
    const k = key.toLowerCase();
    let found: AstVariable | undefined;
    for (const c of this.named(category)) for (const v of c.variables) if (v.name.toLowerCase() === k) found = v;
    return found;
  }

  /** ast_variable_browse: the variables of the first category of that name only. */
  browse(category: string): readonly AstVariable[] {
    return this.named(category)[0]?.variables ?? [];
  }

  /** Every value of `key` in one category (channels listing, exten lines, repeated permit=). */
  values(cat: AstCategory, key: string): AstVariable[] {
    const k = key.toLowerCase();
    return cat.variables.filter((v) => v.name.toLowerCase() === k);
  }
}

/** Reads `file` with its includes; null when the file itself is absent. */
export function readAsteriskConfig(file: string, opts: ReadOptions = {}): AsteriskConfig | null {
  const reader = opts.reader ?? diskReader;
  const text = reader.read(file);
  if (text === null) return null;
  return parseAsteriskConfig(text, file, opts);
}

export function parseAsteriskConfig(text: string, file: string, opts: ReadOptions = {}): AsteriskConfig {
  const state: ParseState = {
    reader: opts.reader ?? diskReader,
    configDir: opts.configDir ?? dirname(file),
    categories: [],
    problems: [],
    files: [],
    current: null,
    commentDepth: 0,
  };
  parseText(state, text, file, [file]);
  return new AsteriskConfig(file, state.files, state.categories, state.problems);
}

interface ParseState {
  reader: ConfigFileReader;
  configDir: string;
  categories: MutableCategory[];
  problems: AstConfigProblem[];
  files: string[];
  current: MutableCategory | null;
  commentDepth: number;
}

function parseText(st: ParseState, text: string, file: string, chain: string[]): void {
  st.files.push(file);
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const content = stripComments(st, lines[i]!).trim();
    if (content === '') continue;
    if (content.startsWith('#')) {
      directive(st, content, file, lineNo, chain);
    } else if (content.startsWith('[')) {
      category(st, content, file, lineNo);
    } else {
      variable(st, content, file, lineNo);
    }
  }
}

/** Removes `;` comments (not `\;`, which becomes `;`) and block comments, which span lines. */
function stripComments(st: ParseState, line: string): string {
  let out = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (st.commentDepth > 0) {
      if (line.startsWith('--;', i)) {
        st.commentDepth--;
        i += 2;
      } else if (line.startsWith(';--', i)) {
        st.commentDepth++;
        i += 2;
      }
      continue;
    }
    if (c === '\\' && line[i + 1] === ';') {
      out += ';';
      i++;
    } else if (line.startsWith(';--', i)) {
      st.commentDepth++;
      i += 2;
    } else if (c === ';') {
      break;
    } else {
      out += c;
    }
  }
  return out;
}

function directive(st: ParseState, content: string, file: string, line: number, chain: string[]): void {
  const m = /^#\s*(include|tryinclude|exec|tryexec)\s+(.+)$/i.exec(content);
  if (!m) {
    st.problems.push({ file, line, message: `unknown directive "${content}"` });
    return;
  }
  const kind = m[1]!.toLowerCase();
  const target = m[2]!.trim().replace(/^["<](.*)[">]$/, '$1');
  if (kind === 'exec' || kind === 'tryexec') {
    st.problems.push({ file, line, message: `#${kind} ${target} is not run by voipguard: its output is not checked` });
    return;
  }
  const path = isAbsolute(target) ? target : join(st.configDir, target);
  const matches = expandGlob(st.reader, path);
  if (matches.length === 0) {
    if (kind === 'include') st.problems.push({ file, line, message: `#include ${target}: no such file` });
    return;
  }
  for (const p of matches) {
    if (chain.includes(p) || chain.length > MAX_INCLUDE_DEPTH) {
      st.problems.push({ file, line, message: `#include ${target} includes itself` });
      continue;
    }
    const text = st.reader.read(p);
    if (text !== null) parseText(st, text, p, [...chain, p]);
  }
}

/** `*` and `?` in the last path component (what configs use: `pjsip.d/*.conf`). */
function expandGlob(reader: ConfigFileReader, path: string): string[] {
  const name = basename(path);
  if (!/[*?]/.test(name)) return reader.read(path) !== null ? [path] : [];
  const dir = dirname(path);
  const re = new RegExp(
    '^' +
      name
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.') +
      '$',
  );
  return (reader.list(dir) ?? [])
    .filter((f) => re.test(f))
    .map((f) => join(dir, f))
    .filter((p) => reader.read(p) !== null);
}

function category(st: ParseState, content: string, file: string, line: number): void {
  const m = /^\[([^\]]*)\]\s*(?:\(([^)]*)\))?\s*$/.exec(content);
  if (!m || m[1]!.trim() === '') {
    st.problems.push({ file, line, message: `cannot read category line "${content}"` });
    st.current = null;
    return;
  }
  const name = m[1]!.trim();
  const opts = (m[2] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (opts.includes('+')) {
    const lower = name.toLowerCase();
    const existing = [...st.categories].reverse().find((c) => c.name.toLowerCase() === lower);
    if (!existing) {
      st.problems.push({ file, line, message: `[${name}](+) adds to a category that does not exist` });
      st.current = null;
      return;
    }
    st.current = existing;
    return;
  }
  const cat: MutableCategory = { name, template: opts.includes('!'), inherits: [], file, line, variables: [] };
  for (const t of opts.filter((o) => o !== '!')) {
    const tl = t.toLowerCase();
    const base = [...st.categories].reverse().find((c) => c.name.toLowerCase() === tl);
    if (!base) {
      st.problems.push({ file, line, message: `[${name}] inherits from "${t}", which is not defined before it` });
      continue;
    }
    cat.inherits.push(base.name);
    for (const v of base.variables) cat.variables.push({ ...v, inherited: true });
  }
  st.categories.push(cat);
  st.current = cat;
}

function variable(st: ParseState, content: string, file: string, line: number): void {
  const eq = content.indexOf('=');
  if (eq <= 0) {
    st.problems.push({ file, line, message: `no "=" in "${content}"` });
    return;
  }
  if (st.current === null) {
    st.problems.push({ file, line, message: `"${content}" stands before any [category]` });
    return;
  }
  const object = content[eq + 1] === '>';
  const append = !object && content[eq - 1] === '+';
  const name = content.slice(0, append ? eq - 1 : eq).trim();
  const value = content.slice(eq + (object ? 2 : 1)).trim();
  const vars = st.current.variables;
  if (append) {
    const lower = name.toLowerCase();
    for (let i = vars.length - 1; i >= 0; i--) {
      if (vars[i]!.name.toLowerCase() === lower) {
        vars[i] = { ...vars[i]!, value: vars[i]!.value + value };
        return;
      }
    }
  }
  vars.push({ name, value, object, file, line, inherited: false });
}
