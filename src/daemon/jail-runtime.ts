// One running jail: its sources feed lines to its filter, AMI events to its AMI matcher; failures
// pass the correlator (one attempt counts once) into the jail; the jail's decisions go to the store
// first (a ban is kept even when the firewall is down) and then to the actions.
//
// Lines read back at start (the file had no saved position) may be old: a failure older than
// findtime is dropped here, before the jail, which would otherwise count a far-past event at `now`.

import type { HeapPolicy } from '../core/heap-policy.js';
import type { JailConfig } from '../config/load-config.js';
import type { Clock } from '../core/clock.js';
import { VoipguardError } from '../core/errors.js';
import type { AmiEvent, BanDecision, Decision, Failure, LogLine } from '../core/types.js';
import { runtimeValue, withRuntimeSetting, type RuntimeKey, type RuntimeValue } from '../config/runtime-settings.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Store } from '../store/store.js';
import type { AuthSignal } from '../core/auth-signal.js';
import { reportNotices } from './guard-notices.js';
import { bannedIps, FirewallDoor } from './firewall-door.js';
import { LineTally } from './line-tally.js';
import { JailStoreWriter } from './jail-store-writer.js';
import { JailRestore, type RestoredBans } from './jail-restore.js';
import { readBackKeys } from './read-back-keys.js';
import type { JailParts, LineSink } from './ports.js';

export interface JailRuntimeDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** Hears every decision once its kernel command has started (the fleet publishes from here: docs/cluster.md). */
  readonly onDecided?: (decisions: readonly Decision[]) => void;
  /**
   * The process's heap policy, held relaxed while the start-up restore runs: a bulk task of a few
   * seconds over bounded data, as a fleet catch-up is. Under the memory-saving policy the restore of
   * 100,000 bans with the nftables action took 14.3 s, without it 9.3 s (docs/benchmarks.md,
   * nineteenth session). Absent: nothing changes.
   */
  readonly heap?: HeapPolicy;
}

export interface JailCounters {
  lines: number;
  matched: number;
  stale: number;
  signals: number;
  attempts: number;
  amiEvents: number;
  amiSignals: number;
  amiAttempts: number;
  lastAmiEventAt: number | null;
  hostile: number;
  storeErrors: number;
}

export class JailRuntime {
  readonly name: string;
  readonly counters: JailCounters = {
    lines: 0,
    matched: 0,
    stale: 0,
    signals: 0,
    attempts: 0,
    amiEvents: 0,
    amiSignals: 0,
    amiAttempts: 0,
    lastAmiEventAt: null,
    hostile: 0,
    storeErrors: 0,
  };
  private readonly log: Logger;
  private readonly tally: LineTally;
  /** Attack time of the failure behind each ban not yet confirmed in the kernel (time-to-ban). */
  private readonly parts: JailParts;
  /** The firewall's structure (actionstart), made in the background by start(). */
  private structure: Promise<void> = Promise.resolve();
  private readonly writer: JailStoreWriter;
  private readonly door: FirewallDoor;
  private restoring: Promise<void> | null = null;
  /** The stored bans being read back (ready first); null once all are. */
  private readBack: JailRestore | null = null;
  private readBackDoneP: Promise<void> = Promise.resolve();
  /** The settings in effect: the file's (`config`) with the `set <jail> KEY VALUE` changes on top. */
  private current: JailConfig;

  /** `makeParts` builds the jail's parts with this runtime's line handler as their sink. */
  constructor(
    readonly config: JailConfig,
    private readonly deps: JailRuntimeDeps,
    makeParts: (sink: LineSink) => JailParts,
  ) {
    this.name = config.name;
    this.current = config;
    this.log = deps.log.child({ jail: config.name });
    this.tally = new LineTally(deps.metrics);
    this.parts = makeParts(Object.assign((l: LogLine) => this.line(l), { skipped: this.skipped }));
    this.writer = new JailStoreWriter(
      config.name,
      deps.store,
      this.parts.engine,
      this.log,
      this.counters,
      () => this.current.findtime,
      (ip) => !(this.parts.actions.awaiting?.(ip) ?? false),
    );
    this.door = new FirewallDoor(config.name, this.parts, deps.clock, deps.metrics);
  }

  /** The settings in effect (config with the runtime changes). */
  get settings(): JailConfig {
    return this.current;
  }

  /**
   * `set <jail> KEY VALUE`: parsed by the schema's field, in effect for the next decision, never
   * saved. Returns the value now in effect, in fail2ban's units.
   */
  setSetting(key: RuntimeKey, raw: string): RuntimeValue {
    const next = withRuntimeSetting(this.current, key, raw);
    this.parts.engine.setSettings(next);
    const before = runtimeValue(this.current, key);
    this.current = next;
    const value = runtimeValue(next, key);
    this.log.info({ event: 'setting-changed', key, from: before, to: value });
    return value;
  }

