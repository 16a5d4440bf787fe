// The fleet logic's view of the rest of the daemon: the jails (implemented by
// daemon/cluster-jails.ts over the running jails), its settings from [cluster], and the report that
// `voipguard status cluster` shows (control/replies.ts's ClusterStatus has the same shape).

import type { BackoffOptions } from '../core/backoff.js';
import type { Clock } from '../core/clock.js';
import type { HeapPolicy } from '../core/heap-policy.js';
import type { HostAddresses, LiveRegistrations } from '../core/protection.js';
import type { Timers } from '../core/timers.js';
import type { BanRecord, Decision } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import type { ClusterMetrics } from '../metrics/cluster-metrics.js';
import type { Store } from '../store/store.js';
import type { ClusterBus } from './bus.js';

/** The jails as the fleet logic needs them; the daemon implements it over its runtimes. */
export interface ClusterJails {
  /** The running jails (the fleet shares those named by [cluster] jails, or all of them). */
  running(): readonly string[];
  ignoreip(jail: string): readonly string[];
  /** A ban with reason 'cluster' in the jail (not yet committed); [] when already banned. Throws VG_IGNORED_IP / VG_BAD_IP. */
  ban(jail: string, ip: string, now: number, durationMs: number): readonly Decision[];
  unban(jail: string, ip: string, now: number): readonly Decision[];
  /**
   * The decisions through the jail's door: store (one transaction), log, metrics, firewall (one
   * transaction per action); resolves once the firewall has had them. `bulk`: each decision is
   * logged at debug (the caller logs a summary), and the store is written after the firewall
   * (stored() tells when).
   */
  commit(jail: string, decisions: readonly Decision[], bulk?: boolean): Promise<void>;
  /** Settles once every decision committed so far is in the store (a bulk commit's are written after its kernel commands). */
  stored(): Promise<void>;
  /** Every active ban kept by the store. */
  activeBans(): readonly BanRecord[];
}

export interface ClusterSettings {
  readonly node: string;
  readonly prefix: string;
  /** Empty: every running jail. */
  readonly jails: readonly string[];
  readonly accept: readonly string[];
  readonly maxBanTime: number;
  /** The Redis address without secret, for status. */
  readonly redis: string;
}

export interface ClusterNodeDeps {
  readonly settings: ClusterSettings;
  readonly bus: ClusterBus;
  readonly store: Pick<Store, 'getClusterCursor' | 'setClusterCursor'>;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly log: Logger;
  readonly metrics: ClusterMetrics;
  readonly host: HostAddresses;
  readonly registrations: LiveRegistrations;
  readonly backoff: BackoffOptions;
  readonly random: () => number;
  readonly queueLimit: number;
  /** How long start() waits for Redis before it lets the daemon be ready without it. */
  readonly startWaitMs: number;
  /** Relaxed while a catch-up (a snapshot, or a bulk read of the stream) runs. */
  readonly heap: HeapPolicy;
}

export interface ClusterReport {
  readonly node: string;
  readonly redis: string;
  readonly connected: boolean;
  /** Why it is not connected: the last connection error (one line, capped), null while connected. */
  readonly error: string | null;
  readonly nodesSeen: readonly string[];
  readonly lastApplied: { readonly id: string | null; readonly at: number; readonly node: string; readonly jail: string; readonly ip: string } | null;
  readonly queue: number;
  readonly published: number;
  readonly applied: number;
  readonly refused: Readonly<Record<string, number>>;
  readonly dropped: number;
  readonly lagMs: number | null;
  readonly cursor: string | null;
  /** Active bans applied from other nodes, by origin node. */
  readonly bansByOrigin: Readonly<Record<string, number>>;
}
