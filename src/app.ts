// The composition root: the only file that names concrete classes. It reads the config, makes the
// logger, store, metrics, firewall runner, AMI connection and, per jail, the filter, sources,
// correlator, jail and actions, and hands them to the service runtime (src/daemon).

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { loadConfig, type JailConfig, type LoadedConfig } from './config/load-config.js';
import { loadJailActions, type FirewallMaker } from './actions/jail-actions.js';
import type { CommandRunner } from './exec/command-runner.js';
import { ExecaRunner } from './exec/execa-runner.js';
import { SpawnRunner } from './exec/spawn-runner.js';
import { ThreadRunner } from './exec/thread-runner.js';
import { BudgetPace, type TurnPace } from './core/slices.js';
import { CommandFirewall } from './firewall/command-firewall.js';
import { BatchJoiner } from './firewall/batch-joiner.js';
import { ConntrackPurger } from './firewall/conntrack.js';
import { MemoryFirewall } from './firewall/memory-firewall.js';
import { nodeHttpPoster } from './notify/http-poster.js';
import { SendmailMailer } from './notify/mailer.js';
import type { NotifyDeps } from './notify/notify-action.js';
import { ExecWhois } from './notify/whois.js';
import { journalRunner, type JournalRunner } from './sources/journal-process.js';
import { SystemClock, type Clock } from './core/clock.js';
import { VoipguardError } from './core/errors.js';
import type { AuthSignal } from './core/auth-signal.js';
import type { AmiEvent } from './core/types.js';
import { ThreadedControl } from './control/threaded-control.js';
import { AttemptCorrelator } from './correlate/attempt-correlator.js';
import { attemptClass } from './correlate/attempt-classes.js';
import { voipguardVersion } from './control/version.js';
import type { AmiState } from './control/replies.js';
import { ServiceControl } from './daemon/control-handler.js';
import { runDaemon, StopSwitch, type Closable } from './daemon/daemon-run.js';
import { LogTarget } from './daemon/log-target.js';
import type { FailureGate, JailFactory, JailParts, LineSink, SourcePort } from './daemon/ports.js';
import { Service, type AmiPort, type AmiSettings } from './daemon/service.js';
import { loadFilter } from './filters/load-filter.js';
import type { LineFilter } from './filters/filter.js';
import { Jail } from './jails/jail.js';
import { RegistrationBook } from './jails/registration-book.js';
import { registeredGuardFor } from './jails/protect-registered.js';
import { amiRegistration } from './filters/ami-registrations.js';
import { registrationOf } from './filters/successful-auth.js';
import { queryContacts } from './sources/ami-contacts.js';
import { requireRanges, SubnetBans, subnetSettingsOf } from './jails/subnet-bans.js';
import { OsHostAddresses } from './daemon/host-addresses.js';
import { createLogger, type Logger } from './log/logger.js';
import type { Metrics } from './metrics/metrics.js';
import type { PromMetrics } from './metrics/prom-metrics.js';
import { DeferredMetrics } from './metrics/deferred-metrics.js';
import { MetricsEndpoint } from './metrics/metrics-server.js';
import { loadJailNotifiers, withNotifiers } from './actions/jail-notifiers.js';
import { AmiClient } from './sources/ami-client.js';
import { AmiFailureFilter } from './filters/ami-failures.js';
import { authSignalsFor } from './config/account-schema.js';
import type { GuardNotice } from './core/auth-signal.js';
import { systemTimers } from './core/timers.js';
import { HeapPolicyState, type HeapPolicy } from './core/heap-policy.js';
import { checkGlobCaps, FileSource } from './sources/file-source.js';
import { JournalSource } from './sources/journal-source.js';
import { jailJournalMatch } from './sources/journal-jail-match.js';
import { SqliteStore } from './store/sqlite-store.js';
import { storeHistory, type Store } from './store/store.js';
import type { HostAddresses, LiveRegistrations } from './core/protection.js';
import { FeedService } from './daemon/feed-service.js';
import { MemoryFeedSet, type FeedSet, type FeedSetSpec } from './firewall/feed-set.js';
import { IpsetFeedSet } from './firewall/feed-set-ipset.js';
import { NftFeedSet } from './firewall/feed-set-nft.js';
import { NodeFeedFetcher } from './sources/feed-fetch.js';
import type { ClusterNode } from './cluster/cluster-node.js';
import type { ClusterBus } from './cluster/bus.js';
import { describeTarget, type ClusterConfig } from './config/cluster-schema.js';
import { DEFAULT_BACKOFF } from './core/backoff.js';
import type { PromClusterMetrics } from './metrics/cluster-metrics.js';

