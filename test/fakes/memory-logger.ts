// A logger that keeps its records in memory, for tests that check what was logged.

import pino, { type DestinationStream } from 'pino';
import { REDACT_PATHS, type Logger } from '../../src/log/logger.js';

/** A logger that keeps its records in memory, for tests that check what was logged. */
export function memoryLogger(level = 'trace'): { log: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const stream: DestinationStream = {
    write(s: string) {
      for (const line of s.split('\n')) if (line) records.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
  const log = pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, formatters: { level: (l: string) => ({ level: l }) } }, stream);
  return { log, records };
}
