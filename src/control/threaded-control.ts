// The control socket handed to its own thread (control-thread.ts) once the daemon is ready, so that
// `status` and /metrics answer while the main thread is held: a full garbage collection of a large
// heap, a map of 100,000 bans growing, a long batch (docs/flood.md, "The control socket in its own
// thread"). The main thread still answers every request with the daemon's handler; the control
// thread answers from the board (board.ts) only when that answer is late.
//
// The start is served from the main thread, as before: a worker takes 50 to 80 ms to boot, which
// start to ready cannot afford. After ready, the thread binds a socket of its own beside the path,
// and a rename(2) puts it in the path's place: a client connects to one or the other, never to
// nothing. The main thread's server stays open (no one can reach it by the path any more) until
// the stop, so a connection it accepted just before finishes there; closing it is what removes the
// path at the stop (Node unlinks the path a server bound, whatever it leads to by then).
//
// The board is published by the main thread (board-publisher.ts). Should the thread fail to start,
// or die, the socket and /metrics are served from the main thread again, with a warning: the CLI
// keeps its daemon.

import { renameSync, rmSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { VoipguardError } from '../core/errors.js';
import { startWorker } from '../exec/worker-script.js';
import type { Logger } from '../log/logger.js';
import type { MetricsListen } from '../config/metrics-listen.js';
import { metricsBindError, startMetricsServer, type MetricsServer, type MetricsStarter, type Scrapable } from '../metrics/metrics-server.js';
import { BOARD_WAIT_MS, boardKey } from './board.js';
import { BoardPublisher } from './board-publisher.js';
import { ControlServer, serverLimits, type ControlHandler, type ServerLimits } from './control-server.js';
import type { ControlRequest } from './protocol.js';
import type { ControlThreadData, FromControlThread, ToControlThread } from './thread-messages.js';

/** While the board changes, the metrics are rendered for the control thread at most this often. */
const METRICS_BODY_MS = 1000;

export interface ThreadedControlOptions extends ServerLimits {
  /** How long the control thread waits for the main thread before it answers from the board. */
  readonly waitMs?: number;
  /** The thread's script (default: control-thread beside this file). */
  readonly script?: URL;
}

/** /metrics: where it is served now. */
interface MetricsPlace {
  readonly listen: MetricsListen;
  readonly source: Scrapable;
  readonly log: Pick<Logger, 'info' | 'error'>;
  /** The server on this thread, or null while the control thread serves it. */
  onMain: MetricsServer | null;
}

type Reply<T extends FromControlThread['type']> = Extract<FromControlThread, { type: T }>;

export class ThreadedControl {
  private worker: Worker | null = null;
  private threadServes = false;
  /** Servers on this thread: the first, and one more each time the thread is lost; closed at the stop. */
  private readonly mainServers: ControlServer[] = [];
  private handler: ControlHandler | null = null;
  private path: string | null = null;
  private closing = false;
  private board: BoardPublisher | null = null;
  private metrics: MetricsPlace | null = null;
  private booting: Promise<boolean> | null = null;
  private lastBodyAt = -Infinity;
  /** Answers awaited from the thread (boot, listen, metrics, close): each message goes to the first that takes it. */
  private readonly awaiting = new Set<(m: FromControlThread | null) => boolean>();

  constructor(
    private readonly log: Logger,
    private readonly opts: ThreadedControlOptions = {},
  ) {}

  /** The daemon's handler: answers every request, from either thread. */
  serve(handler: ControlHandler): this {
    this.handler = handler;
    return this;
  }

  /** Boards posted to the control thread so far. */
  get boardsPosted(): number {
    return this.board?.posted ?? 0;
  }

  /** True while the socket's path leads to the control thread. */
  get threaded(): boolean {
    return this.threadServes;
  }

  /** Serves the socket from this thread (the start); checks the path first: a second daemon stops here. */
  async listen(path: string): Promise<void> {
    this.path = path;
    await this.serveOnMain();
  }

  /**
   * Starts the control thread (once); resolves true when it has booted, false when it could not
   * start. The thread does not keep the process alive: the main thread's server does.
   */
  boot(): Promise<boolean> {
    this.booting ??= this.bootThread();
    return this.booting;
  }

  /**
   * Hands the socket to the control thread (booted first when needed); resolves true once the path
   * leads to it, false when it could not (the main thread keeps serving).
   */
  async startThread(): Promise<boolean> {
    if (this.threadServes || this.closing || this.path === null || !(await this.boot())) return this.threadServes;
    const path = this.path;
    // the thread binds beside the path; it cannot set the umask, so it is held here meanwhile
    const beside = `${path}.thread`;
    rmSync(beside, { force: true });
    const umask = process.umask(0o177);
    let bound: FromControlThread | null;
    try {
      bound = await this.ask({ type: 'listen', path: beside }, 'listening', 'listen-failed');
    } finally {
      process.umask(umask);
    }
    if (bound?.type !== 'listening' || this.closing) {
      if (bound?.type === 'listen-failed') this.giveUp(`cannot listen on ${beside}: ${bound.errno ?? bound.message}`);
      return false;
    }
    this.board = new BoardPublisher(
      this.handler!,
      (json) => this.post({ type: 'board', json }),
      this.log,
      () => this.pushMetrics(),
    );
    await this.board.start(); // the board is there before the first client
    renameSync(beside, path);
    this.threadServes = true;
    this.log.info({ event: 'control-thread', socket: path });
    return true;
  }

  private async bootThread(): Promise<boolean> {
    if (this.closing) return false;
    const script = this.opts.script ?? new URL(`./control-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
    const data: ControlThreadData = {
      waitMs: this.opts.waitMs ?? BOARD_WAIT_MS,
      ...serverLimits(this.opts),
    };
    let w: Worker;
    try {
      w = startWorker(script, data);
    } catch (e) {
      this.log.warn({ event: 'control-thread-failed', err: (e as Error).message }, 'the control socket is served from the main thread');
      return false;
    }
    w.unref();
    this.worker = w;
    w.on('message', (m: FromControlThread) => this.onMessage(m));
    w.on('error', (e) => this.lost(e.message));
    w.on('exit', (code) => this.lost(`exited with code ${code}`));
    return (await this.ask(null, 'booted')) !== null;
  }

  /**
   * A MetricsStarter (metrics/metrics-server.ts): /metrics from the control thread (booted for it:
   * a [metrics] listen boots the thread at the start), from this thread when the thread cannot
   * run; each scrape is rendered here.
   */
  readonly startMetrics: MetricsStarter = async (listen, source, log) => {
    const place: MetricsPlace = { listen, source, log, onMain: null };
    let address: MetricsListen | null = null;
    if (await this.boot()) {
      const r = await this.ask({ type: 'metrics-listen', host: listen.host, port: listen.port }, 'metrics-listening', 'metrics-failed');
      if (r?.type === 'metrics-failed') throw metricsBindError(listen, r.why);
      if (r?.type === 'metrics-listening') address = { host: r.host, port: r.port };
    }
    // no thread, or lost meanwhile: served from here
    address ??= (place.onMain = await startMetricsServer(listen, source, log)).address;
    this.metrics = place;
    return { address, close: () => this.closeMetrics(place) };
  };

  async close(): Promise<void> {
    this.closing = true;
    this.board?.stop();
    if (this.metrics) await this.closeMetrics(this.metrics);
    const w = this.worker;
    if (w && this.threadServes) {
      const closed = await this.ask({ type: 'close' }, 'closed');
      if (closed) this.log.info({ event: 'control-thread-closed', fromBoard: closed.fromBoard, scrapesFromLast: closed.scrapesFromLast });
    }
    // the first server's close removes the path (whichever server it leads to by now)
    for (const s of this.mainServers) await s.close();
    this.worker = null;
    this.threadServes = false;
    if (w) await w.terminate();
    for (const take of [...this.awaiting]) take(null); // a boot still awaited
  }

  private async serveOnMain(): Promise<void> {
    if (!this.handler) throw new Error('ThreadedControl: serve() before listen()');
    const server = new ControlServer(this.handler, this.log, serverLimits(this.opts));
    await server.listen(this.path!);
    this.mainServers.push(server);
  }

  private async closeMetrics(place: MetricsPlace): Promise<void> {
    if (this.metrics !== place) return;
    this.metrics = null;
    if (place.onMain) await place.onMain.close();
    else if (this.worker) await this.ask({ type: 'metrics-close' }, 'metrics-closed');
  }

  private post(m: ToControlThread): void {
    this.worker?.postMessage(m);
  }

  /** Posts `m` (when given) and waits for one of the replies named; null when the thread is lost first. */
  private ask<T extends FromControlThread['type']>(m: ToControlThread | null, ...types: T[]): Promise<Reply<T> | null> {
    return new Promise((resolve) => {
      const take = (r: FromControlThread | null): boolean => {
        if (r !== null && !types.includes(r.type as T)) return false;
        this.awaiting.delete(take);
        resolve(r as Reply<T> | null);
        return true;
      };
      this.awaiting.add(take);
      if (m) this.post(m);
    });
  }

  private onMessage(m: FromControlThread): void {
    switch (m.type) {
      case 'request':
        return this.relay(m.id, m.req);
      case 'scrape':
        return this.scrape(m.id);
      case 'log':
        return this.log[m.level](m.fields);
      default:
        for (const take of this.awaiting) if (take(m)) return;
        return;
    }
  }

  /** A request read by the control thread, answered by the daemon's handler here. */
  private relay(id: number, req: ControlRequest): void {
    this.handler!.handle(req).then(
      async (data) => {
        // whatever may have changed is on the board before the answer leaves; not for `stop`, whose
        // answer must leave before the stop closes the thread (a publish may take a turn: a scrape)
        if (boardKey(req) === null && req.cmd !== 'stop') await this.board?.publish();
        this.post({ type: 'reply', id, ok: true, data });
      },
      (e: unknown) => {
        if (e instanceof VoipguardError) return this.post({ type: 'reply', id, ok: false, code: e.code, message: e.message, place: { ...e.place } });
        this.log.error({ event: 'control-handler-failed', cmd: req.cmd, err: e });
        this.post({ type: 'reply', id, ok: false, code: 'VG_INTERNAL', message: (e as Error)?.message ?? String(e), place: {} });
      },
    );
  }

  /** A GET /metrics the control thread read, rendered here. */
  private scrape(id: number): void {
    const place = this.metrics;
    if (!place) return this.post({ type: 'scraped', id, ok: false, message: 'metrics are off' });
    place.source.scrape().then(
      ({ contentType, body }) => this.post({ type: 'scraped', id, ok: true, contentType, body }),
      (err: unknown) => {
        place.log.error({ event: 'metrics-scrape-failed', err }, 'metrics scrape failed');
        this.post({ type: 'scraped', id, ok: false, message: (err as Error)?.message ?? String(err) });
      },
    );
  }

  /** While the daemon is busy, a rendering for the scrapes that find this thread held. */
  private async pushMetrics(): Promise<void> {
    const place = this.metrics;
    const now = performance.now();
    if (!place || place.onMain || now - this.lastBodyAt < METRICS_BODY_MS) return;
    this.lastBodyAt = now;
    await place.source.scrape().then(
      ({ contentType, body }) => this.post({ type: 'metrics-body', contentType, body }),
      () => undefined, // a failing rendering is logged when a scrape meets it
    );
  }

  private giveUp(why: string): void {
    const w = this.worker;
    this.lost(why);
    void w?.terminate();
  }

  /** The thread failed or died: this thread serves the socket (and /metrics) again. */
  private lost(why: string): void {
    if (this.closing || !this.worker) return;
    const served = this.threadServes;
    this.worker = null;
    this.threadServes = false;
    this.booting = Promise.resolve(false);
    this.board?.stop();
    this.log.warn({ event: 'control-thread-failed', err: why }, 'the control socket is served from the main thread');
    for (const take of [...this.awaiting]) take(null);
    if (served) this.serveOnMain().catch((e: unknown) => this.log.error({ event: 'control-error', err: e as Error }));
    const place = this.metrics;
    if (place && !place.onMain)
      startMetricsServer(place.listen, place.source, place.log).then(
        (server) => (place.onMain = server),
        (e: unknown) => this.log.error({ event: 'metrics-server-error', err: e as Error }),
      );
  }
}