export interface DaemonOptions {
  readonly configDir: string;
  /** The memory firewall: nothing reaches the kernel. */
  readonly dryRun: boolean;
  /** Leave firewall rules in the kernel on stop. */
  readonly keepRules: boolean;
  /** A terminal gets the readable log form. */
  readonly tty: boolean;
  readonly err: (s: string) => void;
  /** `daemon -s` / `-p`: over the config's socket and pidfile, at start and on every reload. */
  readonly socket?: string;
  readonly pidfile?: string;
  /** The process's heap policy: memory-saving once ready, relaxed during a fleet catch-up (core/heap-policy.ts). Default: changes nothing. */
  readonly heap?: HeapPolicy;
}

/** Runs the daemon in the foreground until it is stopped; returns the exit code. */
export async function startDaemon(opts: DaemonOptions): Promise<number> {
  const load = (): LoadedConfig => withPaths(loadConfig(opts.configDir), opts);
  const config = load();
  for (const e of config.errors) opts.err(`ERROR  ${e.describe()}\n`);
  for (const w of config.warnings) opts.err(`WARN   ${w}\n`);
  if (config.errors.some((e) => e.code === 'VG_CONFIG_MISSING' && e.place.file?.endsWith('jail.conf'))) {
    throw new VoipguardError('VG_CONFIG_MISSING', `${opts.configDir} is not a voipguard config directory (no jail.conf); use -c DIR`);
  }
  const s = config.service;
  const heap = opts.heap ?? new HeapPolicyState();
  const logTarget = new LogTarget(s.logtarget, opts.tty && s.logtarget === 'stdout');
  const log = createLogger({ level: s.loglevel, target: logTarget });
  logTarget.bind(log);
  // the control socket: served from this thread at the start, from a thread of its own once ready (docs/flood.md)
  const control = new ThreadedControl(log.child({ component: 'control' }));
  const clock = new SystemClock();
  const store = SqliteStore.open(s.dbfile);
  const closeLast: Closable[] = [];
  // always collected, so that a [metrics] section added by `reload` serves the figures since start;
  // prom-client itself is loaded once the daemon is ready unless a listener or [cluster] needs it
  // now: the calls made before are kept and replayed (metrics/deferred-metrics.ts, docs/flood.md)
  const metrics = new DeferredMetrics();
  const loadProm = async (): Promise<PromMetrics> => {
    const { PromMetrics } = await import('./metrics/prom-metrics.js');
    const m = new PromMetrics({ processMetrics: true, version: voipguardVersion() });
    metrics.attach(m);
    return m;
  };
  const early = s.metrics.listen !== null || s.cluster.enabled ? await loadProm() : null;
  const clusterMetrics = s.cluster.enabled ? new (await import('./metrics/cluster-metrics.js')).PromClusterMetrics(early!.registry) : null;
  const metricsEndpoint = new MetricsEndpoint(metrics, log.child({ component: 'metrics' }), control.startMetrics);
  await metricsEndpoint.apply(s.metrics.listen);
  closeLast.push(metricsEndpoint, store, logTarget);
  // commands on node:child_process, started from a worker thread so that no spawn holds the main
  // thread; execa only for journalctl's stream, loaded when one starts (docs/flood.md)
  const runner = new ThreadRunner(new SpawnRunner(), log.child({ component: 'exec' }));
  closeLast.push(runner);
  // who holds a live registration, for protectregistered: one book, fed by every jail (docs/registrations.md)
  const registrations = new RegistrationBook();
  // the host's own addresses: never banned by a subnet ban, a feed or another node
  const host = new OsHostAddresses();
  const factory = jailFactory({
    registrations,
    host,
    configDir: opts.configDir,
    config,
    store,
    clock,
    log,
    metrics,
    firewalls: firewallMaker(runner, opts.dryRun),
    senders: notifySenders(runner),
    journal: journalRunner(new ExecaRunner()),
    // a large read gives the event loop a turn every 50 ms of lines (docs/flood.md)
    pace: new BudgetPace(LINE_BUDGET_MS, () => performance.now()),
  });
  const feeds = new FeedService({
    log: log.child({ component: 'feeds' }),
    store,
    fetcher: new NodeFeedFetcher(),
    host,
    // a feed entry that covers an address registered within the default registeredttl is skipped
    registrations: registrations.view(SHARED_REGISTERED_TTL_MS),
    makeSet: feedSetMaker(runner, opts.dryRun, log),
  });
  const service = new Service({
    config,
    feeds,
    configDir: opts.configDir,
    clock,
    log,
    store,
    metrics,
    factory,
    loadConfig: load,
    makeAmi: (settings) => makeAmi(settings, clock, log, metrics, registrations),
    logControl: logTarget.control(),
    dryRun: opts.dryRun,
    keepRules: opts.keepRules,
    metricsEndpoint,
    heap,
    cluster:
      clusterMetrics &&
      (await makeCluster(s.cluster, { store, clock, log, metrics: clusterMetrics, host, registrations: registrations.view(SHARED_REGISTERED_TTL_MS), heap })),
  });
  const stop = new StopSwitch((why) => log.warn({ event: 'stop-in-progress', signal: why }));
  control.serve(new ServiceControl(service, { version: voipguardVersion(), pid: process.pid, requestStop: () => stop.request('control stop') }));
  const { code } = await runDaemon(
    {
      service,
      config,
      control,
      socket: s.socket,
      pidfile: s.pidfile || null,
      log,
      reopenLog: () => logTarget.reopen(),
      closeLast,
      stop,
      onReady: () => {
        heap.saveMemory();
        void control.startThread();
        if (!early) loadProm().catch((e: unknown) => log.error({ event: 'metrics-load-failed', err: e as Error }));
      },
    },
    process,
  );
  return code;
}

