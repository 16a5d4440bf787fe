// How ioredis opens its socket to Redis, through its public `Connector` option: the same as its own
// standalone connector (TCP, TLS or a unix socket, from the client's options), with one difference.
// ioredis listens for the socket's first 'error' only (`once`); a TLS handshake that fails can
// emit a second one (the peer's alert after our own verification failure), and an 'error' with no
// listener is an uncaught exception: the daemon would die of a misconfigured `rediss://` or a
// middlebox that garbles the handshake. Here the socket keeps a listener for as long as it lives;
// ioredis still gets the first error and reconnects as before.

import { createConnection } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { AbstractConnector } from 'ioredis';

interface SocketOptions {
  readonly path?: string;
  readonly host?: string;
  readonly port?: number;
  readonly family?: number;
  readonly tls?: ConnectionOptions;
  readonly disconnectTimeout?: number;
}

export class GuardedConnector extends AbstractConnector {
  private readonly opts: SocketOptions;

  constructor(options: unknown) {
    const o = options as SocketOptions;
    super(o.disconnectTimeout ?? 2000);
    this.opts = o;
  }

  connect(): Promise<NonNullable<AbstractConnector['stream']>> {
    const o = this.opts;
    this.connecting = true;
    const where = o.path
      ? { path: o.path }
      : { ...(o.host != null ? { host: o.host } : {}), ...(o.port != null ? { port: o.port } : {}), ...(o.family != null ? { family: o.family } : {}) };
    // as ioredis does: the socket is made on the next tick, so that a disconnect() made meanwhile wins
    return new Promise((resolve, reject) => {
      process.nextTick(() => {
        if (!this.connecting) {
          reject(new Error('Connection is closed.'));
          return;
        }
        try {
          this.stream = o.tls ? tlsConnect({ ...where, ...o.tls }) : createConnection(where as never);
        } catch (e) {
          reject(e as Error);
          return;
        }
        this.stream.on('error', (e: Error) => {
          this.firstError ??= e;
        });
        resolve(this.stream);
      });
    });
  }
}
