// The AMI connection as the rest of the service sees it: started once, it stays connected on its own
// (a new AmiSession, on asterisk-manager, per attempt, fast first retry, then exponential backoff with jitter), delivers each
// event block as an AmiEvent, and exposes its state for `voipguard status` and metrics.
// A refused login is a state of its own (auth-failed), logged as VG_AMI_AUTH and retried rarely: a
// wrong secret does not fix itself, and every retry is one more failed-login event in Asterisk.

import type { Clock } from '../core/clock.js';
import { VoipguardError, type ErrorCode } from '../core/errors.js';
import type { AmiEvent } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../core/backoff.js';
import { AmiSession, type AmiReply, type AmiSessionOptions } from './ami-session.js';
import type { ShapedEvent } from './ami-event-shape.js';
import { systemTimers, type TimerHandle, type Timers } from '../core/timers.js';

export type AmiStatus = 'disconnected' | 'connecting' | 'authenticating' | 'connected' | 'auth-failed' | 'backing-off';

export interface AmiConnectionState {
  readonly status: AmiStatus;
  readonly since: number; // when the status last changed
  readonly nextRetryAt: number | null; // set while backing-off or auth-failed
  readonly connectedAt: number | null;
  readonly lastEventAt: number | null;
  readonly banner: string | null; // `Asterisk Call Manager/9.0.0`
  readonly attempts: number; // connection attempts since start()
  readonly reconnects: number; // successful logins after the first
  readonly consecutiveFailures: number;
  readonly lastError: { readonly code: ErrorCode; readonly message: string; readonly at: number } | null;
  readonly eventsReceived: number;
  readonly blocksDropped: number; // blocks that were neither an event nor an awaited reply
  readonly hostileEvents: number; // events with planted, repeated or over-long lines (docs/ami.md)
  readonly bytesReceived: number;
}

export interface AmiClientOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly secret: string;
  readonly eventMask?: string; // default "security"
  readonly connectTimeoutMs?: number; // default 5 s
  readonly actionTimeoutMs?: number; // default 5 s
  readonly pingIntervalMs?: number; // default 20 s
  readonly pingTimeoutMs?: number; // default 5 s
  /** Retry delay after a refused login; 0 = never retry until restart/reload. Default 5 min. */
  readonly authRetryMs?: number;
  /** A connection that lived this long resets the backoff to its fast first step. Default 10 s. */
  readonly stableAfterMs?: number;
  readonly backoff?: Partial<BackoffOptions>;
  /** How long blocks cut off a security event by a planted blank line are awaited. Default 1 s. */
  readonly joinWindowMs?: number;
}