  /** A reload that left the jail running: the file's values come back. */
  resetSettings(): void {
    if (this.current === this.config) return;
    this.current = this.config;
    this.parts.engine.setSettings(this.config);
    this.log.info({ event: 'settings-reset' });
  }

  get engine() {
    return this.parts.engine;
  }

  get sources() {
    return this.parts.sources;
  }

  get takesAmi(): boolean {
    return this.parts.ami !== null;
  }

  pending(): readonly string[] {
    return this.parts.actions.pending();
  }

  /** pending().length without building the list. */
  pendingCount(): number {
    return this.parts.actions.pendingCount?.() ?? this.parts.actions.pending().length;
  }

  /**
   * Start, ready first: the store's bans back in the jail (memory only, fast), the sources followed;
   * the firewall structure is made and the kernel refilled in the background (restoring), so the
   * control socket answers and new failures are counted however many bans come back. Decisions
   * taken meanwhile queue in the actions behind the structure and go between the refill's slices.
   */
  /** Settles when the structure start() began is made (or failed: the actions retry it themselves). */
  structureMade(): Promise<void> {
    return this.structure;
  }

  /**
   * `ready`: the structure's commands also wait for it (the service's jails all followed). A
   * command's spawn holds the main thread: run before, they held the start (docs/flood.md).
   */
  async start(ready?: Promise<void>): Promise<void> {
    const now = this.deps.clock.now();
    // the firewall's structure commands (actionstart) run first in the actions' queue, in the
    // background, once the sources are followed: bans decided before they are done wait behind them
    let followed = (): void => undefined;
    const gate = new Promise<void>((r) => (followed = r));
    const up = ready ? Promise.all([gate, ready]).then(() => undefined) : gate;
    this.structure = this.parts.actions.start(up);
    // the stored bans: the first page now (an unreadable store fails the start), the rest page by
    // page once the jails follow their logs (jail-restore.ts)
    const readBack = new JailRestore(this.name, this.deps.store, this.parts.engine, (e) =>
      this.log.error({ event: 'store-failed', step: 'restore', err: e as Error }),
    );
    readBack.readPage(now);
    this.readBack = readBack;
    const loaded = up.then(() =>
      readBack.rest(
        () => this.deps.clock.now(),
        () => new Promise<void>((r) => setImmediate(r)),
        () => this.deps.metrics.activeBans(this.name, this.parts.engine.bannedCount),
      ),
    );
    void loaded.then(() => (this.readBack = null));
    // queued now, right behind the structure, before any line is read: a reconcile after a new
    // ban would take it for a stale rule and remove it
    const refilling = this.refill(loaded, now);
    const tracked = this.writer.restoreWindows(now);
    this.deps.metrics.activeBans(this.name, this.parts.engine.bannedCount);
    const engine = this.parts.engine;
    this.deps.metrics.jailStarted(this.name, () => engine.trackedCount);
    try {
      for (const s of this.parts.sources) await s.start();
    } finally {
      followed();
    }
    this.log.info({ event: 'jail-started', restored: readBack.count, reading: !readBack.done, windows: tracked, sources: this.parts.sources.length });
    this.restoring = refilling.finally(() => (this.restoring = null));
  }

  /** Resolves once the kernel holds the bans kept by the store (start's background part). */
  restored(): Promise<void> {
    return this.restoring ?? Promise.resolve();
  }

  /** Resolves once the stored bans are all back in the jail's memory (the kernel may still be refilling). */
  readBackDone(): Promise<void> {
    return this.readBackDoneP;
  }
  /**
   * Before the jail hears about `ip` (a failure, a signal, a manual or fleet decision): while the
   * stored bans are read back, the stored ban of ip, or of the prefix it may be banned under, is
   * read now (never banned twice). Free once they are all read.
   */
  readBackFor(ip: string): void {
    const r = this.readBack;
    if (r !== null) r.ensure(readBackKeys(ip, this.current), this.deps.clock.now());
  }

  private async refill(loaded: Promise<RestoredBans | null>, now: number): Promise<void> {
    const t0 = this.deps.clock.now();
    const release = this.deps.heap?.relax();
    try {
      this.readBackDoneP = loaded.then(() => undefined);
      await this.parts.actions.reconcile(
        loaded.then((r) => r && r.active),
        now,
      );
      const r = await loaded;
      // restore() says which stored bans the current config no longer wants (ignoreip changed)
      if (r?.unbans.length) await this.decide(r.unbans, now);
      this.log.info({ event: 'restore-done', bans: r?.active.length ?? 0, ms: this.deps.clock.now() - t0 });
    } finally {
      release?.();
    }
  }

