// One AMI connection attempt: a fresh socket and a fresh parser, so nothing of a dropped connection
// (a half-read line, a pending action) survives into the next one. It logs in asking for the
// security class only, keeps the link alive with Ping, and ends exactly once with the reason.

import type { Socket } from 'node:net';
import { VoipguardError, type ErrorCode } from '../core/errors.js';
import type { Timers, TimerHandle } from '../core/timers.js';
import { AmiFrameParser, blockKind, fieldValue, formatAction, type AmiPair, type AmiWireLimits } from './ami-wire.js';

/** Opens the transport (net.createConnection in production; a TLS socket could be passed the same way). */
export type AmiConnector = (host: string, port: number) => Socket;

export interface AmiSessionOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly secret: string;
  /** Sent as the Login `Events:` header (asterisk-manager sends `Event:`, which Asterisk ignores). */
  readonly eventMask: string;
  readonly connectTimeoutMs: number; // TCP connect plus banner
  readonly actionTimeoutMs: number; // login
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  readonly limits: AmiWireLimits;
}

export interface AmiSessionHandlers {
  banner(text: string): void;
  ready(): void;
  /** An event block; `malformedLines` > 0: lines in it were not `Key: value` (delivered, flagged). */
  event(fields: AmiPair[], malformedLines: number): void;
  /** Counters only: a block with garbage lines, or one that is neither an event nor an awaited reply. */
  dropped(kind: 'malformed' | 'unexpected'): void;
  /** Called once. `null` when closed on request. */
  closed(reason: VoipguardError | null): void;
}

/** One connection attempt as AmiClient drives it; AmiSession here, AmiManagerSession on asterisk-manager. */
export interface AmiSessionPort {
  stop(): void;
  readonly bytesReceived: number;
}

export type AmiSessionFactory = (
  opts: AmiSessionOptions,
  timers: Timers,
  on: AmiSessionHandlers,
  connect: AmiConnector,
) => AmiSessionPort;

export const builtinSession: AmiSessionFactory = (opts, timers, on, connect) => new AmiSession(opts, timers, on, connect);

interface Pending {
  readonly resolve: (fields: AmiPair[]) => void;
  readonly timer: TimerHandle;
}

const MAX_PENDING = 8;

export class AmiSession implements AmiSessionPort {
  private readonly socket: Socket;
  private readonly parser: AmiFrameParser;
  private readonly pending = new Map<string, Pending>();
  private phase: 'connecting' | 'banner' | 'login' | 'ready' | 'closed' = 'connecting';
  private timer: TimerHandle | null = null; // connect/banner deadline, then the next ping
  private seq = 0;

