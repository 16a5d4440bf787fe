// This node's place in the fleet (docs/cluster.md). It hears every decision of the shared jails
// (decided(), called by the jail runtime's door after the ban went to the kernel) and hands local
// bans and manual unbans to the publisher; it reads the other nodes' entries from the stream, checks
// them like any input (entry-check.ts) and applies them through the jails' own door with reason
// 'cluster'. Redis is never on the ban path: nothing here is awaited by a local ban.
//
// Start: before the daemon says ready, the node catches up: a node that never read the stream (or
// whose position was trimmed away) loads the whole active set at once; a node that did resumes
// after the ID saved in SQLite. A Redis that does not answer within `startWaitMs` lets the start go
// on; the catch-up then happens when Redis comes.

import { ACCEPTABLE_REASONS } from '../config/cluster-schema.js';
import { backoffDelay } from '../core/backoff.js';
import { turn } from '../core/slices.js';
import type { TimerHandle } from '../core/timers.js';
import type { Decision } from '../core/types.js';
import type { BusState, PublishItem, RawStreamEntry, Snapshot } from './bus.js';
import type { ClusterJails, ClusterNodeDeps, ClusterReport } from './ports.js';
import { clientError } from './client-error.js';
import { decideBatch, type RawEntry } from './entry-batch.js';
import { Origins } from './origins.js';
import { Publisher } from './publisher.js';
import { Refusals } from './refusals.js';
import { StreamPosition } from './stream-position.js';
import { banKey, compareIds, encodeEntry, idTime, parseJson, type ClusterEntry } from './wire.js';

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
const SEEN_MS = 60_000;
/**
 * A read of this many entries (and every snapshot) takes the bulk path: the same checks, one
 * commit per jail, but each ban logged at debug and the batch summed up in one line
 * (cluster-applied, cluster-snapshot): a catch-up of 10,000 bans wrote 20,000 lines at info.
 */
export const BULK_ENTRIES = 100;
/**
 * A snapshot (first start) is checked and committed this many entries at a time, a turn between:
 * as small as the firewall path's own slices (core/slices.ts), so the two take turns and the first
 * kernel commands run (on the other core) while later pieces are decoded. With pieces of 20,000,
 * the firewall path got one slice per piece and its first command waited until nearly all were
 * decoded (bench:cluster --alone, 100,000 bans: ready at 4.9 s, against 4.2 to 4.3 s).
 */
export const SNAPSHOT_PIECE = 2_000;