function withPaths(config: LoadedConfig, opts: Pick<DaemonOptions, 'socket' | 'pidfile'>): LoadedConfig {
  if (opts.socket === undefined && opts.pidfile === undefined) return config;
  const service = {
    ...config.service,
    ...(opts.socket !== undefined ? { socket: opts.socket } : {}),
    ...(opts.pidfile !== undefined ? { pidfile: opts.pidfile } : {}),
  };
  return { ...config, service };
}

/** The firewalls of a jail's actions: commands through the runner, or the memory firewall (dry run, firewall = memory). */
export function firewallMaker(runner: CommandRunner, dryRun: boolean): FirewallMaker {
  // batchjoin actions: the scripts sent in the same turn (a jail's chains, one decision) go in one run
  const joiner = new BatchJoiner(runner);
  return {
    firewall: (def, log) =>
      def.kind === 'memory' || dryRun ? new MemoryFirewall(`${def.action}[${def.name}]`, log) : new CommandFirewall(def, runner, log, joiner),
    conntrack: (log) => (dryRun ? null : new ConntrackPurger(runner, log)),
  };
}

/** A feed's kernel set: ipset or nftables commands through the runner, or memory in a dry run. */
export function feedSetMaker(runner: CommandRunner, dryRun: boolean, log: Logger): (spec: FeedSetSpec, firewall: 'iptables' | 'nftables') => FeedSet {
  return (spec, firewall) => {
    const l = log.child({ component: 'feed-set' });
    if (dryRun) return new MemoryFeedSet(spec, l);
    return firewall === 'nftables' ? new NftFeedSet(spec, runner, l) : new IpsetFeedSet(spec, runner, l);
  };
}

/** sendmail and whois through the runner, webhooks over node:http(s). */
export function notifySenders(runner: CommandRunner): Pick<NotifyDeps, 'mailer' | 'whois' | 'poster'> {
  return {
    mailer: (o) => new SendmailMailer(o, runner),
    whois: (o) => new ExecWhois(o, runner),
    poster: nodeHttpPoster,
  };
}

interface FactoryContext {
  readonly configDir: string;
  readonly config: LoadedConfig;
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly firewalls: FirewallMaker;
  readonly senders: Pick<NotifyDeps, 'mailer' | 'whois' | 'poster'>;
  readonly journal: JournalRunner;
  readonly registrations: RegistrationBook;
  readonly host: HostAddresses;
  readonly pace: TurnPace;
}

/** How long the lines of one read may hold the event loop before it gets a turn (ms). */
const LINE_BUDGET_MS = 50;

/** Feeds and other nodes' bans are not a jail's: they use registeredttl's default (config/jail-schema.ts). */
const SHARED_REGISTERED_TTL_MS = 3_600_000;

