// The daemon's Metrics until prom-client is loaded: prom-client and @opentelemetry/api, which it
// loads, are about 80 module files, loaded after the daemon is ready when nothing needs them
// before (no [metrics] listener, no [cluster]): docs/flood.md. Calls made meanwhile are kept in
// order and replayed into the real Metrics once attached, so no count is lost; a scrape waits for
// it. Every method stays cheap and never throws, as Metrics requires.

import type { BanReason, UnbanReason } from '../core/types.js';
import type { AmiState, FailureFacts, FirewallOp, Metrics, NotifyOutcome } from './metrics.js';
import type { Scrapable } from './metrics-server.js';

/** Calls kept at most before the real Metrics comes (the start makes a few hundred). */
export const MAX_DEFERRED_CALLS = 1_000_000;

export class DeferredMetrics implements Metrics, Scrapable {
  private target: (Metrics & Scrapable) | null = null;
  private queue: ((m: Metrics) => void)[] = [];
  /** Calls not kept (past MAX_DEFERRED_CALLS). */
  dropped = 0;
  private attached!: (m: Metrics & Scrapable) => void;
  private readonly ready = new Promise<Metrics & Scrapable>((r) => (this.attached = r));

  /** The real Metrics: the calls kept are replayed into it, in order; later calls go straight to it. */
  attach(m: Metrics & Scrapable): void {
    if (this.target) return;
    for (const call of this.queue) call(m);
    this.queue = [];
    this.target = m;
    this.attached(m);
  }

  async scrape(): Promise<{ contentType: string; body: string }> {
    return (await this.ready).scrape();
  }

  /** Keeps a call made before attach() (after it, each method calls the target directly: no closure per count). */
  private call(f: (m: Metrics) => void): void {
    if (this.target) return f(this.target);
    if (this.queue.length < MAX_DEFERRED_CALLS) this.queue.push(f);
    else this.dropped++;
  }

  linesRead(source: string, count?: number): void {
    if (this.target) this.target.linesRead(source, count);
    else this.call((m) => m.linesRead(source, count));
  }
  candidateLines(source: string, count?: number): void {
    if (this.target) this.target.candidateLines(source, count);
    else this.call((m) => m.candidateLines(source, count));
  }
  failure(f: FailureFacts): void {
    if (this.target) this.target.failure(f);
    else this.call((m) => m.failure(f));
  }
  signalSeen(jail: string): void {
    if (this.target) this.target.signalSeen(jail);
    else this.call((m) => m.signalSeen(jail));
  }
  attemptCounted(jail: string): void {
    if (this.target) this.target.attemptCounted(jail);
    else this.call((m) => m.attemptCounted(jail));
  }
  ban(jail: string, reason: BanReason): void {
    if (this.target) this.target.ban(jail, reason);
    else this.call((m) => m.ban(jail, reason));
  }
  unban(jail: string, reason: UnbanReason): void {
    if (this.target) this.target.unban(jail, reason);
    else this.call((m) => m.unban(jail, reason));
  }
  activeBans(jail: string, count: number): void {
    if (this.target) this.target.activeBans(jail, count);
    else this.call((m) => m.activeBans(jail, count));
  }
  firewallCommand(action: string, op: FirewallOp, ok: boolean): void {
    if (this.target) this.target.firewallCommand(action, op, ok);
    else this.call((m) => m.firewallCommand(action, op, ok));
  }
  pendingBans(count: number): void {
    if (this.target) this.target.pendingBans(count);
    else this.call((m) => m.pendingBans(count));
  }
  amiState(state: AmiState): void {
    if (this.target) this.target.amiState(state);
    else this.call((m) => m.amiState(state));
  }
  amiInUse(used: boolean): void {
    if (this.target) this.target.amiInUse(used);
    else this.call((m) => m.amiInUse(used));
  }
  jailStarted(jail: string, currentlyFailed: () => number): void {
    if (this.target) this.target.jailStarted(jail, currentlyFailed);
    else this.call((m) => m.jailStarted(jail, currentlyFailed));
  }
  jailStopped(jail: string): void {
    if (this.target) this.target.jailStopped(jail);
    else this.call((m) => m.jailStopped(jail));
  }
  amiReconnect(): void {
    if (this.target) this.target.amiReconnect();
    else this.call((m) => m.amiReconnect());
  }
  guardNotice(jail: string, event: 'account-attack' | 'compromise-suspected'): void {
    if (this.target) this.target.guardNotice(jail, event);
    else this.call((m) => m.guardNotice(jail, event));
  }
  timestampClamped(source: string): void {
    if (this.target) this.target.timestampClamped(source);
    else this.call((m) => m.timestampClamped(source));
  }
  banInKernel(jail: string, attackTime: number, confirmedAt: number): void {
    if (this.target) this.target.banInKernel(jail, attackTime, confirmedAt);
    else this.call((m) => m.banInKernel(jail, attackTime, confirmedAt));
  }
  notification(channel: string, outcome: NotifyOutcome, count?: number): void {
    if (this.target) this.target.notification(channel, outcome, count);
    else this.call((m) => m.notification(channel, outcome, count));
  }
}
