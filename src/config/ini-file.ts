// Reads one file of fail2ban's config dialect (Python configparser as fail2ban sets it up):
// `[section]`, `key = value` or `key: value`, indented continuation lines (multi-line failregex),
// full-line comments with # or ;, inline comments with ` ;`, section names case-sensitive,
// duplicate keys last-wins.
//
// This reader does all of it, not the `ini` package: ini has no continuation lines, ends a value at
// `;` or `#` (a failregex full of both, a secret holding one), unquotes quoted values, nests a dotted
// section name ([sip.example]) and keeps no line numbers for errors. test/config/ini-dialect.test.ts
// pins those misreadings on the installed ini; docs/dependencies.md says where ini is used instead.

import { VoipguardError } from '../core/errors.js';

export interface IniEntry {
  readonly value: string;
  readonly file: string;
  readonly line: number;
}

export interface IniSection {
  readonly name: string;
  readonly file: string;
  readonly line: number;
  readonly entries: ReadonlyMap<string, IniEntry>;
}

export interface IniDocument {
  readonly file: string;
  readonly sections: ReadonlyMap<string, IniSection>;
}

const SECTION_RE = /^\[([^\]\r\n]+)\]\s*(?:[;#].*)?$/;
const KEY_RE = /^([^=:\s][^=:]*?)\s*[=:]\s?(.*)$/;
const INLINE_COMMENT_RE = /\s;.*$/;

interface RawEntry {
  key: string;
  parts: string[];
  line: number;
}

/** Parses text; throws VoipguardError(VG_CONFIG_SYNTAX) naming file and line for a line it cannot read. */
export function parseIni(text: string, file: string): IniDocument {
  const lines = text.split(/\r?\n/);
  const order: { name: string; line: number; entries: RawEntry[] }[] = [];
  let current: { name: string; line: number; entries: RawEntry[] } | null = null;
  let last: RawEntry | null = null;

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const lineNo = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '') continue; // a blank line inside a value is dropped, as configparser does on output
    if (trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const indented = raw.charCodeAt(0) === 32 || raw.charCodeAt(0) === 9;
    if (indented && last !== null) {
      last.parts.push(trimmed.replace(INLINE_COMMENT_RE, ''));
      continue;
    }
    const sec = SECTION_RE.exec(trimmed);
    if (sec) {
      current = { name: sec[1]!.trim(), line: lineNo, entries: [] };
      order.push(current);
      last = null;
      continue;
    }
    const kv = KEY_RE.exec(trimmed);
    if (!kv || current === null) {
      throw new VoipguardError('VG_CONFIG_SYNTAX', current === null ? `"${clip(trimmed)}" stands before any [section]` : `cannot read "${clip(trimmed)}"`, {
        file,
        line: lineNo,
        ...(current ? { section: current.name } : {}),
      });
    }
    last = { key: kv[1]!.trim().toLowerCase(), parts: [kv[2]!.replace(INLINE_COMMENT_RE, '').trim()], line: lineNo };
    current.entries.push(last);
  }

  const sections = new Map<string, IniSection>();
  for (const s of order) {
    const prev = sections.get(s.name);
    const entries = new Map<string, IniEntry>(prev ? prev.entries : []);
    for (const e of s.entries) entries.set(e.key, { value: joinParts(e.parts), file, line: e.line });
    sections.set(s.name, { name: s.name, file, line: prev ? prev.line : s.line, entries });
  }
  return { file, sections };
}

// A value whose first line is empty (`failregex =` then indented lines) starts on the next line.
function joinParts(parts: string[]): string {
  const p = parts[0] === '' ? parts.slice(1) : parts;
  return p.join('\n');
}

function clip(s: string): string {
  return s.length > 60 ? s.slice(0, 57) + '...' : s;
}