function jailFactory(ctx: FactoryContext): JailFactory {
  const self = [...ctx.host.addresses()]; // for ignoreself, read once per jail factory
  const host = ctx.host;
  return {
    make(cfg: JailConfig, sink: LineSink, amiEnabled: boolean): JailParts {
      const log = ctx.log.child({ jail: cfg.name });
      const history = storeHistory(ctx.store, ctx.config.service.dbpurgeage, (e) => log.warn({ event: 'history-failed', err: (e as Error).message }));
      const filter = cfg.filter
        ? loadFilter(cfg.filter.name, {
            configDir: ctx.configDir,
            args: cfg.filter.args,
            signals: authSignalsFor(cfg),
            ...(cfg.timezone ? { timezone: cfg.timezone } : {}),
          })
        : null;
      const book = ctx.registrations;
      const inputs = { readsSecurityEvents: filter?.readsSecurityEvents === true, takesAmi: cfg.ami && amiEnabled };
      // a NOTICE line names no account: only a credential failure may be a registered device's own
      const registered = registeredGuardFor(cfg, inputs, book, (f) => attemptClass(f).name === 'bad-credentials');
      // a subnet ban never covers the host or an address registered right now (docs/firewall.md)
      const subnets = new SubnetBans(subnetSettingsOf(cfg), host, book.view(cfg.registeredttl));
      const engine = new Jail(cfg, { history, selfAddresses: self, subnets, ...(registered ? { registered } : {}) });
      const firewall = loadJailActions(
        { jail: cfg.name, actions: cfg.actions, params: cfg.raw, dropRepeat: cfg.droprepeat },
        { configDir: ctx.configDir, firewalls: ctx.firewalls, store: ctx.store, log: ctx.log, metrics: ctx.metrics },
      );
      requireRanges(cfg, firewall.rangesRefusedBy());
      // mail/webhook entries of the same action list; bans are queued for them before the firewall runs
      const notifiers = loadJailNotifiers(
        { jail: cfg.name, actions: cfg.actions },
        { configDir: ctx.configDir, timers: systemTimers, clock: ctx.clock, log, metrics: ctx.metrics, hostname: hostname(), ...ctx.senders },
      );
      const actions = withNotifiers(firewall, notifiers);
      const ami = cfg.ami && amiEnabled ? new AmiFailureFilter({ events: cfg.amievents, jail: cfg.name, log, signals: authSignalsFor(cfg) }) : null;
      // one attempt seen through AMI, the security log and the notice log counts once
      const correlator = new AttemptCorrelator(cfg.correlate);
      // counted failures also feed sendmail-whois-lines (their lines go into the ban mail)
      const gate: FailureGate =
        notifiers.actions.length === 0
          ? correlator
          : {
              accept(f, now) {
                const counted = correlator.accept(f, now);
                if (counted) notifiers.failure(f);
                return counted;
              },
            };
      const alarm = notifiers.actions.length ? { alarm: (n: GuardNotice) => notifiers.alarm(n) } : {};
      // SuccessfulAuth lines of this jail's logs (AMI events reach the book from the connection itself)
      const feed = {
        success: (s: AuthSignal, now: number) => {
          const r = registrationOf(s);
          if (r !== null) book.observe(r, now);
        },
      };
      return { engine, filter, ami, gate, actions, sources: makeSources(cfg, sink, ctx, log, filter), registrations: feed, ...alarm };
    },
  };
}

function makeSources(cfg: JailConfig, sink: LineSink, ctx: FactoryContext, log: Logger, filter: LineFilter | null): SourcePort[] {
  const deps = { store: ctx.store, clock: ctx.clock, log: log.child({ component: 'source' }), onLine: sink, pace: ctx.pace };
  if (cfg.backend === 'systemd') {
    // the jail's journalmatch, else its filter's [Init] one; none is VG_JOURNAL_MATCH (jail skipped)
    const matches = jailJournalMatch(cfg, ctx.configDir);
    return [new JournalSource({ name: cfg.name, matches, ...deps, readBackMs: cfg.findtime, runner: ctx.journal })];
  }
  if (cfg.logpath.length === 0) return [];
  checkGlobCaps(cfg.logpath, cfg.maxlogfiles, { file: cfg.file, section: cfg.name });
  // the tails cut lines on bytes and run the filter's literal pre-check before decoding (one screen per file)
  const screen = { screen: () => filter?.byteScreen?.() ?? null, onSkip: sink.skipped };
  return [new FileSource({ patterns: cfg.logpath, backend: cfg.backend, keyPrefix: `${cfg.name}|`, maxFiles: cfg.maxlogfiles }, { ...deps, ...screen })];
}

