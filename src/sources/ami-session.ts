// One AMI connection attempt, on asterisk-manager 0.2.0 through its public API (docs/ami.md). A fresh
// Manager per attempt, so nothing of a dropped connection (a half-read line, a held action) survives
// into the next. The package connects, parses every block and writes actions; this file adds what a
// security daemon needs and the package lacks:
// - login through the package, then `Action: Events` with the mask, because the package's login sends
//   `Event:`, which Asterisk ignores; a `Response: Error` to the login is an auth error;
// - a Ping keepalive whose miss destroys the socket, a timeout on every action, random ActionIDs (an
//   attacker who plants `ActionID:` in an event cannot guess one), CR/LF refused in action values;
// - events shaped by ami-event-shape.ts (repeated keys, planted lines, over-long lines), and the
//   blocks a planted blank line cut off joined back to the security event they belong to;
// - the socket, seen through Node's `net.client.socket` diagnostics channel while the package
//   creates it (nothing is patched): its byte count, the banner check, a cap on a line that never
//   ends, and destroy() — the package's disconnect() only ends the socket, which a half-open peer
//   never completes.

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { createRequire } from 'node:module';
import type ManagerFactory from 'asterisk-manager';
import type { Manager as ManagerInstance, ManagerMessage } from 'asterisk-manager';
import { VoipguardError, type ErrorCode } from '../core/errors.js';
import type { Timers, TimerHandle } from '../core/timers.js';
import { shapeEvent, type AmiBlock, type ShapedEvent } from './ami-event-shape.js';
import { AmiActions, printable, type AmiReply } from './ami-actions.js';

export type { AmiReply } from './ami-actions.js';

export interface AmiSessionOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly secret: string;
  /** Sent with `Action: Events` after login (`security`, or `off` for the doctor's probe). */
  readonly eventMask: string;
  readonly connectTimeoutMs: number; // TCP connect plus banner
  readonly actionTimeoutMs: number; // login, Events, and actions sent through action()
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
  /** How long the blocks after a security event that lacked its address are awaited. Default 1 s. */
  readonly joinWindowMs?: number;
}

export interface AmiSessionHandlers {
  banner(text: string): void;
  ready(): void;
  /** An event as Asterisk wrote it (ami-event-shape.ts), with what an attacker planted counted. */
  event(e: ShapedEvent): void;
  /** Counters only: a block that is neither an event nor an awaited reply. */
  dropped(kind: 'malformed' | 'unexpected'): void;
  /** Called once. `null` when closed on request. */
  closed(reason: VoipguardError | null): void;
}

/** No Asterisk writes a line this long (a SIP packet is at most 64 KiB): the peer is not Asterisk. */
export const MAX_UNTERMINATED = 1 << 20;

const BANNER = 'Asterisk Call Manager';
const MAX_HELD_BLOCKS = 16;
const SECURITY_EVENTS = new Set([
  'failedacl',
  'invalidaccountid',
  'sessionlimit',
  'memorylimit',
  'loadaveragelimit',
  'requestnotsupported',
  'requestnotallowed',
  'authmethodnotallowed',
  'requestbadformat',
  'successfulauth',
  'unexpectedaddress',
  'challengeresponsefailed',
  'invalidpassword',
  'challengesent',
  'invalidtransport',
]);

let managerFactory: typeof ManagerFactory | null = null;

/**
 * The package, loaded at the first session rather than at start: a daemon without AMI never pays
 * for its modules, and one with AMI pays after the control socket answers (docs/flood.md).
 */
function loadManager(): typeof ManagerFactory {
  return (managerFactory ??= createRequire(import.meta.url)('asterisk-manager') as typeof ManagerFactory);
}

/** The package's Manager connected to host:port, and the socket it created for that. */
function open(mgr: ManagerInstance, host: string, port: number, watch: (s: Socket) => void): Socket {
  let socket: Socket | null = null;
  // published synchronously while node:net builds the socket, inside mgr.connect
  const grab = (msg: unknown): void => {
    if (socket !== null) return;
    socket = (msg as { socket: Socket }).socket;
    watch(socket); // before the package's own listeners: our cap sees a chunk first
  };
  subscribe('net.client.socket', grab);
  try {
    mgr.connect(port, host);
  } finally {
    unsubscribe('net.client.socket', grab);
  }
  if (socket === null) throw new VoipguardError('VG_AMI_CONNECT', 'asterisk-manager opened no socket');
  return socket;
}

export class AmiSession {
  private readonly mgr: ManagerInstance;
  private readonly socket: Socket;
  private readonly actions: AmiActions;
  /** The package's own rawevent listener(s), taken off after the login (dropDispatcher()). */
  private dispatcher: Array<(...args: unknown[]) => void> = [];
  private phase: 'connecting' | 'banner' | 'login' | 'subscribe' | 'ready' | 'closed' = 'connecting';
  private timer: TimerHandle | null = null; // connect/banner/login deadline, then the next ping
  private pinging = false;
  private firstLine = '';
  private lineRun = 0; // characters since the last LF
  private held: { blocks: AmiBlock[]; timer: TimerHandle } | null = null;

