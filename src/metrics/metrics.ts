// What the stages report, one method per fact. The daemon passes one Metrics to every stage; tests
// and tools that do not export metrics pass NoopMetrics. Implementations must be cheap and must
// never throw: a metric is never a reason to lose a line or a ban.
//
// Labels are bounded sets chosen by the configuration or by Asterisk (jail, source path, event
// kind, service, reason, action, operation), never an address: an attacker who could put a value in
// a label could grow the registry without bound.

import type { BanReason, UnbanReason } from '../core/types.js';

/** The AMI connection states the AMI source moves through (issue 5). */
export const AMI_STATES = ['disconnected', 'connecting', 'authenticating', 'connected', 'auth-failed', 'backing-off'] as const;
export type AmiState = (typeof AMI_STATES)[number];

/** Firewall operations, a closed set so the label cannot grow. */
export const FIREWALL_OPS = ['start', 'stop', 'check', 'ban', 'unban', 'flush', 'batch', 'repair', 'reconcile'] as const;
export type FirewallOp = (typeof FIREWALL_OPS)[number];

export type NotifyOutcome = 'sent' | 'failed' | 'dropped';

export interface FailureFacts {
  readonly jail: string;
  readonly source: string;
  readonly kind: string;
  readonly service?: string;
}

export interface Metrics {
  /** A source read `count` physical lines (sources may report per chunk rather than per line). */
  linesRead(source: string, count?: number): void;
  /** Lines that passed the filter's cheap pre-check and went on to the full regexes. */
  candidateLines(source: string, count?: number): void;
  /** A Failure that reached a jail (after correlation: one per counted attempt). */
  failure(f: FailureFacts): void;
  /** One signal of an attempt (a log line or AMI event) seen by the correlator, before merging. */
  signalSeen(jail: string): void;
  /** One attempt counted by the jail after merging signals of the same attempt. */
  attemptCounted(jail: string): void;
  ban(jail: string, reason: BanReason): void;
  unban(jail: string, reason: UnbanReason): void;
  /** The number of active bans of a jail, as the store holds it. */
  activeBans(jail: string, count: number): void;
  /** One firewall command (or batch) ran; `ok` false when it failed. `action` is the action.d name. */
  firewallCommand(action: string, op: FirewallOp, ok: boolean): void;
  /** Bans decided but not yet confirmed in the kernel (kept pending in the store while retried). */
  pendingBans(count: number): void;
  amiState(state: AmiState): void;
  /**
   * Whether any running jail takes AMI events. When none does (or [ami] is off) no AMI state series
   * is exported: a "disconnected" series on a log-only install would fire every naive alert.
   */
  amiInUse(used: boolean): void;
  /**
   * A jail started: voipguard_jail_info{jail} 1 from now on, and voipguard_currently_failed{jail}
   * read through `currentlyFailed` at each scrape (a count the jail keeps, no scan).
   */
  jailStarted(jail: string, currentlyFailed: () => number): void;
  /** A jail stopped (reload removed or restarted it, or the daemon stops): its gauges (info, currently failed, active bans) go. */
  jailStopped(jail: string): void;
  amiReconnect(): void;
  /** An account came under attack or a compromise is suspected (docs/beyond-one-address.md): never the account as a label. */
  guardNotice(jail: string, event: 'account-attack' | 'compromise-suspected'): void;
  /** A line or event dated too far from now was clamped to the skew bound. */
  timestampClamped(source: string): void;
  /**
   * A ban was confirmed in the kernel at `confirmedAt` (ms, injected clock); `attackTime` is the
   * Failure.time of the failure that triggered it (the attack line's own timestamp).
   */
  banInKernel(jail: string, attackTime: number, confirmedAt: number): void;
  /** A notification digest was sent, failed (and will be retried), or bans were dropped (queue full). */
  notification(channel: string, outcome: NotifyOutcome, count?: number): void;
}