export interface AmiClientDeps {
  readonly log: Logger;
  readonly clock: Clock;
  readonly timers?: Timers;
  readonly rng?: () => number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class AmiClient {
  private readonly session: AmiSessionOptions;
  private readonly backoff: BackoffOptions;
  private readonly authRetryMs: number;
  private readonly stableAfterMs: number;
  private readonly timers: Timers;
  private readonly rng: () => number;
  private readonly log: Logger;
  private readonly eventListeners = new Set<(e: AmiEvent) => void>();
  private readonly stateListeners = new Set<(s: AmiConnectionState) => void>();
  private readonly st: Mutable<AmiConnectionState>;
  private current: AmiSession | null = null;
  private retry: TimerHandle | null = null;
  private running = false;
  private everConnected = false;
  private bytesBefore = 0;
  private stopWaiters: Array<() => void> = [];

  constructor(
    opts: AmiClientOptions,
    private readonly deps: AmiClientDeps,
  ) {
    this.session = {
      host: opts.host,
      port: opts.port,
      username: opts.username,
      secret: opts.secret,
      eventMask: opts.eventMask ?? 'security',
      connectTimeoutMs: opts.connectTimeoutMs ?? 5000,
      actionTimeoutMs: opts.actionTimeoutMs ?? 5000,
      pingIntervalMs: opts.pingIntervalMs ?? 20_000,
      pingTimeoutMs: opts.pingTimeoutMs ?? 5000,
      joinWindowMs: opts.joinWindowMs ?? 1000,
    };
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.authRetryMs = opts.authRetryMs ?? 300_000;
    this.stableAfterMs = opts.stableAfterMs ?? 10_000;
    this.timers = deps.timers ?? systemTimers;
    this.rng = deps.rng ?? Math.random;
    this.log = deps.log; // the caller's child logger (app.ts binds component: 'ami')
    this.st = {
      status: 'disconnected',
      since: deps.clock.now(),
      nextRetryAt: null,
      connectedAt: null,
      lastEventAt: null,
      banner: null,
      attempts: 0,
      reconnects: 0,
      consecutiveFailures: 0,
      lastError: null,
      eventsReceived: 0,
      blocksDropped: 0,
      hostileEvents: 0,
      bytesReceived: 0,
    };
  }

  /** Every event block, in arrival order, synchronously from the socket's data handler. */
  onEvent(fn: (e: AmiEvent) => void): () => void {
    this.eventListeners.add(fn);
    return () => this.eventListeners.delete(fn);
  }

  onState(fn: (s: AmiConnectionState) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  state(): AmiConnectionState {
    return { ...this.st, bytesReceived: this.bytesBefore + (this.current?.bytesReceived ?? 0) };
  }

  /** An action on the live session (e.g. PJSIPShowContacts); rejects when not connected. */
  action(fields: Readonly<Record<string, string>>): Promise<AmiReply> {
    if (this.current === null) return Promise.reject(new VoipguardError('VG_AMI_CONNECT', 'the AMI connection is not up'));
    return this.current.action(fields);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.attempt();
  }

  /** Closes the connection and cancels any retry; resolves once the socket is gone. */
  stop(): Promise<void> {
    this.running = false;
    if (this.retry !== null) this.timers.clearTimeout(this.retry);
    this.retry = null;
    if (this.current === null) {
      this.setStatus('disconnected', null);
      return Promise.resolve();
    }
    const done = new Promise<void>((resolve) => this.stopWaiters.push(resolve));
    this.current.stop();
    return done;
  }

  private attempt(): void {
    this.retry = null;
    if (!this.running) return;
    this.st.attempts++;
    this.setStatus('connecting', null);
    const { host, port, username } = this.session;
    this.log.debug({ event: 'ami-connect', host, port, username, attempt: this.st.attempts });
    try {
      this.current = this.openSession();
    } catch (err) {
      // connect() itself threw (a bad host string): same path as a refused connection
      const reason = new VoipguardError('VG_AMI_CONNECT', `${host}:${port}: ${(err as Error).message}`);
      this.onClosed(null, reason, null);
    }
  }

  private openSession(): AmiSession {
    const { host, port, username } = this.session;
    let readyAt: number | null = null;
    const s: AmiSession = new AmiSession(this.session, this.timers, {
      banner: (text) => {
        this.st.banner = text;
        this.setStatus('authenticating', null);
      },
      ready: () => {
        const now = this.deps.clock.now();
        readyAt = now;
        if (this.everConnected) this.st.reconnects++;
        this.everConnected = true;
        this.st.connectedAt = now;
        this.st.lastError = null;
        this.setStatus('connected', null);
        this.log.info({ event: 'ami-connected', host, port, username, banner: this.st.banner, reconnects: this.st.reconnects });
      },
      event: (e) => this.deliver(e),
      dropped: (kind) => {
        this.st.blocksDropped++;
        this.log.debug({ event: 'ami-block-dropped', kind, host, port });
      },
      closed: (reason) => this.onClosed(s, reason, readyAt),
    });
    return s;
  }

  private deliver(shaped: ShapedEvent): void {
    const now = this.deps.clock.now();
    this.st.eventsReceived++;
    this.st.lastEventAt = now;
    const { fields, malformedLines, hostile } = shaped;
    if (hostile.length > 0) this.st.hostileEvents++;
    // shaped: one value per key (ami-event-shape.ts), repeats already in `hostile`
    const e: AmiEvent =
      hostile.length > 0 ? { fields, receivedAt: now, malformedLines, hostile, uniqueKeys: true } : { fields, receivedAt: now, uniqueKeys: true };
    for (const fn of this.eventListeners) {
      try {
        fn(e);
      } catch (err) {
        // a consumer's bug must not cost the connection (principle 10)
        this.log.error({ event: 'ami-listener-failed', code: 'VG_INTERNAL', err });
      }
    }
  }

  private onClosed(s: AmiSession | null, reason: VoipguardError | null, readyAt: number | null): void {
    if (s !== null) this.bytesBefore += s.bytesReceived;
    if (this.current === s) this.current = null;
    const now = this.deps.clock.now();
    if (reason !== null) this.st.lastError = { code: reason.code, message: reason.message, at: now };
    if (!this.running || reason === null) {
      this.setStatus('disconnected', null);
      for (const w of this.stopWaiters.splice(0)) w();
      return;
    }
    const { host, port, username } = this.session;
    if (reason.code === 'VG_AMI_AUTH') {
      const next = this.authRetryMs > 0 ? now + this.authRetryMs : null;
      this.log.error({ event: 'ami-auth-failed', code: reason.code, msg: reason.message, host, port, username, retryAt: next });
      this.setStatus('auth-failed', next);
      if (next !== null) this.retry = this.timers.setTimeout(() => this.attempt(), this.authRetryMs);
      return;
    }
    if (readyAt !== null && now - readyAt >= this.stableAfterMs) this.st.consecutiveFailures = 0;
    const delay = backoffDelay(this.st.consecutiveFailures, this.backoff, this.rng);
    this.st.consecutiveFailures++;
    this.log.warn({
      event: 'ami-disconnected',
      code: reason.code,
      msg: reason.message,
      host,
      port,
      retryInMs: delay,
      consecutiveFailures: this.st.consecutiveFailures,
    });
    this.setStatus('backing-off', now + delay);
    this.retry = this.timers.setTimeout(() => this.attempt(), delay);
  }

  private setStatus(status: AmiStatus, nextRetryAt: number | null): void {
    if (this.st.status !== status) this.st.since = this.deps.clock.now();
    this.st.status = status;
    this.st.nextRetryAt = nextRetryAt;
    if (this.stateListeners.size === 0) return;
    const snapshot = this.state();
    for (const fn of this.stateListeners) {
      try {
        fn(snapshot);
      } catch (err) {
        this.log.error({ event: 'ami-listener-failed', code: 'VG_INTERNAL', err });
      }
    }
  }
}
