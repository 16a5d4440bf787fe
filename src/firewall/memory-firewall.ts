// The memory firewall: the dummy action, and every action under `voipguard daemon --dry-run`.
// It keeps the ban set a real firewall would hold and logs each transaction instead of running it.

import type { Logger } from '../log/logger.js';
import { Listing, type ApplyResult, type Firewall, type FirewallChange } from './firewall.js';

export class MemoryFirewall implements Firewall {
  readonly kernelTimeouts: boolean = false;
  readonly listable = true;
  readonly banned = new Set<string>();
  /** The bans a real firewall would DROP (droprepeat), a subset of `banned`. */
  readonly dropped = new Set<string>();
  /** Every transaction, in order: what a real firewall would have been told. */
  readonly transactions: FirewallChange[] = [];

  constructor(
    readonly id: string,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {}
  async stop(): Promise<void> {
    this.banned.clear();
    this.dropped.clear();
  }
  async intact(): Promise<boolean> {
    return true;
  }
  async repair(): Promise<void> {}
  async flush(): Promise<void> {
    this.banned.clear();
    this.dropped.clear();
  }
  async list(): Promise<Set<string>> {
    const out = new Listing(this.banned);
    for (const ip of this.dropped) out.dropped.add(ip);
    return out;
  }
  async hookWarnings(): Promise<string[]> {
    return [];
  }

  async apply(change: FirewallChange): Promise<ApplyResult> {
    this.transactions.push(change);
    for (const ip of change.unban) {
      this.banned.delete(ip);
      this.dropped.delete(ip);
    }
    for (const b of change.ban) {
      this.banned.add(b.ip);
      if (b.drop) this.dropped.add(b.ip);
    }
    const drop = change.ban.filter((b) => b.drop).map((b) => b.ip);
    this.log.info({ event: 'firewall-memory', action: this.id, ban: change.ban.map((b) => b.ip), unban: change.unban, ...(drop.length ? { drop } : {}) });
    return { done: [...change.unban, ...change.ban.map((b) => b.ip)], failed: [] };
  }
}
