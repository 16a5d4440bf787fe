// The running service: the jails made from the config, the AMI connection they share, the periodic
// tick, reload and stop. It does no wiring of its own: the composition root (app.ts) passes a
// JailFactory and an AMI factory, so tests run the whole service on fakes and a manual clock.
//
// Reload: a jail whose config is unchanged is left alone (its bans, windows and files untouched);
// a changed jail is stopped and started again from the store (bans come back, positions resume); a
// removed or disabled jail is stopped; a new one is started. A jail that fails to build is reported
// and skipped, the others run.

import type { HeapPolicy } from '../core/heap-policy.js';
import type { JailConfig, LoadedConfig } from '../config/load-config.js';
import type { MetricsListen } from '../config/metrics-listen.js';
import type { Clock } from '../core/clock.js';
import { VoipguardError, VoipguardErrors } from '../core/errors.js';
import type { AmiEvent, Decision } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Store } from '../store/store.js';
import type { AmiState, ReloadResult } from '../control/replies.js';
import type { ClusterNode } from '../cluster/cluster-node.js';
import { RuntimeClusterJails } from './cluster-jails.js';
import { JailRuntime } from './jail-runtime.js';
import type { JailFactory } from './ports.js';
import type { FeedPort } from './feed-service.js';

export type AmiSettings = LoadedConfig['service']['ami'];

/** The AMI connection as the service sees it (sources/ami-client.ts behind an adapter). */
export interface AmiPort {
  start(onEvent: (e: AmiEvent) => void): void;
  stop(): Promise<void>;
  state(): AmiState;
}

export interface LogControl {
  level(): string;
  setLevel(level: string): string;
  target(): string;
  setTarget(target: string): string;
  reopen(): void;
}

export interface ServiceDeps {
  /** The config the service starts from; a reload replaces it. */
  readonly config: LoadedConfig;
  readonly configDir: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly store: Store;
  readonly metrics: Metrics;
  readonly factory: JailFactory;
  readonly loadConfig: () => LoadedConfig;
  /** null when [ami] is not enabled. */
  readonly makeAmi: (settings: AmiSettings) => AmiPort | null;
  readonly logControl: LogControl;
  readonly dryRun: boolean;
  /**
   * Leave the firewall rules in the kernel when the service stops, so a restart never lets a banned
   * address through (the next start reconciles them with the store). The daemon's default;
   * `--flush` or `voipguard stop --flush` remove them instead (docs/restart.md).
   */
  readonly keepRules: boolean;
  /** The /metrics server, which follows `[metrics] listen` on reload (absent in tests without one). */
  readonly metricsEndpoint?: { apply(listen: MetricsListen | null): Promise<void> };
  /** Blocklist feeds (daemon/feed-service.ts), started after the jails; absent in tests without feeds. */
  readonly feeds?: FeedPort;
  /** This node in the fleet ([cluster], docs/cluster.md); null when [cluster] is off. */
  readonly cluster: ClusterNode | null;
  /** The process's heap policy: each jail's start-up restore holds it relaxed (jail-runtime.ts). Absent: nothing changes. */
  readonly heap?: HeapPolicy;
}

/** Actions are checked (retries, repairs) every this many ms; history is purged every hour. */
export const ACTION_CHECK_MS = 5_000;
const PURGE_MS = 3_600_000;

export class Service {
  readonly runtimes = new Map<string, JailRuntime>();
  broken: { jail: string; error: string }[] = [];
  config: LoadedConfig;
  readonly startedAt: number;
  private ami: AmiPort | null = null;
  private amiSettings = '';
  private lastCheck = -Infinity;
  private lastPurge = -Infinity;
  private ticking: Promise<void> | null = null;
  /** Settles once start() has followed every jail's logs; jails started later find it settled. */
  private jailsFollowed: () => void = () => undefined;
  private readonly jailsUp = new Promise<void>((r) => (this.jailsFollowed = r));
  private reloading = false;
  private stopping: Promise<void> | null = null;
  private readonly markStarted: () => void;
  private keepRules: boolean;
  /** Resolves when start() has started every jail: control requests about jails wait for it. */
  readonly started: Promise<void>;

  constructor(readonly deps: ServiceDeps) {
    this.startedAt = deps.clock.now();
    this.config = deps.config;
    let mark = (): void => undefined;
    this.started = new Promise<void>((r) => (mark = r));
    this.markStarted = mark;
    this.keepRules = deps.keepRules;
  }

  /** `voipguard stop --flush`: this stop ends protection, its rules are removed. */
  flushRulesAtStop(): void {
    this.keepRules = false;
  }

  get amiPort(): AmiPort | null {
    return this.ami;
  }

