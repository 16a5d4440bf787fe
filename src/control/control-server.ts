// The daemon's side of the control socket. Each connection may send several requests, one JSON
// line each; they are answered in order. Nothing a peer sends can crash the daemon: bad JSON,
// unknown commands and bad arguments get an error reply; a line over MAX_REQUEST_BYTES gets an
// error reply and the connection is closed.
//
// Idle peers cannot lock the CLI out (docs/resources.md): a connection has requestTimeoutMs (2 s)
// to send a complete request line, counted from its connect or its last reply and not stretched by
// a byte at a time; a request being answered is not idle. Connections are capped (64): past the
// cap, the oldest idle connection is closed to make room, so a `status` always gets in while at
// least one connection is idle. A unix socket shows no peer, so the cap is total, not per peer.

import { createServer, type Server, type Socket } from 'node:net';
import { VoipguardError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { decodeRequest, errorReply, MAX_REQUEST_BYTES, type ControlRequest, type WireReply } from './protocol.js';
import { prepareSocketPath, restrictSocket } from './socket-file.js';

/** What the server logs with: the daemon's logger, or the control thread's relay of it. */
export type ControlLog = Pick<Logger, 'info' | 'warn' | 'error'>;

/** What the daemon plugs in; tests use a fake. Throw VoipguardError for an error reply. */
export interface ControlHandler {
  handle(req: ControlRequest): Promise<unknown>;
}

export interface ControlServerOptions {
  /** Time to send a complete request, from connect or from the last reply (default 2 s). */
  readonly idleTimeoutMs?: number;
  readonly maxConnections?: number;
  /**
   * Holds a tight umask (0177) while the socket is bound (default true). A worker thread cannot set
   * the umask: there the main thread holds it around the bind (threaded-control.ts).
   */
  readonly holdUmask?: boolean;
  /** Clears a stale socket file and checks its directory first (default true; the main thread did it). */
  readonly prepare?: boolean;
}

/** The two limits every control server of the daemon takes from its options, the unset ones left out. */
export type ServerLimits = Pick<ControlServerOptions, 'idleTimeoutMs' | 'maxConnections'>;

export function serverLimits(o: ServerLimits): ServerLimits {
  return {
    ...(o.idleTimeoutMs !== undefined ? { idleTimeoutMs: o.idleTimeoutMs } : {}),
    ...(o.maxConnections !== undefined ? { maxConnections: o.maxConnections } : {}),
  };
}

interface Conn {
  readonly socket: Socket;
  /** Requests read and not answered yet. */
  inFlight: number;
  timer: NodeJS.Timeout | null;
}

export class ControlServer {
  private server: Server | null = null;
  /** Open connections, oldest first (a Set keeps insertion order). */
  private readonly conns = new Set<Conn>();
  private path: string | null = null;

  constructor(
    private readonly handler: ControlHandler,
    private readonly log: ControlLog,
    private readonly opts: ControlServerOptions = {},
  ) {}

  async listen(path: string): Promise<void> {
    if (this.opts.prepare !== false) await prepareSocketPath(path);
    const server = createServer((s) => this.accept(s));
    // the socket is created by bind(): a tight umask keeps it private before restrictSocket runs
    const umask = this.opts.holdUmask === false ? null : process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      if (umask !== null) process.umask(umask);
    }
    restrictSocket(path);
    server.on('error', (e) => this.log.error({ event: 'control-error', err: e }));
    this.server = server;
    this.path = path;
    this.log.info({ event: 'control-listening', socket: path });
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    // end, not destroy: a reply still being written (the answer to `stop`) gets out; a peer that
    // does not close its side is cut after a second
    for (const c of this.conns) c.socket.end();
    const cut = setTimeout(() => this.conns.forEach((c) => c.socket.destroy()), 1000);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    clearTimeout(cut);
    this.log.info({ event: 'control-closed', socket: this.path });
  }

  private accept(socket: Socket): void {
    if (this.conns.size >= (this.opts.maxConnections ?? 64)) {
      const idle = [...this.conns].find((c) => c.inFlight === 0);
      if (idle === undefined) {
        this.log.warn({ event: 'control-busy', connections: this.conns.size });
        socket.destroy();
        return;
      }
      this.log.warn({ event: 'control-idle-closed', reason: 'connection cap', connections: this.conns.size });
      this.drop(idle);
    }
    const conn: Conn = { socket, inFlight: 0, timer: null };
    this.conns.add(conn);
    this.arm(conn);
    socket.on('close', () => this.drop(conn));
    socket.on('error', () => socket.destroy());
    let buf = '';
    let queue = Promise.resolve();
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.trim() === '') continue;
        if (Buffer.byteLength(line) > MAX_REQUEST_BYTES) return this.refuseLong(socket);
        conn.inFlight++;
        this.disarm(conn);
        queue = queue.then(async () => {
          await this.answer(socket, line);
          if (--conn.inFlight === 0) this.arm(conn);
        });
      }
      if (Buffer.byteLength(buf) > MAX_REQUEST_BYTES) this.refuseLong(socket);
    });
  }

  /** Starts the wait for a complete request (not restarted by partial data). */
  private arm(conn: Conn): void {
    this.disarm(conn);
    conn.timer = setTimeout(() => conn.socket.destroy(), this.opts.idleTimeoutMs ?? 2000);
    conn.timer.unref();
  }

  private disarm(conn: Conn): void {
    if (conn.timer) clearTimeout(conn.timer);
    conn.timer = null;
  }

  private drop(conn: Conn): void {
    this.disarm(conn);
    this.conns.delete(conn);
    conn.socket.destroy();
  }

  private refuseLong(socket: Socket): void {
    const e = new VoipguardError('VG_BAD_REQUEST', `request longer than ${MAX_REQUEST_BYTES} bytes`);
    socket.removeAllListeners('data');
    socket.end(JSON.stringify(errorReply(null, e)) + '\n');
  }

  private async answer(socket: Socket, line: string): Promise<void> {
    const { id, req, error } = decodeRequest(line);
    let reply: WireReply;
    if (error || !req) {
      this.log.warn({ event: 'control-bad-request', code: error?.code, err: error?.message });
      reply = errorReply(id, error ?? new VoipguardError('VG_BAD_REQUEST', 'empty request'));
    } else {
      try {
        reply = { id, ok: true, data: await this.handler.handle(req) };
      } catch (e) {
        if (e instanceof VoipguardError) reply = errorReply(id, e);
        else {
          this.log.error({ event: 'control-handler-failed', cmd: req.cmd, err: e });
          reply = errorReply(id, new VoipguardError('VG_INTERNAL', (e as Error).message ?? String(e), {}, { cause: e }));
        }
      }
    }
    if (!socket.destroyed) socket.write(JSON.stringify(reply) + '\n');
  }
}