  constructor(
    private readonly opts: AmiSessionOptions,
    private readonly timers: Timers,
    private readonly on: AmiSessionHandlers,
  ) {
    for (const [k, v] of [
      ['Username', opts.username],
      ['Secret', opts.secret],
      ['EventMask', opts.eventMask],
    ] as const) {
      if (/[\r\n]/.test(v)) throw new VoipguardError('VG_AMI_PROTOCOL', `AMI action field ${k} contains a line break`);
    }
    // port undefined: the factory neither connects nor logs in by itself
    this.mgr = loadManager()(undefined, opts.host, opts.username, opts.secret, false);
    this.actions = new AmiActions(this.mgr, timers, (code, message) => this.close(code, message));
    // our listener first: the package's own rawevent listener rewrites a repeated `event` key in place
    const pkg = this.mgr.listeners('rawevent');
    for (const l of pkg) this.mgr.removeListener('rawevent', l);
    this.mgr.on('rawevent', (b: ManagerMessage) => this.onBlock(b));
    for (const l of pkg) this.mgr.on('rawevent', l);
    this.dispatcher = pkg;
    this.timer = this.timers.setTimeout(
      () =>
        this.phase === 'connecting'
          ? this.close('VG_AMI_CONNECT', `no TCP connection to ${opts.host}:${opts.port} within ${opts.connectTimeoutMs} ms`)
          : this.close('VG_AMI_TIMEOUT', `no manager banner within ${opts.connectTimeoutMs} ms`),
      opts.connectTimeoutMs,
    );
    try {
      this.socket = open(this.mgr, opts.host, opts.port, (s) => {
        s.on('data', (chunk: string | Buffer) => this.watch(String(chunk)));
        s.on('connect', () => {
          if (this.phase === 'connecting') this.phase = 'banner';
        });
        s.on('error', (err: NodeJS.ErrnoException) => this.close('VG_AMI_CONNECT', `${opts.host}:${opts.port}: ${err.code ?? err.message}`));
        s.on('close', () => this.close('VG_AMI_CONNECT', 'Asterisk closed the manager connection'));
      });
    } catch (err) {
      this.clearTimer();
      this.mgr.removeAllListeners();
      throw err;
    }
  }

  get bytesReceived(): number {
    return this.socket.bytesRead;
  }

  /** Ends the session on request: no reason is reported. */
  stop(): void {
    this.finish(null);
  }

  /**
   * Sends an action once logged in (e.g. `{ Action: 'PJSIPShowContacts' }`) and resolves with its
   * reply, and for a list action with its items up to `EventList: Complete`. No answer within
   * actionTimeoutMs ends the session (VG_AMI_TIMEOUT): a manager that stops answering is gone.
   */
  action(fields: Readonly<Record<string, string>>): Promise<AmiReply> {
    return new Promise((resolve, reject) => {
      if (this.phase !== 'ready') return reject(new VoipguardError('VG_AMI_PROTOCOL', 'the AMI session is not logged in'));
      this.send(fields, this.opts.actionTimeoutMs, `"Action: ${String(fields.Action ?? fields.action)}"`, resolve, reject);
    });
  }

  /** Every chunk, before the package reads it: the banner, and a line that never ends. */
  private watch(chunk: string): void {
    if (this.phase === 'closed') return;
    const nl = chunk.lastIndexOf('\n');
    this.lineRun = nl < 0 ? this.lineRun + chunk.length : chunk.length - nl - 1;
    if (this.lineRun > MAX_UNTERMINATED) {
      return this.close('VG_AMI_PROTOCOL', `an AMI line longer than ${MAX_UNTERMINATED} characters: no Asterisk writes one`);
    }
    if (this.phase !== 'banner' && this.phase !== 'connecting') return;
    this.firstLine += chunk.slice(0, 256);
    const end = this.firstLine.indexOf('\n');
    if (end < 0 && this.firstLine.length < 256) return;
    const text = this.firstLine.slice(0, end < 0 ? 256 : end).replace(/\r$/, '');
    if (!text.startsWith(BANNER)) return this.close('VG_AMI_PROTOCOL', 'the peer did not greet with "Asterisk Call Manager/<version>"');
    this.clearTimer();
    this.phase = 'login';
    this.on.banner(text);
    const ms = this.opts.actionTimeoutMs;
    this.timer = this.timers.setTimeout(() => this.close('VG_AMI_TIMEOUT', `no answer to the login within ${ms} ms`), ms);
    // login() marks the package authenticated on success; it holds every other action until then
    this.mgr.login((err?: ManagerMessage) => {
      if (err !== undefined) return this.refused(err);
      this.dropDispatcher();
      this.subscribe();
    });
  }

