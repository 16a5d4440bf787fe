// A whole Service on fakes around the real Jail: a fake filter (one regex), fake sources the test
// pushes lines into, recording actions, TinyStore, a manual clock. Shared by the daemon tests.

import type { JailConfig, LoadedConfig } from '../../src/config/load-config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { memoryReader } from '../../src/config/config-set.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Decision, Failure, LogLine } from '../../src/core/types.js';
import { Jail } from '../../src/jails/jail.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { NoopMetrics } from '../../src/metrics/noop-metrics.js';
import type { Metrics } from '../../src/metrics/metrics.js';
import type { ActiveBan } from '../../src/store/store.js';
import type { ActionsPort, FailureGate, JailFactory, JailParts, SourcePort, SourceStatus } from '../../src/daemon/ports.js';
import { Service, type AmiPort, type LogControl } from '../../src/daemon/service.js';
import { TinyStore } from '../helpers/tiny-store.js';

export const T0 = Date.UTC(2026, 10, 21, 9, 0, 0);

export class RecordingActions implements ActionsPort {
  readonly applied: Decision[] = [];
  readonly reconciled: ActiveBan[][] = [];
  started = 0;
  stopped: boolean[] = [];
  checks = 0;
  pendingIps: string[] = [];
  readonly calls: number[] = [];
  /** Set to hold apply() until the test releases it (a busy firewall). */
  gate: Promise<void> | null = null;
  /** Set to hold start() (the firewall structure commands) until the test releases it. */
  startGate: Promise<void> | null = null;
  async start() {
    this.started++;
    await this.startGate;
  }
  async stop(opts?: { keepRules?: boolean }) {
    this.stopped.push(opts?.keepRules ?? false);
  }
  async apply(d: readonly Decision[]) {
    this.calls.push(d.length);
    await this.gate;
    this.applied.push(...d);
  }
  async check() {
    this.checks++;
  }
  /** Set to hold reconcile() (the start's kernel refill) until the test releases it. */
  reconcileGate: Promise<void> | null = null;
  /** Records the call at once (its turn in the queue); the bans once the read-back hands them over. */
  async reconcile(active: readonly ActiveBan[] | PromiseLike<readonly ActiveBan[] | null>) {
    const got: ActiveBan[] = [];
    this.reconciled.push(got);
    got.push(...((await active) ?? []));
    await this.reconcileGate;
  }
  pending() {
    return this.pendingIps;
  }
}

export class PushSource implements SourcePort {
  running = false;
  constructor(
    readonly sink: (l: LogLine) => void,
    readonly paths: readonly string[],
  ) {}
  async start() {
    this.running = true;
  }
  async stop() {
    this.running = false;
  }
  status(): SourceStatus {
    return {
      kind: 'file',
      files: this.paths.filter((p) => !p.includes('missing')).map((path) => ({ path, state: 'reading' })),
      waitingFor: this.paths.filter((p) => p.includes('missing')),
    };
  }
  push(text: string, clock: ManualClock) {
    this.sink({ source: this.paths[0] ?? 'x', text, readAt: clock.now() });
  }
}

/** `FAIL <ip> <unix seconds>` is a failure. */
export function fakeFilter(source: string) {
  return {
    candidates: 0,
    match(l: LogLine) {
      // every FAIL line passes the stand-in's pre-check
      if (l.text.startsWith('FAIL ')) this.candidates++;
      const m = /^FAIL (\S+) (\d+)(?: (\S+))?$/.exec(l.text);
      const failure: Failure | null = m
        ? { ip: m[1]!, time: Number(m[2]) * 1000, kind: 'test', origin: 'log', source, ...(m[3] ? { sessionId: m[3] } : {}) }
        : null;
      return { failure, ignored: false, regexIndex: failure ? 0 : -1, dateFormat: null };
    },
  };
}

/** Merges failures that carry the same session id (a stand-in for the correlator). */
export class SessionGate implements FailureGate {
  private seen = new Set<string>();
  accept(f: Failure): boolean {
    if (!f.sessionId) return true;
    if (this.seen.has(f.sessionId)) return false;
    this.seen.add(f.sessionId);
    return true;
  }
}

export interface Made {
  cfg: JailConfig;
  parts: JailParts;
  actions: RecordingActions;
  source: PushSource;
}

export function files(jailConf: string, voipguardConf = ''): Record<string, string> {
  return { '/cfg/jail.conf': jailConf, ...(voipguardConf ? { '/cfg/voipguard.conf': voipguardConf } : {}) };
}

export function kit(
  initial: Record<string, string>,
  opts: { failOn?: string; reconcileGate?: Promise<void>; startGate?: Promise<void>; keepRules?: boolean; metrics?: Metrics } = {},
) {
  let current = initial;
  const clock = new ManualClock(T0);
  const store = new TinyStore();
  const { log, records } = memoryLogger('debug');
  const made: Made[] = [];
  let level = 'info';
  let target = 'stdout';
  let reopens = 0;
  const logControl: LogControl = {
    level: () => level,
    setLevel: (l) => (level = l),
    target: () => target,
    setTarget: (t) => (target = t),
    reopen: () => void reopens++,
  };
  const factory: JailFactory = {
    make(cfg, sink, amiEnabled) {
      if (cfg.name === opts.failOn) throw new Error(`cannot build ${cfg.name}`);
      const actions = new RecordingActions();
      actions.reconcileGate = opts.reconcileGate ?? null;
      actions.startGate = opts.startGate ?? null;
      const source = new PushSource(sink, cfg.logpath);
      const parts: JailParts = {
        engine: new Jail(cfg, { random: () => 0 }),
        filter: cfg.filter ? fakeFilter(cfg.logpath[0] ?? '') : null,
        ami: cfg.ami && amiEnabled ? { toFailure: () => null } : null,
        gate: new SessionGate(),
        actions,
        sources: cfg.logpath.length ? [source] : [],
      };
      made.push({ cfg, parts, actions, source });
      return parts;
    },
  };
  const load = (): LoadedConfig => loadConfig('/cfg', { reader: memoryReader(current) });
  const amiPort: AmiPort = {
    start: () => undefined,
    stop: () => Promise.resolve(),
    state: () => ({ state: 'disconnected', address: '127.0.0.1:5038', lastEventAt: null, lastError: null, reconnects: 0 }),
  };
  const svc = new Service({
    config: load(),
    configDir: '/cfg',
    clock,
    log,
    store,
    metrics: opts.metrics ?? new NoopMetrics(),
    factory,
    cluster: null,
    loadConfig: load,
    makeAmi: (settings) => (settings.enabled ? amiPort : null),
    logControl,
    dryRun: false,
    keepRules: opts.keepRules ?? false,
  });
  return {
    svc,
    clock,
    store,
    records,
    made,
    load,
    setFiles: (f: Record<string, string>) => (current = f),
    latest: (jail: string) => [...made].reverse().find((m) => m.cfg.name === jail)!,
    level: () => level,
    reopens: () => reopens,
  };
}

export const JAIL = `
[DEFAULT]
maxretry = 3
findtime = 10m
bantime = 1h
filter = fake
action = dummy
ignoreip = 10.9.0.0/16

[asterisk]
enabled = true
logpath = /var/log/asterisk/messages
          /var/log/asterisk/missing.log

[blacklist]
enabled = false
filter =
bantime = -1
`;
