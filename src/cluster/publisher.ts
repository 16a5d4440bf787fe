// Local bans and unbans on their way to Redis. The ban is already in the kernel when it gets here
// (the jail runtime's door hands it over after the decision): this queue only ever delays the
// *news*. It is bounded; when Redis is away long enough to fill it, the oldest news goes and the
// node republishes every active local ban once Redis is back (a resync), so the others still
// converge. A failed publish is retried with backoff (core/backoff.ts), never dropped.

import { backoffDelay, type BackoffOptions } from '../core/backoff.js';
import type { TimerHandle, Timers } from '../core/timers.js';
import type { ClusterBus, PublishItem } from './bus.js';

export const DEFAULT_QUEUE_LIMIT = 100_000;
const BATCH = 1_000;

export interface PublisherDeps {
  readonly bus: ClusterBus;
  readonly timers: Timers;
  readonly backoff: BackoffOptions;
  readonly random: () => number;
  readonly limit: number;
  /** Every local active ban of a shared jail, as publish items (the resync after an overflow). */
  readonly resyncItems: () => PublishItem[];
  readonly onPublished: (n: number) => void;
  readonly onQueue: (n: number) => void;
  readonly onError: (e: Error, attempt: number, retryMs: number) => void;
}

export class Publisher {
  private queue: PublishItem[] = [];
  private head = 0;
  private flushing = false;
  private attempt = 0;
  private retry: TimerHandle | null = null;
  private resync = false;
  private stopped = false;
  dropped = 0;
  published = 0;

  constructor(private readonly deps: PublisherDeps) {}

  get length(): number {
    return this.queue.length - this.head;
  }

  /** Queues news; never waits, never throws. */
  push(items: readonly PublishItem[]): void {
    if (this.stopped || items.length === 0) return;
    for (const it of items) this.queue.push(it);
    const over = this.length - this.deps.limit;
    if (over > 0) {
      this.head += over;
      this.dropped += over;
      this.resync = true;
    }
    this.compact();
    this.deps.onQueue(this.length);
    this.kick();
  }

  /**
   * The bus connected again: a retry still waiting out its backoff was for the outage that just
   * ended, so the queue goes now (after a long outage that wait could reach the backoff's cap).
   */
  reconnected(): void {
    if (this.retry !== null) {
      this.deps.timers.clearTimeout(this.retry);
      this.retry = null;
    }
    this.attempt = 0;
    this.kick();
  }

  /** Whatever waits goes now, unless a flush runs or a retry waits out its backoff. */
  kick(): void {
    if (this.flushing || this.retry !== null || this.stopped) return;
    if (this.deps.bus.state() !== 'connected') return;
    void this.flush();
  }

  /** Resolves when the queue is empty (or the bus is down); for a graceful stop and tests. */
  async drain(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.length > 0 && this.deps.bus.state() === 'connected' && Date.now() < until) {
      this.kick();
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.retry) this.deps.timers.clearTimeout(this.retry);
    this.retry = null;
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      if (this.resync) {
        this.resync = false;
        // the news lost to the overflow is replaced by the state it led to
        const all = this.deps.resyncItems();
        this.queue = [...all, ...this.queue.slice(this.head)];
        this.head = 0;
      }
      while (this.length > 0 && !this.stopped) {
        const batch = this.queue.slice(this.head, this.head + BATCH);
        await this.deps.bus.publish(batch);
        this.head += batch.length;
        this.published += batch.length;
        this.attempt = 0;
        this.compact();
        this.deps.onPublished(batch.length);
        this.deps.onQueue(this.length);
      }
    } catch (e) {
      const ms = backoffDelay(this.attempt, this.deps.backoff, this.deps.random);
      this.deps.onError(e as Error, this.attempt, ms);
      this.attempt++;
      this.retry = this.deps.timers.setTimeout(() => {
        this.retry = null;
        this.kick();
      }, ms);
    } finally {
      this.flushing = false;
    }
  }

  private compact(): void {
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
