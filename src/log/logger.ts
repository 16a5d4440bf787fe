// One root logger per process, made in the composition root and passed down; components take a
// child (`log.child({component: 'ami'})`). Logs are structured facts; sentences belong to the CLI.
// Secrets never reach a line: any field named secret/password/… is redacted wherever it appears.

import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

export const REDACT_PATHS = ['secret', '*.secret', '*.*.secret', 'password', '*.password', '*.*.password', 'options.password', 'credentials', '*.credentials'];

export interface LoggerOptions {
  level?: string; // pino level names; fail2ban's names are mapped by config/log-level.ts
  /** 'stdout' | 'stderr' | a file path; a stream for tests. */
  target?: string | DestinationStream;
  name?: string;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const base = {
    name: opts.name ?? 'voipguard',
    level: opts.level ?? 'info',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    base: undefined as undefined,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const t = opts.target ?? 'stdout';
  if (typeof t !== 'string') return pino(base, t);
  if (t === 'stdout') return pino(base, pino.destination({ dest: 1, sync: true }));
  if (t === 'stderr') return pino(base, pino.destination({ dest: 2, sync: true }));
  return pino(base, pino.destination({ dest: t, sync: false, mkdir: true }));
}

/** A logger that writes nowhere, for unit tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
