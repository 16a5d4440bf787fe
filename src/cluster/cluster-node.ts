// This node's place in the fleet (docs/cluster.md). It hears every decision of the shared jails
// (decided(), called by the jail runtime's door after the ban went to the kernel) and hands local
// bans and manual unbans to the publisher; it reads the other nodes' entries from the stream and
// hands them to the applier (stream-applier.ts: checked like any input, applied through the jails'
// own door with reason 'cluster'). Redis is never on the ban path: nothing here is awaited by a
// local ban. It also keeps the heartbeat and the report `status cluster` shows.
//
// Start: before the daemon says ready, the node catches up: a node that never read the stream (or
// whose position was trimmed away) loads the whole active set at once; a node that did resumes
// after the ID saved in SQLite. A Redis that does not answer within `startWaitMs` lets the start go
// on; the catch-up then happens when Redis comes.

import { ACCEPTABLE_REASONS } from '../config/cluster-schema.js';
import { backoffDelay } from '../core/backoff.js';
import type { TimerHandle } from '../core/timers.js';
import type { Decision } from '../core/types.js';
import { SEEN_MS, type BusState, type PublishItem } from './bus.js';
import type { ClusterJails, ClusterNodeDeps, ClusterReport } from './ports.js';
import { clientError } from './client-error.js';
import { Origins } from './origins.js';
import { Publisher } from './publisher.js';
import { Refusals } from './refusals.js';
import { StreamApplier } from './stream-applier.js';
import { StreamPosition } from './stream-position.js';
import { banKey, encodeEntry, type ClusterEntry } from './wire.js';

export type { ClusterJails, ClusterNodeDeps, ClusterReport, ClusterSettings } from './ports.js';

/** The reasons a node publishes: those another node may accept ([cluster] accept). */
const PUBLISHED: ReadonlySet<string> = new Set(ACCEPTABLE_REASONS);
// entries per read: each read's bans go to the kernel as a batch, and a batch's cost grew with the
// set it adds to (`nft -f` into a set of ~80,000: 400-500 MB resident, 30 s at load 14): fewer,
// larger batches when a node takes in a backlog
const READ_COUNT = 10_000;
const READ_BLOCK_MS = 1_000;
/** Reads whose commits may still run while the next read goes on. */
const MAX_UNCOMMITTED = 4;
const HEARTBEAT_MS = 10_000;
export class ClusterNode {
  private jails: ClusterJails | null = null;
  private readonly publisher: Publisher;
  private readonly origins = new Origins();
  /** Made at start(), when the saved position is read. */
  private pos: StreamPosition | null = null;
  /** The fleet's entries into the jails; made at start(). */
  private applier: StreamApplier | null = null;
  private stopped = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wakers: (() => void)[] = [];
  private heartbeatTimer: TimerHandle | null = null;
  private nodesSeen: string[] = [];
  /** The last connection error, shown while not connected. */
  private lastError: string | null = null;
  private readonly refusals: Refusals;

  constructor(private readonly deps: ClusterNodeDeps) {
    this.refusals = new Refusals(deps.log, deps.metrics);
    this.publisher = new Publisher({
      bus: deps.bus,
      timers: deps.timers,
      backoff: deps.backoff,
      random: deps.random,
      limit: deps.queueLimit,
      resyncItems: () => this.resyncItems(),
      onPublished: (n) => deps.metrics.published(n),
      onQueue: (n) => deps.metrics.queue(n),
      onError: (e, attempt, retryMs) =>
        (attempt === 0 ? deps.log.warn.bind(deps.log) : deps.log.debug.bind(deps.log))({
          event: 'cluster-publish-failed',
          attempt,
          retryMs,
          queue: this.publisher.length,
          err: e,
        }),
    });
  }

  get node(): string {
    return this.deps.settings.node;
  }

  /** Connects, catches up (or gives up after startWaitMs), then follows the stream in the background. */
  async start(jails: ClusterJails): Promise<void> {
    this.jails = jails;
    for (const b of jails.activeBans()) if (b.reason === 'cluster') this.origins.set(banKey(b.jail, b.ip), '?');
    this.pos = new StreamPosition(this.deps.store, this.deps.settings.prefix, this.deps.log);
    this.applier = new StreamApplier({
      ...this.deps,
      jails,
      pos: this.pos,
      origins: this.origins,
      refusals: this.refusals,
      shares: (j: string) => this.shares(j),
    });
    this.deps.bus.start(this.onState);
    const up = await this.waitConnected(this.deps.startWaitMs);
    if (up) {
      try {
        await this.applier.catchUp();
      } catch (e) {
        this.deps.log.warn({ event: 'cluster-catch-up-failed', err: e as Error });
      }
    } else {
      this.deps.log.warn({ event: 'cluster-not-ready', redis: this.deps.settings.redis, waitedMs: this.deps.startWaitMs });
    }
    this.loopDone = this.follow();
    this.beat();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.publisher.drain(2_000);
    this.stopped = true;
    this.publisher.stop();
    if (this.heartbeatTimer) this.deps.timers.clearTimeout(this.heartbeatTimer);
    this.wake();
    await this.deps.bus.stop();
    await this.loopDone;
  }

