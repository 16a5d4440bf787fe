// The daemon's side of the control socket. Each connection may send several requests, one JSON
// line each; they are answered in order. Nothing a peer sends can crash the daemon: bad JSON,
// unknown commands and bad arguments get an error reply; a line over MAX_REQUEST_BYTES gets an
// error reply and the connection is closed; idle connections are closed; connections are capped.

import { createServer, type Server, type Socket } from 'node:net';
import { VoipguardError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { decodeRequest, errorReply, MAX_REQUEST_BYTES, type ControlRequest, type WireReply } from './protocol.js';
import { prepareSocketPath, restrictSocket } from './socket-file.js';

/** What the daemon plugs in; tests use a fake. Throw VoipguardError for an error reply. */
export interface ControlHandler {
  handle(req: ControlRequest): Promise<unknown>;
}

export interface ControlServerOptions {
  readonly idleTimeoutMs?: number;
  readonly maxConnections?: number;
}

export class ControlServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private path: string | null = null;

  constructor(
    private readonly handler: ControlHandler,
    private readonly log: Logger,
    private readonly opts: ControlServerOptions = {},
  ) {}

  async listen(path: string): Promise<void> {
    await prepareSocketPath(path);
    const server = createServer((s) => this.accept(s));
    server.maxConnections = this.opts.maxConnections ?? 64;
    // the socket is created by bind(): a tight umask keeps it private before restrictSocket runs
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(umask);
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
    for (const s of this.sockets) s.end();
    const cut = setTimeout(() => this.sockets.forEach((s) => s.destroy()), 1000);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    clearTimeout(cut);
    this.log.info({ event: 'control-closed', socket: this.path });
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(this.opts.idleTimeoutMs ?? 30_000, () => socket.destroy());
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
        queue = queue.then(() => this.answer(socket, line));
      }
      if (Buffer.byteLength(buf) > MAX_REQUEST_BYTES) this.refuseLong(socket);
    });
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
