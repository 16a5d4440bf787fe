// One root logger per process, made in the composition root and passed down; components take a
// child (`log.child({component: 'ami'})`). Logs are structured facts; sentences belong to the CLI.
// Secrets never reach a line: a field named secret/password/credentials is redacted (log/redact.ts).

import pino, { type Logger, type DestinationStream, type LoggerOptions as PinoOptions } from 'pino';
import { CENSOR, redactSecrets } from './redact.js';

export type { Logger };

/**
 * The formatters every logger shares (the daemon's, and the tests' memory logger): secrets
 * redacted by redact.ts in each logged object, the level as its name.
 */
export const LOG_FORMATTERS: NonNullable<PinoOptions['formatters']> = {
  level: (label: string) => ({ level: label }),
  log: (obj: Record<string, unknown>) => redactSecrets(obj),
};

/**
 * pino's own redaction, top-level names only (free for a line without them: no wildcard): what a
 * child's bindings get, since pino gives those to no formatter. A child is bound to names
 * (component, jail, feed); a secret nested in a binding is not searched.
 */
export const LOG_REDACT = { paths: ['secret', 'password', 'credentials'], censor: CENSOR };

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
    redact: LOG_REDACT,
    timestamp: pino.stdTimeFunctions.isoTime,
    base: undefined as undefined,
    formatters: LOG_FORMATTERS,
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