  /** The tap on the jails' door: local bans and manual unbans of shared jails go to the fleet. */
  decided(decisions: readonly Decision[]): void {
    if (this.stopped) return;
    const items: PublishItem[] = [];
    for (const d of decisions) {
      const key = banKey(d.jail, d.ip);
      if (d.type === 'unban') {
        this.origins.delete(key);
        if (d.reason !== 'manual' || !this.shares(d.jail)) continue;
        items.push(toItem({ op: 'unban', node: this.node, jail: d.jail, ip: d.ip, time: d.time }));
        continue;
      }
      // only what another node could accept: not fleet bans (no echo), restores, or compromise bans
      if (!PUBLISHED.has(d.reason) || !this.shares(d.jail)) continue;
      items.push(toItem({ op: 'ban', node: this.node, jail: d.jail, ip: d.ip, reason: d.reason, banCount: d.banCount, start: d.time, until: d.until }));
    }
    this.publisher.push(items);
  }

  report(): ClusterReport {
    return {
      node: this.node,
      redis: this.deps.settings.redis,
      connected: this.deps.bus.state() === 'connected',
      error: this.deps.bus.state() === 'connected' ? null : this.lastError,
      nodesSeen: [...this.nodesSeen].sort(),
      lastApplied: this.applier?.lastApplied ?? null,
      queue: this.publisher.length,
      published: this.publisher.published,
      applied: this.applier?.applied ?? 0,
      refused: this.refusals.total(),
      dropped: this.publisher.dropped,
      lagMs: this.applier?.lagMs ?? null,
      cursor: this.pos?.saved ?? null,
      bansByOrigin: this.origins.byOrigin(),
    };
  }

  private shares(jail: string): boolean {
    const list = this.deps.settings.jails;
    return list.length === 0 || list.includes(jail);
  }

  private readonly onState = (s: BusState, err?: Error): void => {
    if (err) this.lastError = clientError(err);
    this.deps.metrics.connected(s === 'connected');
    this.deps.log.info({ event: 'cluster-state', state: s, redis: this.deps.settings.redis, ...(err ? { err } : {}) });
    if (s === 'connected') {
      this.wake();
      this.publisher.reconnected();
    } else if (this.applier) {
      this.applier.needCatchUp = true;
    }
  };

  private wake(): void {
    const w = this.wakers;
    this.wakers = [];
    for (const f of w) f();
  }

  /** Resolves true once connected, false after `ms` or at stop. */
  private waitConnected(ms: number): Promise<boolean> {
    if (this.deps.bus.state() === 'connected') return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = this.deps.timers.setTimeout(() => resolve(this.deps.bus.state() === 'connected'), ms);
      this.wakers.push(() => {
        this.deps.timers.clearTimeout(t);
        resolve(this.deps.bus.state() === 'connected');
      });
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = this.deps.timers.setTimeout(resolve, ms);
      this.wakers.push(() => {
        this.deps.timers.clearTimeout(t);
        resolve();
      });
    });
  }

  /**
   * The stream, read after the cursor for as long as the node runs. The next read does not wait
   * for the kernel commands of the last one: its bans join the jail's next firewall batch (the
   * runtime's door joins what arrives while the firewall is busy), and the cursor is saved once
   * a batch's commits are done, in order. At most MAX_UNCOMMITTED reads wait for their commits.
   */
  private async follow(): Promise<void> {
    const pos = this.pos!;
    const applier = this.applier!;
    let attempt = 0;
    while (!this.stopped) {
      if (this.deps.bus.state() !== 'connected') {
        await this.waitConnected(60_000);
        continue;
      }
      try {
        if (applier.needCatchUp) {
          await pos.settled();
          await applier.catchUp();
        }
        const entries = await this.deps.bus.read(pos.next, READ_COUNT, READ_BLOCK_MS);
        if (entries.length) {
          pos.readTo(entries[entries.length - 1]!.id);
          applier.applyStream(entries);
          if (pos.inFlight >= MAX_UNCOMMITTED) await pos.settled();
        }
        attempt = 0;
      } catch (e) {
        if (this.stopped) break;
        await pos.settled();
        const ms = backoffDelay(attempt++, this.deps.backoff, this.deps.random);
        this.deps.log.debug({ event: 'cluster-read-failed', retryMs: ms, err: e as Error });
        await this.sleep(ms);
      }
    }
    await pos.settled();
  }

  private resyncItems(): PublishItem[] {
    const out: PublishItem[] = [];
    const now = this.deps.clock.now();
    for (const b of this.jails?.activeBans() ?? []) {
      if (!PUBLISHED.has(b.reason) || !this.shares(b.jail)) continue;
      if (b.until !== null && b.until <= now) continue;
      out.push(toItem({ op: 'ban', node: this.node, jail: b.jail, ip: b.ip, reason: b.reason, banCount: b.banCount, start: b.start, until: b.until }));
    }
    return out;
  }

  private beat(): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    if (this.deps.bus.state() === 'connected') {
      this.deps.bus.heartbeat(this.node, now, now - SEEN_MS).then(
        (nodes) => (this.nodesSeen = nodes),
        (e: unknown) => this.deps.log.debug({ event: 'cluster-heartbeat-failed', err: e as Error }),
      );
    }
    this.heartbeatTimer = this.deps.timers.setTimeout(() => this.beat(), HEARTBEAT_MS);
  }
}

function toItem(e: ClusterEntry): PublishItem {
  return { fields: encodeEntry(e), key: banKey(e.jail, e.ip), until: e.op === 'ban' ? e.until : null, op: e.op };
}