  async start(config: LoadedConfig): Promise<void> {
    this.config = config;
    this.report(config);
    this.startAmi(config.service.ami);
    try {
      for (const cfg of config.jails) if (cfg.enabled) await this.startJail(cfg, config.service.ami.enabled);
    } finally {
      this.jailsFollowed(); // the jails' firewall commands may run now (ready first: docs/flood.md)
    }
    await this.deps.feeds?.start(config, this.deps.clock.now());
    // the jails hook their chains in the background (ready first): the feeds' jumps go back in front after
    const feeds = this.deps.feeds;
    if (feeds) void Promise.all([...this.runtimes.values()].map((r) => r.structureMade())).then(() => feeds.hookFirst());
    this.markAmiUse();
    // the fleet's active bans are in before ready (docs/cluster.md)
    await this.deps.cluster?.start(new RuntimeClusterJails(this.runtimes, this.deps.store));
    this.markStarted();
    this.deps.log.info({ event: 'service-started', jails: [...this.runtimes.keys()], broken: this.broken.map((b) => b.jail), dryRun: this.deps.dryRun });
  }

  /** Called every second by the ticker: expiries, and every ACTION_CHECK_MS the actions' check. */
  tick(): Promise<void> {
    if (this.ticking || this.stopping || this.reloading) return this.ticking ?? Promise.resolve();
    this.ticking = this.runTick().finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async runTick(): Promise<void> {
    const now = this.deps.clock.now();
    const check = now - this.lastCheck >= ACTION_CHECK_MS;
    if (check) this.lastCheck = now;
    let pending = 0;
    for (const r of this.runtimes.values()) {
      await r.tick(now, check);
      pending += r.pendingCount(); // the count, not the sorted list (100,000 addresses in a flood)
    }
    this.deps.metrics.pendingBans(pending);
    this.deps.feeds?.tick(now);
    if (now - this.lastPurge >= PURGE_MS) {
      this.lastPurge = now;
      try {
        const n = this.deps.store.purgeHistory(now - this.config.service.dbpurgeage);
        if (n) this.deps.log.info({ event: 'history-purged', rows: n });
      } catch (e) {
        this.deps.log.error({ event: 'store-failed', step: 'purge', err: (e as Error).message });
      }
    }
  }

  jail(name: string): JailRuntime {
    const r = this.runtimes.get(name);
    if (!r) {
      const known = this.config.jails.find((j) => j.name === name);
      const why =
        known && !known.enabled
          ? ' (it is disabled: enabled = false)'
          : this.broken.some((b) => b.jail === name)
            ? ' (it failed to start: see `voipguard status`)'
            : '';
      throw new VoipguardError('VG_NO_SUCH_JAIL', `no running jail named ${name}${why}`);
    }
    return r;
  }

  async reload(only: string | null): Promise<ReloadResult> {
    // no tick may drive a jail that reload is stopping
    this.reloading = true;
    try {
      await this.ticking;
      return await this.reloadNow(only);
    } finally {
      this.reloading = false;
    }
  }

  private reloadNow(only: string | null): Promise<ReloadResult> {
    return this.reloadWith(this.deps.loadConfig(), only);
  }

  /** Applies `cfg`, the config just read, to every jail (only === null) or to one. */
  private async reloadWith(cfg: LoadedConfig, only: string | null): Promise<ReloadResult> {
    const result = {
      started: [] as string[],
      stopped: [] as string[],
      restarted: [] as string[],
      unchanged: [] as string[],
      errors: cfg.errors.map((e) => e.describe()),
    };
    if (only !== null && !cfg.jails.some((j) => j.name === only) && !this.runtimes.has(only)) {
      throw new VoipguardError('VG_NO_SUCH_JAIL', `no jail named ${only} in the configuration`);
    }
    this.report(cfg);
    if (only === null) {
      this.reloadService(cfg);
      try {
        await this.deps.metricsEndpoint?.apply(cfg.service.metrics.listen);
      } catch (e) {
        const error = e instanceof VoipguardError ? e.describe() : String(e);
        this.deps.log.error({ event: 'metrics-reload-failed', err: error });
        result.errors.push(error);
      }
    }
    const wanted = new Map(cfg.jails.filter((j) => j.enabled).map((j) => [j.name, j]));
    const inScope = (name: string) => only === null || name === only;
    this.broken = this.broken.filter((b) => !inScope(b.jail));
    // a running jail whose section now has errors keeps running on its old config
    const brokenNow = new Set(cfg.errors.map((e) => e.place.section).filter((x): x is string => x !== undefined));
    const keptOld: JailConfig[] = [];
    for (const [name, r] of [...this.runtimes]) {
      if (!inScope(name)) continue;
      const next = wanted.get(name);
      if (!next && brokenNow.has(name) && !cfg.jails.some((j) => j.name === name)) {
        keptOld.push(r.config);
        result.unchanged.push(name);
        continue;
      }
      if (next && JSON.stringify(next) === JSON.stringify(r.config)) {
        r.resetSettings(); // `set <jail> KEY VALUE` lasts until the next reload
        result.unchanged.push(name);
        continue;
      }
      await r.stop(false);
      this.runtimes.delete(name);
      if (!next) result.stopped.push(name);
      else if (await this.startJail(next, cfg.service.ami.enabled)) result.restarted.push(name);
    }
    for (const [name, next] of wanted) {
      if (inScope(name) && !this.runtimes.has(name) && !result.restarted.includes(name) && (await this.startJail(next, cfg.service.ami.enabled)))
        result.started.push(name);
    }
    for (const b of this.broken) if (inScope(b.jail)) result.errors.push(`jail ${b.jail}: ${b.error}`);
    if (only === null) await this.deps.feeds?.reload(cfg, this.deps.clock.now());
    await this.deps.feeds?.hookFirst(); // a jail started just now hooked itself in front
    this.markAmiUse();
    const jails = only === null ? [...cfg.jails, ...keptOld] : mergeJails(this.config.jails, [...cfg.jails, ...keptOld], only);
    this.config = { ...(only === null ? cfg : this.config), jails };
    this.deps.log.info({ event: 'reloaded', ...result });
    return result;
  }

  async stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.ticking;
      await this.ami?.stop();
      await this.deps.cluster?.stop();
      for (const r of this.runtimes.values()) {
        try {
          await r.stop(this.keepRules);
        } catch (e) {
          this.deps.log.error({ event: 'jail-stop-failed', jail: r.name, err: (e as Error).message });
        }
      }
      await this.deps.feeds?.stop(this.keepRules);
      this.deps.log.info({ event: 'service-stopped', keepRules: this.keepRules });
    })();
    return this.stopping;
  }

  private async startJail(cfg: JailConfig, amiEnabled: boolean): Promise<boolean> {
    let rt: JailRuntime;
    try {
      const cluster = this.deps.cluster;
      const tap = cluster ? { onDecided: (ds: readonly Decision[]) => cluster.decided(ds) } : {};
      const heap = this.deps.heap ? { heap: this.deps.heap } : {};
      const deps = { store: this.deps.store, clock: this.deps.clock, log: this.deps.log, metrics: this.deps.metrics, ...tap, ...heap };
      rt = new JailRuntime(cfg, deps, (sink) => this.deps.factory.make(cfg, sink, amiEnabled));
      await rt.start(this.jailsUp);
    } catch (e) {
      const error = e instanceof VoipguardError ? e.describe() : e instanceof VoipguardErrors ? e.errors.map((x) => x.describe()).join('; ') : String(e);
      this.broken.push({ jail: cfg.name, error });
      this.deps.log.error({ event: 'jail-not-started', jail: cfg.name, err: error });
      return false;
    }
    this.runtimes.set(cfg.name, rt);
    return true;
  }

  /** AMI state is exported only while AMI is on and a running jail takes its events. */
  private markAmiUse(): void {
    this.deps.metrics.amiInUse(this.ami !== null && [...this.runtimes.values()].some((r) => r.takesAmi));
  }

  private startAmi(settings: AmiSettings): void {
    this.amiSettings = JSON.stringify(settings);
    this.ami = this.deps.makeAmi(settings);
    this.ami?.start((e) => {
      for (const r of this.runtimes.values()) if (r.takesAmi) r.amiEvent(e);
    });
  }

  private reloadService(cfg: LoadedConfig): void {
    const s = cfg.service;
    const lc = this.deps.logControl;
    if (s.loglevel !== this.config.service.loglevel) lc.setLevel(s.loglevel);
    if (s.logtarget !== this.config.service.logtarget) lc.setTarget(s.logtarget);
    for (const key of ['socket', 'dbfile', 'pidfile'] as const) {
      if (s[key] !== this.config.service[key]) this.deps.log.warn({ event: 'restart-needed', key, running: this.config.service[key], configured: s[key] });
    }
    if (JSON.stringify(s.cluster) !== JSON.stringify(this.config.service.cluster)) this.deps.log.warn({ event: 'restart-needed', key: 'cluster' });
    if (JSON.stringify(s.ami) !== this.amiSettings) {
      const old = this.ami;
      void old?.stop();
      this.startAmi(s.ami);
    }
  }

  /** Config errors and warnings go to the log with their file, section and key. */
  private report(cfg: LoadedConfig): void {
    for (const e of cfg.errors) this.deps.log.error({ event: 'config-error', code: e.code, ...e.place, message: e.message });
    for (const w of cfg.warnings) this.deps.log.warn({ event: 'config-warning', message: w });
  }
}

function mergeJails(old: readonly JailConfig[], next: readonly JailConfig[], only: string): JailConfig[] {
  const replaced = next.find((j) => j.name === only);
  const kept = old.filter((j) => j.name !== only);
  return replaced ? [...kept, replaced] : kept;
}