  async stop(keepRules: boolean): Promise<void> {
    for (const s of this.parts.sources) await s.stop();
    await this.restoring;
    await this.door.idle(); // decisions already taken still reach the firewall
    this.writer.flushLater(); // and the store, the fleet's deferred bulk included
    await this.writer.stored();
    this.writer.saveWindows();
    await this.parts.actions.stop({ keepRules });
    this.deps.metrics.jailStopped(this.name);
    this.log.info({ event: 'jail-stopped', keepRules });
  }

  /** The sink the sources call, synchronously, once per line. */
  readonly line = (l: LogLine): void => {
    this.counters.lines++;
    const filter = this.parts.filter;
    if (!filter) {
      this.tally.add(l.source, false);
      return;
    }
    const seen = filter.candidates;
    const m = filter.match(l);
    this.tally.add(l.source, filter.candidates !== seen);
    if (m.hostile?.length) {
      this.counters.hostile++;
      this.log.warn({ event: 'hostile-line', source: l.source, signs: m.hostile, ip: m.failure?.ip });
    }
    if (m.failure) this.failure(m.failure);
    else if (m.signal) {
      // a login proves a registration only when nothing in its line was planted (docs/registrations.md)
      if (m.signal.kind === 'SuccessfulAuth' && !m.hostile?.length) this.parts.registrations?.success(m.signal, this.deps.clock.now());
      this.signal(m.signal);
    }
  };

  /** Lines a source's byte pre-check turned away: counted as read lines that did not match. */
  readonly skipped = (source: string, lines: number): void => {
    this.counters.lines += lines;
    this.tally.addMany(source, lines);
  };

  amiEvent(e: AmiEvent): void {
    const ami = this.parts.ami;
    if (!ami) return;
    this.counters.amiEvents++;
    this.counters.lastAmiEventAt = e.receivedAt;
    const r = ami.read ? ami.read(e) : { failure: ami.toFailure(e), signal: null };
    if (r.failure) this.failure(r.failure);
    else if (r.signal) this.signal(r.signal);
  }

  /** A ChallengeSent or SuccessfulAuth (docs/beyond-one-address.md): never a failure; may ban (bansuspected). */
  private signal(s: AuthSignal): void {
    const now = this.deps.clock.now();
    this.readBackFor(s.ip);
    const decisions = this.parts.engine.signal(s, now);
    if (this.parts.engine.hasNotices) this.notices();
    if (decisions.length) void this.send(decisions);
  }

  private notices(): void {
    reportNotices(this.parts.engine.takeNotices(), this.log, this.deps.metrics, this.parts.alarm ?? null);
  }

  /** `settled`: an unanswered challenge the jail settled itself, already one per session (no correlation). */
  private failure(f: Failure, settled = false): void {
    const now = this.deps.clock.now();
    this.counters.matched++;
    if (f.time < now - this.current.findtime) {
      this.counters.stale++;
      return;
    }
    this.counters.signals++;
    if (f.origin === 'ami') this.counters.amiSignals++;
    this.deps.metrics.signalSeen(this.name);
    if (!settled && this.parts.gate && !this.parts.gate.accept(f, now)) {
      if (this.log.isLevelEnabled('debug')) this.log.debug({ event: 'failure-merged', ip: f.ip, kind: f.kind, source: f.source, sessionId: f.sessionId });
      return;
    }
    this.counters.attempts++;
    if (f.origin === 'ami') this.counters.amiAttempts++;
    this.deps.metrics.attemptCounted(this.name);
    this.deps.metrics.failure({ jail: this.name, source: f.source, kind: f.kind, ...(f.service ? { service: f.service } : {}) });
    // the object is made only when it is written: a flood logs at info, 5 failures per ban
    if (this.log.isLevelEnabled('debug')) this.log.debug({ event: 'failure', ip: f.ip, kind: f.kind, source: f.source, at: f.time, account: f.account });
    const engine = this.parts.engine;
    this.readBackFor(f.ip);
    const clamped = engine.clampedTotal;
    const decisions = engine.failure(f, now);
    // the jail stays pure: it counts the clamp, the runtime reports it with the failure's source
    if (engine.clampedTotal !== clamped) this.deps.metrics.timestampClamped(f.source);
    for (const r of engine.takeSubnetRefusals?.() ?? []) {
      this.log.warn({ event: 'subnet-refused', prefix: r.prefix, why: r.why, address: r.address, addresses: r.addresses });
    }
    if (engine.hasNotices) this.notices();
    for (const d of decisions) if (d.type === 'ban') this.door.timeBan(d.ip, f.time);
    if (decisions.length) void this.send(decisions);
    else this.writer.scheduleWindows();
  }

