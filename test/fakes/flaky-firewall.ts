// The memory firewall with faults on demand, for the flood tests: a transaction can be made to fail
// (the whole batch, as iptables-restore does when one line is refused), and every call is recorded
// with the turn of the event loop it ran in (the caller keeps the count).

import { MemoryFirewall } from '../../src/firewall/memory-firewall.js';
import { FirewallCommandError, type ApplyResult, type FirewallChange } from '../../src/firewall/firewall.js';
import type { Logger } from '../../src/log/logger.js';

export class FlakyFirewall extends MemoryFirewall {
  /** Transactions still to fail, each as a whole (nothing of it reaches the "kernel"). */
  failNext = 0;
  /** Addresses added while already held: a real iptables would hold the rule twice. */
  doubled = 0;
  readonly calls: { ban: number; unban: number; failed: boolean; turn: number }[] = [];
  /** Called at the start of every transaction (a test can make things happen while it runs). */
  onApply: ((change: FirewallChange) => void) | null = null;

  constructor(
    id: string,
    log: Logger,
    private readonly turnNow: () => number = () => 0,
  ) {
    super(id, log);
  }

  override async apply(change: FirewallChange): Promise<ApplyResult> {
    this.onApply?.(change);
    const failed = this.failNext > 0;
    this.calls.push({ ban: change.ban.length, unban: change.unban.length, failed, turn: this.turnNow() });
    if (failed) {
      this.failNext--;
      const error = new FirewallCommandError(['iptables-restore', '-w', '--noflush'], 1, 'iptables-restore: line 5003 failed', change.ban.length);
      return { done: [], failed: [...change.unban, ...change.ban.map((b) => b.ip)].map((ip) => ({ ip, error })) };
    }
    for (const b of change.ban) if (this.banned.has(b.ip)) this.doubled++;
    return super.apply(change);
  }
}
