// The `loglevel` value: fail2ban's level names, as voipguard.conf and `set loglevel` accept them,
// mapped to pino's. A config value parser, so it lives with the config leaf.

/** fail2ban's loglevel names (CRITICAL…TRACEDEBUG, HEAVYDEBUG, numeric) to pino's. */
export function fromFail2banLevel(level: string): string | null {
  const l = level.trim().toUpperCase();
  const map: Record<string, string> = {
    CRITICAL: 'fatal',
    FATAL: 'fatal',
    ERROR: 'error',
    WARNING: 'warn',
    WARN: 'warn',
    NOTICE: 'info',
    INFO: 'info',
    DEBUG: 'debug',
    TRACEDEBUG: 'trace',
    HEAVYDEBUG: 'trace',
    TRACE: 'trace',
    SILENT: 'silent',
  };
  return map[l] ?? null;
}
