// What a jail noticed beyond its bans (docs/beyond-one-address.md): an account under attack, a
// suspected compromise. Each is logged as a fact, counted in /metrics (by jail and event only: the
// account is attacker-written and never a label) and, for a compromise, sent at once through the
// jail's notify actions when it has any.

import type { GuardNotice } from '../core/auth-signal.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';

/** Longest account text put in a log fact (the jail already cut it to its cap). */
const LOG_ACCOUNT_MAX = 128;

export function reportNotices(notices: readonly GuardNotice[], log: Logger, metrics: Metrics, alarm: ((n: GuardNotice) => void) | null): void {
  for (const n of notices) {
    metrics.guardNotice(n.jail, n.event);
    // pino writes the account JSON-escaped: quotes and newlines cannot forge a field or a line
    const account = n.account.length > LOG_ACCOUNT_MAX ? n.account.slice(0, LOG_ACCOUNT_MAX) : n.account;
    if (n.event === 'account-attack') {
      log.warn({ event: 'account-attack', jail: n.jail, account, addresses: n.addresses, banned: n.banned });
    } else {
      log.warn({ event: 'compromise-suspected', jail: n.jail, ip: n.ip, account, failures: n.failures, banned: n.banned });
      alarm?.(n);
    }
  }
}
