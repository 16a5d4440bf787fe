// Metrics exported in the Prometheus text format through prom-client. Each instance owns its
// Registry (never prom-client's global one), so a reload, a test or two daemons in one process
// never collide on a metric name.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BanReason, UnbanReason } from '../core/types.js';
import { AMI_STATES, type AmiState, type FailureFacts, type FirewallOp, type Metrics, type NotifyOutcome } from './metrics.js';
import { LabelGuard } from './label-guard.js';

/** Seconds: 1 ms to 1 min. voipguard aims at tens of ms; log lines without milliseconds add up to 1 s. */
export const TIME_TO_BAN_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export interface PromMetricsOptions {
  /**
   * Also export prom-client's default metrics (process_cpu_…, process_resident_memory_bytes,
   * nodejs_eventloop_lag_…) under their usual names, which dashboards and alerts expect.
   */
  readonly processMetrics?: boolean;
  /** voipguard_build_info{version, nodejs} 1, for "which version runs where" panels. */
  readonly version?: string;
  /** Distinct values kept per label before further ones are folded into "other". */
  readonly maxLabelValues?: number;
}

type C = Counter<string>;

export class PromMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly guard: LabelGuard;
  private readonly linesReadC: C;
  private readonly candidateC: C;
  private readonly failuresC: C;
  private readonly signalsC: C;
  private readonly attemptsC: C;
  private readonly bansC: C;
  private readonly unbansC: C;
  private readonly activeG: Gauge<string>;
  private readonly fwCommandsC: C;
  private readonly fwErrorsC: C;
  private readonly pendingG: Gauge<string>;
  private readonly amiStateG: Gauge<string>;
  private readonly amiReconnectsC: C;
  private readonly clampedC: C;
  private readonly accountAttacksC: C;
  private readonly compromiseC: C;
  private readonly timeToBanH: Histogram<string>;
  private readonly notifyC: C;
  private readonly notifyDroppedC: C;
  private readonly jailInfoG: Gauge<string>;
  /** The running jails' counts of addresses with failures in their window, read at each scrape. */
  private readonly failedReaders = new Map<string, () => number>();
  private amiCurrent: AmiState = 'disconnected';
  private amiUsed = false;

  constructor(opts: PromMetricsOptions = {}) {
    this.guard = new LabelGuard(opts.maxLabelValues ?? 256);
    const registers = [this.registry];
    const counter = (name: string, help: string, labelNames: string[] = []): C => new Counter({ name, help, labelNames, registers });
    const gauge = (name: string, help: string, labelNames: string[] = []): Gauge<string> => new Gauge({ name, help, labelNames, registers });

    this.linesReadC = counter('voipguard_lines_read_total', 'Log lines read, per source', ['source']);
    this.candidateC = counter('voipguard_candidate_lines_total', 'Lines that passed the pre-check and were matched against the failregexes', ['source']);
    this.failuresC = counter('voipguard_failures_total', 'Failures that reached a jail', ['jail', 'source', 'kind', 'service']);
    this.signalsC = counter('voipguard_signals_seen_total', 'Signals of attempts (log lines, AMI events) seen before merging', ['jail']);
    this.attemptsC = counter('voipguard_attempts_counted_total', 'Attempts counted by a jail after merging signals of one attempt', ['jail']);
    this.bansC = counter('voipguard_bans_total', 'Bans decided', ['jail', 'reason']);
    this.unbansC = counter('voipguard_unbans_total', 'Unbans decided', ['jail', 'reason']);
    this.activeG = gauge('voipguard_active_bans', 'Active bans', ['jail']);
    this.fwCommandsC = counter('voipguard_firewall_commands_total', 'Firewall commands or batches run', ['action', 'operation']);
    this.fwErrorsC = counter('voipguard_firewall_errors_total', 'Firewall commands or batches that failed', ['action', 'operation']);
    this.pendingG = gauge('voipguard_pending_bans', 'Bans decided but not yet confirmed in the kernel');
    this.amiStateG = gauge('voipguard_ami_state', 'AMI connection state: 1 for the current state, 0 for the others', ['state']);
    this.amiReconnectsC = counter('voipguard_ami_reconnects_total', 'AMI reconnection attempts');
    this.clampedC = counter('voipguard_timestamps_clamped_total', 'Event timestamps clamped to the clock-skew bound', ['source']);
    this.accountAttacksC = counter('voipguard_account_attacks_total', 'Accounts that came under attack from several addresses (accountretry), per jail', [
      'jail',
    ]);
    this.compromiseC = counter('voipguard_compromise_suspected_total', 'Successful logins from an address that was failing (suspectfailures), per jail', [
      'jail',
    ]);
    this.timeToBanH = new Histogram({
      name: 'voipguard_time_to_ban_seconds',
      help: "From the triggering attack line's own timestamp to the ban rule confirmed in the kernel",
      labelNames: ['jail'],
      buckets: TIME_TO_BAN_BUCKETS,
      registers,
    });
    this.notifyC = counter('voipguard_notifications_total', 'Notification digests sent or failed (failed ones are retried)', ['channel', 'outcome']);
    this.notifyDroppedC = counter('voipguard_notification_bans_dropped_total', 'Bans left out of notifications because the queue was full', ['channel']);

    this.jailInfoG = gauge('voipguard_jail_info', 'Always 1 for each running jail: the list of jails, from their start', ['jail']);
    const readers = this.failedReaders;
    new Gauge({
      name: 'voipguard_currently_failed',
      help: 'Addresses with failures inside the jail window (pruned each second), as in `voipguard status <jail>`',
      labelNames: ['jail'],
      registers,
      collect() {
        this.reset();
        for (const [jail, read] of readers) this.set({ jail }, read());
      },
    });
    // no AMI state series until a running jail takes AMI events (amiInUse)
    this.pendingG.set(0);
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry });
    if (opts.version !== undefined) {
      gauge('voipguard_build_info', 'Always 1; the labels say which voipguard and Node.js run', ['version', 'nodejs']).set(
        { version: opts.version, nodejs: process.versions.node },
        1,
      );
    }
  }

  /** The exposition text and its content type, for the /metrics server. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  linesRead(source: string, count = 1): void {
    this.linesReadC.inc({ source: this.guard.value('source', source) }, count);
  }
  candidateLines(source: string, count = 1): void {
    this.candidateC.inc({ source: this.guard.value('source', source) }, count);
  }
  failure(f: FailureFacts): void {
    const g = this.guard;
    this.failuresC.inc({
      jail: g.value('jail', f.jail),
      source: g.value('source', f.source),
      kind: g.value('kind', f.kind),
      service: g.value('service', f.service ?? ''),
    });
  }
  signalSeen(jail: string): void {
    this.signalsC.inc({ jail: this.guard.value('jail', jail) });
  }
  attemptCounted(jail: string): void {
    this.attemptsC.inc({ jail: this.guard.value('jail', jail) });
  }
  ban(jail: string, reason: BanReason): void {
    this.bansC.inc({ jail: this.guard.value('jail', jail), reason });
  }
  unban(jail: string, reason: UnbanReason): void {
    this.unbansC.inc({ jail: this.guard.value('jail', jail), reason });
  }
  activeBans(jail: string, count: number): void {
    this.activeG.set({ jail: this.guard.value('jail', jail) }, count);
  }
  firewallCommand(action: string, op: FirewallOp, ok: boolean): void {
    const labels = { action: this.guard.value('action', action), operation: op };
    this.fwCommandsC.inc(labels);
    if (!ok) this.fwErrorsC.inc(labels);
  }
  pendingBans(count: number): void {
    this.pendingG.set(count);
  }
  amiState(state: AmiState): void {
    this.amiCurrent = state;
    if (this.amiUsed) setAmiState(this.amiStateG, state);
  }
  amiInUse(used: boolean): void {
    this.amiUsed = used;
    if (used) setAmiState(this.amiStateG, this.amiCurrent);
    else this.amiStateG.reset();
  }
  jailStarted(jail: string, currentlyFailed: () => number): void {
    const j = this.guard.value('jail', jail);
    this.jailInfoG.set({ jail: j }, 1);
    this.failedReaders.set(j, currentlyFailed);
  }
  jailStopped(jail: string): void {
    const j = this.guard.value('jail', jail);
    this.jailInfoG.remove({ jail: j });
    this.activeG.remove({ jail: j });
    this.failedReaders.delete(j);
  }
  amiReconnect(): void {
    this.amiReconnectsC.inc();
  }
  guardNotice(jail: string, event: 'account-attack' | 'compromise-suspected'): void {
    const c = event === 'account-attack' ? this.accountAttacksC : this.compromiseC;
    c.inc({ jail: this.guard.value('jail', jail) });
  }
  timestampClamped(source: string): void {
    this.clampedC.inc({ source: this.guard.value('source', source) });
  }
  banInKernel(jail: string, attackTime: number, confirmedAt: number): void {
    // A log clock ahead of ours would give a negative delay; it is still a ban, observed as 0.
    const seconds = Math.max(0, confirmedAt - attackTime) / 1000;
    if (Number.isFinite(seconds)) this.timeToBanH.observe({ jail: this.guard.value('jail', jail) }, seconds);
  }
  notification(channel: string, outcome: NotifyOutcome, count = 1): void {
    const ch = this.guard.value('channel', channel);
    if (outcome === 'dropped') this.notifyDroppedC.inc({ channel: ch }, count);
    else this.notifyC.inc({ channel: ch, outcome }, count);
  }
}

function setAmiState(g: Gauge<string>, current: AmiState): void {
  for (const s of AMI_STATES) g.set({ state: s }, s === current ? 1 : 0);
}
