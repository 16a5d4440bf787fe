// A logger that keeps its records in memory, for tests that check what was logged.

import pino, { type DestinationStream } from 'pino';
import { LOG_FORMATTERS, LOG_REDACT, type Logger } from '../../src/log/logger.js';

/** A logger that keeps its records in memory, for tests that check what was logged. */
export function memoryLogger(level = 'trace'): { log: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const stream: DestinationStream = {
    write(s: string) {
      for (const line of s.split('\n')) if (line) records.push(JSON.parse(line) as Record<string, unknown>);
    },
  };
  const log = pino({ level, redact: LOG_REDACT, formatters: LOG_FORMATTERS }, stream);
  return { log, records };
}
