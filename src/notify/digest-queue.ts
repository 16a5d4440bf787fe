// Fire-and-forget batching between the ban path and a notification sink. `push` is synchronous and
// O(1): a ban never waits for a mail server or a webhook. Bans gather for `delayMs` after a quiet
// period, then go out as one digest; during a flood at most one digest per `intervalMs` carries every
// ban queued since the last one. A failed send puts its bans back and retries with backoff. The queue
// is bounded (`maxPending` distinct addresses); beyond it bans are counted and the next digest says
// how many were left out.

import type { Clock } from '../core/clock.js';
import { VoipguardError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { backoffDelay, type BackoffOptions } from '../core/backoff.js';
import type { TimerHandle, Timers } from '../core/timers.js';
import type { BanNotice, NotificationSink } from './notice.js';

export interface DigestQueueOptions {
  /** The name shown in subjects and titles. */
  readonly name: string;
  readonly host: string;
  readonly delayMs: number;
  readonly intervalMs: number;
  readonly maxPending: number;
  /** A send that has not settled by then counts as failed (the sink's own timeout should come first). */
  readonly sendTimeoutMs: number;
  readonly backoff: BackoffOptions;
}

export const NOTIFY_BACKOFF: BackoffOptions = Object.freeze({ firstMs: 30_000, baseMs: 60_000, factor: 2, capMs: 3_600_000, jitter: 0.2 });

export interface DigestQueueDeps {
  readonly timers: Timers;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics;
  readonly rng?: () => number;
}

export class DigestQueue {
  private pending = new Map<string, BanNotice>();
  private dropped = 0;
  private timer: TimerHandle | null = null;
  private inFlight: Promise<void> | null = null;
  private nextAllowedAt = -Infinity;
  private failures = 0;
  private closed = false;

  constructor(
    private readonly sink: NotificationSink,
    private readonly opts: DigestQueueOptions,
    private readonly deps: DigestQueueDeps,
  ) {}

  /** Queues a ban and returns at once. Never throws. */
  push(notice: BanNotice): void {
    if (this.closed) return;
    const key = `${notice.jail} ${notice.ip}`;
    if (this.pending.has(key) || this.pending.size < this.opts.maxPending) this.pending.set(key, notice);
    else this.dropped++;
    this.schedule();
  }

  /** Bans waiting for the next digest (for status and tests). */
  get size(): number {
    return this.pending.size;
  }

  /** A send is under way. */
  get busy(): boolean {
    return this.inFlight !== null;
  }

  /**
   * Stops the timers and sends what is queued in one last digest, ignoring the rate limit; resolves
   * when that send settles or after `deadlineMs`, whichever comes first.
   */
  async close(deadlineMs = 10_000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelTimer();
    const done = (async () => {
      if (this.inFlight) await this.inFlight;
      if (this.pending.size > 0 || this.dropped > 0) await this.flush();
    })();
    let handle: TimerHandle | null = null;
    const deadline = new Promise<void>((resolve) => (handle = this.deps.timers.setTimeout(resolve, deadlineMs)));
    await Promise.race([done, deadline]);
    if (handle) this.deps.timers.clearTimeout(handle);
  }

  private schedule(): void {
    if (this.closed || this.timer !== null || this.inFlight !== null || this.pending.size + this.dropped === 0) return;
    const now = this.deps.clock.now();
    const at = Math.max(now + this.opts.delayMs, this.nextAllowedAt);
    this.timer = this.deps.timers.setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, at - now);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.deps.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private flush(): Promise<void> {
    const batch = this.pending;
    const dropped = this.dropped;
    this.pending = new Map();
    this.dropped = 0;
    const bans = [...batch.values()].sort((a, b) => a.time - b.time);
    const { metrics, log } = this.deps;
    const channel = this.sink.channel;
    const startedAt = this.deps.clock.now();
    const run = this.sendWithTimeout({ name: this.opts.name, host: this.opts.host, bans, dropped }).then(
      () => {
        this.failures = 0;
        this.nextAllowedAt = startedAt + this.opts.intervalMs;
        metrics.notification(channel, 'sent');
        if (dropped > 0) metrics.notification(channel, 'dropped', dropped);
        log.info({ event: 'notify-sent', channel, name: this.opts.name, bans: bans.length, dropped }, 'notification sent');
      },
      (err: unknown) => {
        const retryIn = backoffDelay(this.failures++, this.opts.backoff, this.deps.rng ?? Math.random);
        this.nextAllowedAt = this.deps.clock.now() + retryIn;
        this.requeue(batch, dropped);
        metrics.notification(channel, 'failed');
        log.warn(
          {
            event: 'notify-failed',
            code: 'VG_NOTIFY_SEND',
            channel,
            name: this.opts.name,
            bans: bans.length,
            attempt: this.failures,
            retryInMs: retryIn,
            err: errText(err),
          },
          'notification failed; will retry',
        );
      },
    );
    const tracked = run.finally(() => {
      this.inFlight = null;
      this.schedule();
    });
    this.inFlight = tracked;
    return tracked;
  }

  /** Puts a failed batch back in front of what arrived meanwhile, within the bound. */
  private requeue(batch: Map<string, BanNotice>, dropped: number): void {
    const merged = new Map(batch);
    let over = dropped + this.dropped;
    for (const [k, v] of this.pending) {
      if (merged.has(k) || merged.size < this.opts.maxPending) merged.set(k, v);
      else over++;
    }
    this.pending = merged;
    this.dropped = over;
  }

  private sendWithTimeout(digest: Parameters<NotificationSink['send']>[0]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const t = this.deps.timers.setTimeout(
        () => reject(new VoipguardError('VG_NOTIFY_SEND', `no answer within ${this.opts.sendTimeoutMs} ms`)),
        this.opts.sendTimeoutMs,
      );
      let p: Promise<void>;
      try {
        p = this.sink.send(digest);
      } catch (e) {
        p = Promise.reject(e);
      }
      p.then(
        () => {
          this.deps.timers.clearTimeout(t);
          resolve();
        },
        (e: unknown) => {
          this.deps.timers.clearTimeout(t);
          reject(e);
        },
      );
    });
  }
}

function errText(err: unknown): string {
  if (err instanceof VoipguardError) return err.describe();
  return err instanceof Error ? err.message : String(err);
}