export class ClusterNode {
  private jails: ClusterJails | null = null;
  private readonly publisher: Publisher;
  private readonly origins = new Origins();
  /** Made at start(), when the saved position is read. */
  private pos: StreamPosition | null = null;
  private needCatchUp = true;
  private stopped = false;
  private loopDone: Promise<void> = Promise.resolve();
  private wakers: (() => void)[] = [];
  private heartbeatTimer: TimerHandle | null = null;
  private nodesSeen: string[] = [];
  private lastApplied: ClusterReport['lastApplied'] = null;
  /** The last connection error, shown while not connected. */
  private lastError: string | null = null;
  private lagMs: number | null = null;
  private applied = 0;
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
    this.deps.bus.start(this.onState);
    const up = await this.waitConnected(this.deps.startWaitMs);
    if (up) {
      try {
        await this.catchUp();
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
      lastApplied: this.lastApplied,
      queue: this.publisher.length,
      published: this.publisher.published,
      applied: this.applied,
      refused: this.refusals.total(),
      dropped: this.publisher.dropped,
      lagMs: this.lagMs,
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
    } else {
      this.needCatchUp = true;
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
    let attempt = 0;
    while (!this.stopped) {
      if (this.deps.bus.state() !== 'connected') {
        await this.waitConnected(60_000);
        continue;
      }
      try {
        if (this.needCatchUp) {
          await pos.settled();
          await this.catchUp();
        }
        const entries = await this.deps.bus.read(pos.next, READ_COUNT, READ_BLOCK_MS);
        if (entries.length) {
          pos.readTo(entries[entries.length - 1]!.id);
          this.applyStream(entries);
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

  /** Resume after the cursor, or load the active set when there is none or the stream was trimmed past it. */
  private async catchUp(): Promise<void> {
    const pos = this.pos!;
    pos.rewind(); // every read before has been committed (settled): the cursor is the position
    const cursor = pos.saved;
    const first = cursor === null ? null : await this.deps.bus.firstId();
    if (cursor !== null && (first === null || compareIds(first, cursor) <= 0)) {
      this.needCatchUp = false;
      return; // the stream still holds everything after the cursor (or is empty)
    }
    const now = this.deps.clock.now();
    const snap = await this.deps.bus.snapshot(now);
    const release = this.deps.heap.relax();
    try {
      await this.applySnapshot(snap, cursor, now);
    } finally {
      this.relaxUntil(this.jails?.stored(), release);
    }
  }

  /** Checks and bans a snapshot's entries in pieces; the cursor moves to its last ID once the store has them. */
  private async applySnapshot(snap: Snapshot, cursor: string | null, now: number): Promise<void> {
    const pos = this.pos!;
    // in pieces: a piece's kernel command (a process, on the other core) runs while the next piece
    // is decoded and checked; its bans join the jail's next firewall batch (one script per flush)
    const before = this.refusals.total();
    const commits: Promise<unknown>[] = [];
    let made = 0;
    for (let at = 0; at < snap.bans.length; at += SNAPSHOT_PIECE) {
      if (at > 0) await turn();
      const entries = snap.bans.slice(at, at + SNAPSHOT_PIECE).map((text) => ({ id: null, fields: parseJson(text) }));
      const r = this.check(entries, now, true);
      made += r.made;
      commits.push(r.committed);
    }
    // ready once the kernel holds the bans; the store is written after their kernel commands, and
    // the cursor only after the store (a node stopped dead before then loads the set again)
    await Promise.all(commits);
    const r = { made, refused: this.refusals.since(before) };
    const advance = cursor === null || compareIds(snap.lastId, cursor) > 0;
    if (advance) pos.readTo(snap.lastId);
    pos.commit(this.jails?.stored() ?? Promise.resolve(), advance ? snap.lastId : null);
    this.needCatchUp = false;
    this.deps.log.info({
      event: 'cluster-snapshot',
      reason: cursor === null ? 'first-start' : 'trimmed',
      bans: snap.bans.length,
      applied: r.made,
      refused: r.refused,
      lastId: snap.lastId,
    });
  }

  /** Checks and bans now; the commit goes on in the background, and the cursor follows it. */
  private applyStream(entries: readonly RawStreamEntry[]): void {
    const now = this.deps.clock.now();
    const bulk = entries.length >= BULK_ENTRIES;
    const r = this.check(
      entries.map((e) => ({ id: e.id, fields: e.fields })),
      now,
      bulk,
    );
    const { committed } = r;
    const last = entries[entries.length - 1]!.id;
    if (bulk)
      this.deps.log.info({
        event: 'cluster-applied',
        entries: entries.length,
        applied: r.made,
        unbans: r.unbans,
        refused: r.refused,
        firstId: entries[0]!.id,
        lastId: last,
      });
    // the lag is the kernel's (the bans are in force); the cursor waits for the store as well
    const kernel = committed.then(() => {
      this.lagMs = Math.max(0, this.deps.clock.now() - idTime(last));
      this.deps.metrics.lag(this.lagMs / 1000);
    });
    const stored = kernel.then(() => this.jails?.stored());
    if (bulk) this.relaxUntil(stored, this.deps.heap.relax());
    this.pos!.commit(stored, last);
  }

  /** Holds the heap policy relaxed until `p` settles (a bulk task's kernel commands and store writes). */
  private relaxUntil(p: Promise<unknown> | undefined, release: () => void): void {
    if (p) p.then(release, release);
    else release();
  }

  /**
   * Checks entries in order and makes their bans in the jails now; one commit per jail, returned.
   * The single path and the bulk path (`bulk`: a snapshot or a large read) run the same checks and
   * count the same refusals; bulk only moves the per-ban log lines to debug.
   */
  private check(entries: readonly RawEntry[], now: number, bulk: boolean): CheckResult {
    const jails = this.jails;
    if (!jails) return { made: 0, unbans: 0, refused: {}, committed: Promise.resolve() };
    const refusedBefore = this.refusals.total();
    const d = decideBatch(
      {
        jails,
        shared: jails.running().filter((j) => this.shares(j)),
        settings: this.deps.settings,
        host: this.deps.host,
        registrations: this.deps.registrations,
        origins: this.origins,
        refusals: this.refusals,
        log: this.deps.log,
      },
      entries,
      now,
      bulk,
    );
    if (d.lastApplied) this.lastApplied = d.lastApplied;
    this.applied += d.made;
    if (d.made) this.deps.metrics.applied(d.made);
    const committed = Promise.all([...d.byJail].map(([j, ds]) => jails.commit(j, ds, bulk)));
    return { made: d.made, unbans: d.unbans, refused: this.refusals.since(refusedBefore), committed };
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

interface CheckResult {
  /** Bans made. */
  readonly made: number;
  readonly unbans: number;
  /** This batch's refusals, by reason. */
  readonly refused: Readonly<Record<string, number>>;
  readonly committed: Promise<unknown>;
}

function toItem(e: ClusterEntry): PublishItem {
  return { fields: encodeEntry(e), key: banKey(e.jail, e.ip), until: e.op === 'ban' ? e.until : null, op: e.op };
}