  /** Periodic: expired bans are lifted; the actions retry and repair when `checkActions`. */
  async tick(now: number, checkActions: boolean): Promise<void> {
    for (const f of this.parts.engine.expiredChallenges(now)) this.failure(f, true);
    const decisions = this.parts.engine.tick(now);
    if (decisions.length) await this.decide(decisions, now);
    if (checkActions) {
      this.writer.pruneStoredWindows(now);
      await this.parts.actions.check(now);
      this.door.confirmKernel(now); // a retry may have landed bans awaited since a failed flush
    }
  }

  manualBan(ip: string, now: number): Promise<readonly BanDecision[]> {
    // a range goes to the firewall as one entry, or not at all: never expanded address by address
    const refusing = ip.includes('/') ? (this.parts.actions.rangesRefusedBy?.() ?? []) : [];
    if (refusing.length) {
      const which = refusing.join(', ');
      throw new VoipguardError(
        'VG_BAN_RANGE',
        `${ip}: ${which} hold${refusing.length > 1 ? '' : 's'} single addresses only (no banranges = yes); ban addresses`,
      );
    }
    this.readBackFor(ip);
    const decisions = this.parts.engine.ban(ip, now).filter((d): d is BanDecision => d.type === 'ban');
    return this.decide(decisions, now).then(() => decisions);
  }

  async manualUnban(ips: readonly string[] | 'all', now: number): Promise<number> {
    if (ips === 'all') await this.readBackDoneP;
    else for (const ip of ips) this.readBackFor(ip);
    const list = ips === 'all' ? this.parts.engine.status(now).banned.map((b) => b.ip) : ips;
    const decisions = list.flatMap((ip) => this.parts.engine.unban(ip, now));
    await this.decide(decisions, now);
    return decisions.length;
  }

  /** Settles once every decision sent through the door so far is in the store (the fleet's bulk writes wait for their kernel commands). */
  stored(): Promise<void> {
    return this.writer.stored();
  }

  /**
   * The one door for decisions: store, facts in the log, metrics, then the firewall. The store
   * write waits one microtask, so that every decision of one read (a whole chunk of lines) goes in
   * one transaction, and it never waits for the firewall.
   */
  async decide(decisions: readonly Decision[], _now: number, bulk = false): Promise<void> {
    if (decisions.length === 0) this.writer.scheduleWindows();
    else await this.send(decisions, bulk);
  }

  /**
   * decide() for the line path, without an async frame of its own: a burst's failures made a
   * promise per ban for nothing but to wait for the shared flush. Resolves with that flush.
   * `bulk` (the fleet's snapshot or catch-up): its caller logs one summary, each ban is at debug.
   */
  private send(decisions: readonly Decision[], bulk = false): Promise<void> {
    // a ban ends its address's window: the windows are saved in the bans' transaction (persist).
    // bulk: the bans are written once the kernel holds them (toStoreAfter, below), as applied, and
    // the actions write the flag only when the kernel refuses
    if (bulk) this.parts.actions.presume?.(bannedIps(decisions));
    else this.writer.toStore(decisions);
    const readBack = this.readBack;
    if (readBack !== null) for (const d of decisions) readBack.decided(d.ip);
    // bulk: each decision at debug, and its fact made only when debug is on
    const log = this.log;
    const note = !bulk ? log.info.bind(log) : log.isLevelEnabled('debug') ? log.debug.bind(log) : null;
    for (const d of decisions) {
      if (d.type === 'ban') {
        note?.({ event: 'ban', ip: d.ip, until: d.until, banCount: d.banCount, reason: d.reason, failures: d.failures });
        this.deps.metrics.ban(this.name, d.reason);
      } else {
        this.door.untime(d.ip);
        note?.({ event: 'unban', ip: d.ip, reason: d.reason });
        this.deps.metrics.unban(this.name, d.reason);
      }
    }
    const sent = this.door.send(decisions);
    if (bulk) this.writer.toStoreAfter(decisions, sent);
    // the fleet hears the decisions once their kernel command has started (the path to the spawn
    // is microtasks; a macrotask runs after it), not after it ended: the other nodes' kernels no
    // longer wait for this node's commands to finish (docs/cluster.md, "Benchmark")
    const tap = this.deps.onDecided;
    if (tap) setImmediate(() => tap(decisions));
    return sent;
  }
}