function makeAmi(settings: AmiSettings, clock: Clock, root: Logger, metrics: Metrics, registrations: RegistrationBook): AmiPort | null {
  if (!settings.enabled) return null;
  const log = root.child({ component: 'ami' });
  const address = `${settings.host}:${settings.port}`;
  let secret: string;
  try {
    secret = settings.secret ?? readFileSync(settings.secretfile ?? '', 'utf8').trim();
  } catch (e) {
    const message = `secretfile ${settings.secretfile}: ${(e as Error).message}`;
    log.error({ event: 'ami-secret-unreadable', err: message });
    const dead: AmiState = { state: 'disconnected', address, lastEventAt: null, lastError: message, reconnects: 0 };
    return { start: () => undefined, stop: async () => undefined, state: () => dead };
  }
  // one session implementation, on asterisk-manager (docs/ami.md)
  // security events, and the system class for ContactStatus (docs/registrations.md)
  const client = new AmiClient({ host: settings.host, port: settings.port, username: settings.username, secret, eventMask: 'security,system' }, { log, clock });
  return {
    start(onEvent) {
      // SuccessfulAuth, ContactStatus and the contact list go to the book whichever jails run (or none yet)
      const register = (e: AmiEvent): void => {
        const sig = amiRegistration(e);
        if (sig !== null) registrations.observe(sig, clock.now());
      };
      client.onEvent((e) => {
        register(e);
        onEvent(e);
      });
      let last = '';
      let reconnects = 0;
      client.onState((st) => {
        metrics.amiState(st.status);
        for (; reconnects < st.reconnects; reconnects++) metrics.amiReconnect();
        if (st.status === last) return;
        last = st.status;
        log.info({ event: 'ami-state', state: st.status, address, err: st.lastError?.message });
        // the contacts made while we were away (ContactList items, for the book only)
        if (st.status === 'connected') void queryContacts({ action: (f) => client.action(f), now: () => clock.now(), log, deliver: register });
      });
      client.start();
    },
    stop: () => client.stop(),
    state(): AmiState {
      const st = client.state();
      return { state: st.status, address, lastEventAt: st.lastEventAt, lastError: st.lastError?.message ?? null, reconnects: st.reconnects };
    },
  };
}

/**
 * [cluster]: this node in the fleet, on Redis through ioredis (docs/cluster.md); null when off.
 * Its modules, ioredis with them, are loaded only then: ioredis alone was about 150 ms of CPU at
 * every start (docs/flood.md).
 */
async function makeCluster(
  cfg: ClusterConfig,
  ctx: { store: Store; clock: Clock; log: Logger; metrics: PromClusterMetrics; host: HostAddresses; registrations: LiveRegistrations; heap: HeapPolicy },
): Promise<ClusterNode | null> {
  if (!cfg.enabled) return null;
  const [{ ClusterNode }, { DEFAULT_QUEUE_LIMIT }, { DEFAULT_STREAM_MAXLEN, readClusterSecrets, RedisBus }, { UnusableBus }] = await Promise.all([
    import('./cluster/cluster-node.js'),
    import('./cluster/publisher.js'),
    import('./cluster/redis-bus.js'),
    import('./cluster/unusable-bus.js'),
  ]);
  const log = ctx.log.child({ component: 'cluster' });
  let bus: ClusterBus;
  // how long the start waits for Redis: nothing to wait for when the bus cannot connect at all
  let startWaitMs = 5_000;
  try {
    bus = new RedisBus({
      target: cfg.redis,
      ...readClusterSecrets(cfg),
      prefix: cfg.prefix,
      maxLen: DEFAULT_STREAM_MAXLEN,
      commandTimeoutMs: 5_000,
      // the ACL lacks EVAL: sharing goes on, at about twice the publishing CPU (docs/cluster.md)
      onScriptRefused: (err) => log.warn({ event: 'cluster-no-scripting', err }),
    });
  } catch (e) {
    // a password or CA file that cannot be read: the node runs without the fleet, and says why in
    // its status until a restart after the fix (docs/cluster.md)
    log.error({ event: 'cluster-file-unreadable', err: e as Error });
    bus = new UnusableBus(new Error(`${(e as Error).message}; fix it, then restart voipguard`, { cause: e }));
    startWaitMs = 0;
  }
  const settings = {
    node: cfg.node ?? hostname(),
    prefix: cfg.prefix,
    jails: cfg.jails,
    accept: cfg.accept,
    maxBanTime: cfg.maxbantime,
    redis: describeTarget(cfg.redis),
  };
  return new ClusterNode({
    settings,
    bus,
    store: ctx.store,
    clock: ctx.clock,
    timers: systemTimers,
    log,
    metrics: ctx.metrics,
    host: ctx.host,
    registrations: ctx.registrations,
    backoff: DEFAULT_BACKOFF,
    random: Math.random,
    queueLimit: DEFAULT_QUEUE_LIMIT,
    startWaitMs,
    heap: ctx.heap,
  });
}
