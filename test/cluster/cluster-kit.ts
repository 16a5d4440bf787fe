// A fleet of ClusterNodes on one MemoryRedis, each with real Jail engines and a "kernel" (the
// decisions committed, in order), for the unit tests of the fleet logic.

import { afterEach } from 'node:test';
import { Jail } from '../../src/jails/jail.js';
import type { BackoffOptions } from '../../src/core/backoff.js';
import { HeapPolicyState, type HeapPolicy } from '../../src/core/heap-policy.js';
import { ClusterNode, type ClusterJails } from '../../src/cluster/cluster-node.js';
import { NO_REGISTRATIONS, type HostAddresses, type LiveRegistrations } from '../../src/core/protection.js';
import { NO_CLUSTER_METRICS } from '../../src/metrics/cluster-metrics.js';
import type { BanReason, BanRecord, Decision } from '../../src/core/types.js';
import type { TimerHandle, Timers } from '../../src/core/timers.js';

/** Real timers that keep the test's event loop alive (systemTimers unref theirs). */
const refTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as TimerHandle,
  clearTimeout: (h) => clearTimeout(h as unknown as NodeJS.Timeout),
};
import { MemoryBus, type MemoryRedis } from '../fakes/memory-bus.js';
import { MemoryStore } from '../fakes/memory-store.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { settings } from '../jails/jail-kit.js';

export class MemoryJails implements ClusterJails {
  readonly engines = new Map<string, Jail>();
  /** What reached the firewall, per jail: ip → ban reason, removed on unban. */
  readonly kernel = new Map<string, Map<string, string>>();
  readonly bans = new Map<string, BanRecord>();
  /** The door's tap (the node's decided()), set once the node exists. */
  tap: (ds: readonly Decision[]) => void = () => undefined;

  constructor(jails: readonly string[], ignoreip: readonly string[] = []) {
    for (const j of jails) {
      this.engines.set(j, new Jail(settings({ name: j, ignoreip: ['127.0.0.1/8', '::1', ...ignoreip], ignoreself: false })));
      this.kernel.set(j, new Map());
    }
  }
  running(): readonly string[] {
    return [...this.engines.keys()];
  }
  ignoreip(jail: string): readonly string[] {
    return this.engines.get(jail)?.ignoreList() ?? [];
  }
  ban(jail: string, ip: string, now: number, durationMs: number): readonly Decision[] {
    return this.engines.get(jail)?.ban(ip, now, { duration: durationMs, reason: 'cluster' }) ?? [];
  }
  unban(jail: string, ip: string, now: number): readonly Decision[] {
    return this.engines.get(jail)?.unban(ip, now) ?? [];
  }
  /** A local ban, as a detection would make it: kernel first, then the tap. */
  async localBan(jail: string, ip: string, now: number, reason: BanReason = 'detected'): Promise<void> {
    const ds = this.engines.get(jail)!.ban(ip, now, { reason });
    await this.commit(jail, ds);
  }
  /** Each commit: its jail, its size, and whether it came by the bulk path. */
  readonly commits: { jail: string; n: number; bulk: boolean }[] = [];
  async commit(jail: string, decisions: readonly Decision[], bulk = false): Promise<void> {
    this.commits.push({ jail, n: decisions.length, bulk });
    await null;
    const k = this.kernel.get(jail)!;
    for (const d of decisions) {
      if (d.type === 'ban') {
        k.set(d.ip, d.reason);
        this.bans.set(`${jail} ${d.ip}`, { jail, ip: d.ip, start: d.time, until: d.until, banCount: d.banCount, reason: d.reason });
      } else {
        k.delete(d.ip);
        this.bans.delete(`${jail} ${d.ip}`);
      }
    }
    this.tap(decisions);
  }
  /** The twin writes its store with the kernel: nothing is ever deferred. */
  stored(): Promise<void> {
    return Promise.resolve();
  }
  activeBans(): readonly BanRecord[] {
    return [...this.bans.values()];
  }
}

export interface TestNode {
  readonly node: ClusterNode;
  readonly jails: MemoryJails;
  readonly bus: MemoryBus;
  readonly store: MemoryStore;
  readonly records: Record<string, unknown>[];
}

export interface NodeOptions {
  readonly jails?: readonly string[];
  readonly shared?: readonly string[];
  readonly ignoreip?: readonly string[];
  readonly host?: HostAddresses;
  readonly registrations?: LiveRegistrations;
  readonly accept?: readonly string[];
  readonly maxBanTime?: number;
  readonly queueLimit?: number;
  readonly store?: MemoryStore;
  readonly startWaitMs?: number;
  readonly backoff?: BackoffOptions;
  readonly heap?: HeapPolicy;
}

/**
 * The nodes the current test made. A test stops its nodes at its end; one that fails before that
 * would leave a node's loop running, and the file would then wait for the runner's timeout
 * (300 s) instead of reporting the failure: whatever is left is stopped after each test.
 */
const made = new Set<ClusterNode>();
afterEach(async () => {
  for (const n of made) await n.stop();
  made.clear();
});

export function makeNode(redis: MemoryRedis, name: string, o: NodeOptions = {}): TestNode {
  const jails = new MemoryJails(o.jails ?? ['asterisk'], o.ignoreip);
  const bus = new MemoryBus(redis);
  const store = o.store ?? new MemoryStore();
  const { log, records } = memoryLogger('debug');
  const node = new ClusterNode({
    settings: {
      node: name,
      prefix: 'vg',
      jails: o.shared ?? [],
      accept: o.accept ?? ['detected', 'manual'],
      maxBanTime: o.maxBanTime ?? 86_400_000,
      redis: 'memory',
    },
    bus,
    store,
    clock: { now: () => Date.now() },
    timers: refTimers,
    log,
    metrics: NO_CLUSTER_METRICS,
    host: o.host ?? { addresses: () => [] },
    registrations: o.registrations ?? NO_REGISTRATIONS,
    backoff: o.backoff ?? { firstMs: 5, baseMs: 10, factor: 2, capMs: 50, jitter: 0 },
    random: () => 0,
    queueLimit: o.queueLimit ?? 1_000,
    startWaitMs: o.startWaitMs ?? 1_000,
    heap: o.heap ?? new HeapPolicyState(),
  });
  jails.tap = (ds) => node.decided(ds);
  made.add(node);
  return { node, jails, bus, store, records };
}
