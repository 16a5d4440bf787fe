// What logger.conf makes Asterisk write (docs/asterisk-facts.md §2): the file channels of
// [logfiles] with their levels and formatter, the dateformat, and where the files land (astlogdir
// from asterisk.conf, `.hostname` appended when appendhostname = yes).

import { isAbsolute, join } from 'node:path';
import type { AsteriskConfig } from './asterisk-config.js';

export const DEFAULT_DATEFORMAT = '%b %e %T';
export const DEFAULT_ASTLOGDIR = '/var/log/asterisk';

export interface LogChannel {
  readonly name: string;
  /** The file Asterisk writes; null for console and syslog channels. */
  readonly path: string | null;
  readonly formatter: 'default' | 'plain' | 'json' | string;
  /** Lowercased level names; `*` stands for every level. */
  readonly levels: readonly string[];
  readonly line: number;
  readonly file: string;
}

export interface LoggerSettings {
  readonly dateformat: string;
  /** true when dateformat is absent and Asterisk's default applies. */
  readonly defaultDateformat: boolean;
  readonly channels: readonly LogChannel[];
  readonly customLevels: readonly string[];
}

export function astLogDir(asterisk: AsteriskConfig | null): string {
  return asterisk?.retrieve('directories', 'astlogdir') ?? DEFAULT_ASTLOGDIR;
}

export function readLoggerSettings(logger: AsteriskConfig, logDir: string, hostname: string): LoggerSettings {
  const fmt = logger.retrieve('general', 'dateformat');
  const appendHost = isTrue(logger.retrieve('general', 'appendhostname'));
  const channels: LogChannel[] = [];
  // logger.c browses only the first [logfiles] category
  for (const v of logger.browse('logfiles')) {
    const m = /^\s*(?:\[([a-z]+)\])?\s*(.*)$/i.exec(v.value)!;
    const levels = m[2]!
      .split(',')
      .map((l) =>
        l
          .trim()
          .toLowerCase()
          .replace(/\(.*\)$/, ''),
      )
      .filter(Boolean);
    const name = v.name;
    const lower = name.toLowerCase();
    const isFile = lower !== 'console' && !lower.startsWith('syslog');
    let path: string | null = null;
    if (isFile) {
      path = isAbsolute(name) ? name : join(logDir, name);
      if (appendHost) path = `${path}.${hostname}`;
    }
    channels.push({ name, path, formatter: (m[1] ?? 'default').toLowerCase(), levels, line: v.line, file: v.file });
  }
  const custom = logger.retrieve('general', 'custom_levels');
  return {
    dateformat: fmt !== undefined && fmt !== '' ? fmt : DEFAULT_DATEFORMAT,
    defaultDateformat: fmt === undefined || fmt === '',
    channels,
    customLevels: custom
      ? custom
          .split(',')
          .map((s) => s.trim().toLowerCase())
          .filter(Boolean)
      : [],
  };
}

/** File channels that carry `level`. */
export function fileChannelsFor(settings: LoggerSettings, level: string): LogChannel[] {
  const l = level.toLowerCase();
  return settings.channels.filter((c) => c.path !== null && (c.levels.includes(l) || c.levels.includes('*')));
}

/** Asterisk's ast_true: yes, true, y, t, 1, on. */
export function isTrue(value: string | undefined): boolean {
  return value !== undefined && /^(yes|true|y|t|1|on)$/i.test(value.trim());
}

/** Asterisk's ast_false: no, false, n, f, 0, off. */
export function isFalse(value: string | undefined): boolean {
  return value !== undefined && /^(no|false|n|f|0|off)$/i.test(value.trim());
}