  constructor(
    private readonly opts: AmiSessionOptions,
    private readonly timers: Timers,
    private readonly on: AmiSessionHandlers,
    connect: AmiConnector,
  ) {
    this.parser = new AmiFrameParser(
      {
        banner: (text) => this.onBanner(text),
        frame: (fields) => this.onFrame(fields, 0),
        malformed: (fields, bad) => this.onFrame(fields, bad),
      },
      opts.limits,
    );
    this.timer = connectDeadline(opts, timers, () => this.phase === 'connecting', (code, msg) => this.close(code, msg));
    this.socket = connect(opts.host, opts.port);
    this.socket.setEncoding('utf8');
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      if (this.phase === 'connecting') this.phase = 'banner';
    });
    this.socket.on('data', (chunk: string) => this.onData(chunk));
    this.socket.on('error', (err: NodeJS.ErrnoException) =>
      this.close('VG_AMI_CONNECT', `${opts.host}:${opts.port}: ${err.code ?? err.message}`),
    );
    this.socket.on('close', () => this.close('VG_AMI_CONNECT', 'Asterisk closed the manager connection'));
  }

  get bytesReceived(): number {
    return this.socket.bytesRead;
  }

  /** Ends the session on request: no reason is reported. */
  stop(): void {
    this.finish(null);
  }

  private onData(chunk: string): void {
    if (this.phase !== 'closed') feedParser(this.parser, chunk, (err) => this.finish(err));
  }

  private onBanner(text: string): void {
    if (this.phase === 'closed') return;
    this.clearTimer();
    this.phase = 'login';
    this.on.banner(text);
    this.send(
      [
        ['Action', 'Login'],
        ['Username', this.opts.username],
        ['Secret', this.opts.secret],
        ['Events', this.opts.eventMask],
      ],
      this.opts.actionTimeoutMs,
      (reply) => {
        if (/^success$/i.test(fieldValue(reply, 'Response') ?? '')) {
          this.phase = 'ready';
          this.on.ready();
          this.schedulePing();
        } else {
          const msg = printable(fieldValue(reply, 'Message') ?? 'no message');
          this.close('VG_AMI_AUTH', `Asterisk refused the login of "${printable(this.opts.username)}": ${msg}`);
        }
      },
      'the login',
    );
  }

  private onFrame(fields: AmiPair[], malformedLines: number): void {
    if (this.phase === 'closed') return;
    const kind = blockKind(fields, malformedLines);
    if (kind === 'event') {
      if (this.phase === 'ready') this.on.event(fields, malformedLines);
      else this.on.dropped('unexpected');
      return;
    }
    if (kind === 'garbage') {
      this.on.dropped('malformed');
      return;
    }
    if (kind === 'reply') {
      const id = fieldValue(fields, 'ActionID');
      const p = id === undefined ? undefined : this.pending.get(id);
      if (p !== undefined) {
        this.pending.delete(id!);
        this.timers.clearTimeout(p.timer);
        p.resolve(fields);
        return;
      }
    }
    this.on.dropped('unexpected');
  }

  private schedulePing(): void {
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.send([['Action', 'Ping']], this.opts.pingTimeoutMs, () => this.schedulePing(), 'the keepalive Ping');
    }, this.opts.pingIntervalMs);
  }

  private send(fields: AmiPair[], timeoutMs: number, resolve: (reply: AmiPair[]) => void, what: string): void {
    if (this.phase === 'closed') return;
    if (this.pending.size >= MAX_PENDING) {
      this.close('VG_AMI_TIMEOUT', `${MAX_PENDING} AMI actions without an answer`);
      return;
    }
    const id = `voipguard-${++this.seq}`;
    const text = formatAction([fields[0]!, ['ActionID', id], ...fields.slice(1)]);
    const timer = this.timers.setTimeout(() => {
      this.pending.delete(id);
      this.close('VG_AMI_TIMEOUT', `no answer to ${what} within ${timeoutMs} ms`);
    }, timeoutMs);
    this.pending.set(id, { resolve, timer });
    this.socket.write(text);
  }

  private close(code: ErrorCode, message: string): void {
    this.finish(new VoipguardError(code, message));
  }

  private finish(reason: VoipguardError | null): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.clearTimer();
    for (const p of this.pending.values()) this.timers.clearTimeout(p.timer);
    this.pending.clear();
    // destroy, not end: a half-open peer never answers a FIN, and end() would keep the socket
    this.socket.destroy();
    this.on.closed(reason);
  }

  private clearTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}

/** The deadline for the TCP connect plus the banner; what is missing decides the error. */
export function connectDeadline(
  opts: AmiSessionOptions,
  timers: Timers,
  connecting: () => boolean,
  close: (code: ErrorCode, message: string) => void,
): TimerHandle {
  return timers.setTimeout(
    () =>
      connecting()
        ? close('VG_AMI_CONNECT', `no TCP connection to ${opts.host}:${opts.port} within ${opts.connectTimeoutMs} ms`)
        : close('VG_AMI_TIMEOUT', `no manager banner within ${opts.connectTimeoutMs} ms`),
    opts.connectTimeoutMs,
  );
}

/** Feeds a chunk to the parser; a protocol error (a cap, a bad banner) ends the session through `fail`. */
export function feedParser(parser: AmiFrameParser, chunk: string, fail: (err: VoipguardError) => void): void {
  try {
    parser.push(chunk);
  } catch (err) {
    if (err instanceof VoipguardError) fail(err);
    else throw err;
  }
}

/** Peer text going into a log line or error: control characters out, length capped. */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 200);
}
