// A jail's way to its firewall (jail-runtime.ts): decisions that arrive while the actions are busy
// wait and go together in the next call, one transaction for a flood instead of one per line; and
// the time from an attack line to its ban confirmed in the kernel by every action (the
// ban-in-kernel metric) is taken once per flush, not once per decision.

import type { Clock } from '../core/clock.js';
import type { Decision } from '../core/types.js';
import type { Metrics } from '../metrics/metrics.js';
import type { JailParts } from './ports.js';

export class FirewallDoor {
  private batch: Decision[] = [];
  private flushing: Promise<void> | null = null;
  /** Bans detected from a line, by address: the line's time, until every action holds the ban. */
  private readonly awaitingKernel = new Map<string, number>();

  constructor(
    private readonly jail: string,
    private readonly parts: Pick<JailParts, 'actions' | 'engine'>,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
  ) {}

  /** A ban detected from an attack line at `attackTime`: timed until the kernel holds it. */
  timeBan(ip: string, attackTime: number): void {
    this.awaitingKernel.set(ip, attackTime);
  }

  /** An unban: the ban it ends is no longer awaited. */
  untime(ip: string): void {
    this.awaitingKernel.delete(ip);
  }

  /**
   * Queues `decisions`; resolves with the flush that sends them. The first flush waits one
   * microtask (after the store's), so the decisions of every line of one read join it.
   */
  send(decisions: readonly Decision[]): Promise<void> {
    for (const d of decisions) this.batch.push(d);
    this.flushing ??= (async () => {
      await null;
      while (this.batch.length) {
        const next = this.batch;
        this.batch = [];
        await this.parts.actions.apply(next, this.clock.now());
        // this flush's bans only: a ban still awaited from an earlier, failed flush lands with a
        // retry of the check, which confirms them all (jail-runtime.ts). Asking every awaited
        // address after every flush cost a burst of 10,000 about a second of CPU (docs/cluster.md)
        this.confirmSome(next, this.clock.now());
        // once per flush, not once per decision waiting for it
        this.metrics.activeBans(this.jail, this.parts.engine.bannedCount);
      }
      this.flushing = null;
    })();
    return this.flushing;
  }

  /** Settles when every decision sent so far has been through the actions. */
  async idle(): Promise<void> {
    await this.flushing;
  }

  /** Time to ban: from the attack line's own time to the ban confirmed by every action (after the actions' check; after each flush, its own bans alone). */
  confirmKernel(now: number): void {
    this.confirm(this.awaitingKernel.keys(), now);
  }

  private confirmSome(decisions: readonly Decision[], now: number): void {
    this.confirm(bannedIps(decisions), now);
  }

  /** Each of `ips` still awaited that every action now holds is confirmed (asked address by address: the sorted list of 100,000 pending addresses cost a pause per flush). */
  private confirm(ips: Iterable<string>, now: number): void {
    const waiting = this.awaitingKernel;
    if (!waiting.size) return;
    const actions = this.parts.actions;
    const pending = actions.awaiting ? null : new Set(actions.pending());
    for (const ip of ips) {
      const attackTime = waiting.get(ip);
      if (attackTime === undefined) continue;
      if (pending ? pending.has(ip) : actions.awaiting!(ip)) continue;
      waiting.delete(ip);
      this.metrics.banInKernel(this.jail, attackTime, now);
    }
  }
}

/** The addresses the bans among `decisions` name. */
export function* bannedIps(decisions: readonly Decision[]): Generator<string> {
  for (const d of decisions) if (d.type === 'ban') yield d.ip;
}