  /** Every block the package parsed, in stream order, before the package's own listener. */
  private onBlock(b: ManagerMessage): void {
    if (this.phase === 'closed') return;
    const isEvent = Object.hasOwn(b, 'event');
    if (!isEvent && typeof b.response === 'string') {
      if (this.phase === 'login') {
        // decided here, synchronously, before the socket can close under the package's callback
        if (b.response.toLowerCase() === 'error') this.refused(b);
        return;
      }
      if (this.actions.awaits(b.actionid)) {
        this.release();
        return this.actions.answer(b);
      }
    }
    // a list action's item (e.g. ContactList): its ActionID is ours, which no attacker can guess
    if (isEvent && this.actions.listing(b.actionid)) return this.actions.listItem(b);
    // an event Asterisk wrote starts with Event: then Privilege:; anything else right after a
    // security event that lacked its address is the rest of that event, cut by a planted blank line
    if (this.held !== null && (!isEvent || !Object.hasOwn(b, 'privilege'))) {
      this.held.blocks.push(b);
      if (this.held.blocks.length >= MAX_HELD_BLOCKS) this.release();
      return;
    }
    if (!isEvent) return this.on.dropped('unexpected');
    this.release();
    if (this.phase !== 'ready') return this.on.dropped('unexpected');
    if (!Object.hasOwn(b, 'remoteaddress') && typeof b.event === 'string' && SECURITY_EVENTS.has(b.event.toLowerCase())) {
      // held, not dropped: what follows may be its address. A Ping now also shows at once whether a
      // planted `Response: Follows` has made the package swallow the stream (docs/ami.md)
      this.held = { blocks: [b], timer: this.timers.setTimeout(() => this.release(), this.opts.joinWindowMs ?? 1000) };
      this.probe();
      return;
    }
    this.on.event(shapeEvent([b]));
  }

  /** Delivers a held event with whatever was joined to it. */
  private release(): void {
    const h = this.held;
    if (h === null) return;
    this.held = null;
    this.timers.clearTimeout(h.timer);
    this.on.event(shapeEvent(h.blocks));
  }

  private refused(reply: ManagerMessage): void {
    const msg = typeof reply.message === 'string' ? printable(reply.message) : 'no message';
    this.close('VG_AMI_AUTH', `Asterisk refused the login of "${printable(this.opts.username)}": ${msg}`);
  }

  /** The package's login sends `Event: off|on`, which Asterisk ignores: ask for the class now. */
  /**
   * After the login, the package's own rawevent listener only re-emits each block on the next tick
   * (as `managerevent`, under its event name, under its ActionID): nobody here listens to those,
   * and on a flood it was a tenth of the time per event (bench:ami). Replies are matched in
   * onBlock by our own ActionIDs; the one-shot listener the package's action() leaves under that
   * ActionID is removed when its reply (or its timeout) comes (forget()). Public API only:
   * listeners() and removeListener()/removeAllListeners() are the Manager's own methods.
   */
  private dropDispatcher(): void {
    for (const l of this.dispatcher) this.mgr.removeListener('rawevent', l);
    this.dispatcher = [];
  }

  private subscribe(): void {
    if (this.phase !== 'login') return;
    this.clearTimer();
    this.phase = 'subscribe';
    this.send({ Action: 'Events', EventMask: this.opts.eventMask }, this.opts.actionTimeoutMs, 'the Events action', ({ reply }) => {
      if (String(reply.response).toLowerCase() !== 'success') {
        return this.close('VG_AMI_PROTOCOL', `Asterisk refused "Action: Events" (EventMask: ${printable(this.opts.eventMask)})`);
      }
      this.phase = 'ready';
      this.on.ready();
      this.schedulePing();
    });
  }

  private schedulePing(): void {
    this.timer = this.timers.setTimeout(() => {
      this.timer = null;
      this.ping();
    }, this.opts.pingIntervalMs);
  }

  private ping(): void {
    this.pinging = true;
    this.send({ Action: 'Ping' }, this.opts.pingTimeoutMs, 'the keepalive Ping', () => {
      this.pinging = false;
      if (this.phase === 'ready') this.schedulePing();
    });
  }

  /** A Ping now, unless one is on its way. */
  private probe(): void {
    if (this.pinging || this.phase !== 'ready') return;
    this.clearTimer();
    this.ping();
  }

  private send(
    fields: Readonly<Record<string, string>>,
    timeoutMs: number,
    what: string,
    resolve: (r: AmiReply) => void,
    reject: (e: VoipguardError) => void = () => undefined,
  ): void {
    if (this.phase === 'closed') return reject(new VoipguardError('VG_AMI_CONNECT', 'the AMI session is closed'));
    this.actions.send(fields, timeoutMs, what, resolve, reject);
  }

  private close(code: ErrorCode, message: string): void {
    this.finish(new VoipguardError(code, message));
  }

  private finish(reason: VoipguardError | null): void {
    if (this.phase === 'closed') return;
    this.release(); // a held event is delivered before the session reports its end
    this.phase = 'closed';
    this.clearTimer();
    const gone = reason ?? new VoipguardError('VG_AMI_CONNECT', 'the AMI session was stopped');
    this.actions.rejectAll(gone);
    // destroy, not the package's disconnect(): end() would wait on a half-open peer forever
    this.socket?.destroy();
    this.mgr.removeAllListeners();
    this.mgr.on('error', () => undefined); // the package re-emits socket errors: an unheard 'error' throws
    this.on.closed(reason);
  }

  private clearTimer(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }
}
