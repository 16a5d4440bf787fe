// Serves GET /metrics and nothing else, over node:http. A scrape that fails answers 500 and is
// logged; it never touches the pipeline.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VoipguardError } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import type { MetricsListen } from '../config/metrics-listen.js';

export interface Scrapable {
  scrape(): Promise<{ contentType: string; body: string }>;
}

export interface MetricsServer {
  /** The bound address (the real port when listen asked for port 0). */
  readonly address: MetricsListen;
  close(): Promise<void>;
}

export async function startMetricsServer(listen: MetricsListen, source: Scrapable, log: Pick<Logger, 'info' | 'error'>): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    source.scrape().then(
      ({ contentType, body }) => {
        res.writeHead(200, { 'content-type': contentType });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        log.error({ event: 'metrics-scrape-failed', err }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('scrape failed\n');
      },
    );
  });
  // Scrapers keep connections alive; idle ones must not hold the daemon open at stop.
  server.keepAliveTimeout = 5000;
  server.headersTimeout = 10000;
  server.requestTimeout = 10000;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(metricsBindError(listen, err.code ?? err.message, err));
    server.once('error', onError);
    server.listen(listen.port, listen.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ event: 'metrics-server-error', err }, 'metrics server error'));
  const a = server.address() as AddressInfo;
  const address = { host: a.address, port: a.port };
  log.info({ event: 'metrics-listening', host: address.host, port: address.port }, 'metrics server listening');

  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The error of a listen that cannot bind, naming the config key (also for a bind made in the control thread). */
export function metricsBindError(listen: MetricsListen, why: string, cause?: unknown): VoipguardError {
  return new VoipguardError('VG_METRICS_BIND', `cannot listen on ${fmt(listen)}: ${why}`, { section: 'metrics', key: 'listen' }, { cause });
}

/** Starts a metrics server: on this thread (startMetricsServer), or in the control thread. */
export type MetricsStarter = (listen: MetricsListen, source: Scrapable, log: Logger) => Promise<MetricsServer>;

function fmt(l: MetricsListen): string {
  return l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`;
}

/**
 * The `[metrics] listen` of the running config, followed across reloads: `apply` starts the server,
 * moves it to a new address or stops it. A move that cannot bind puts the old address back (when it
 * still can) and throws VG_METRICS_BIND, so `reload` reports it and the exporter is never lost silently.
 */
export class MetricsEndpoint {
  private server: MetricsServer | null = null;
  private listen: MetricsListen | null = null;

  constructor(
    private readonly source: Scrapable,
    private readonly log: Logger,
    private readonly start: MetricsStarter = startMetricsServer,
  ) {}

  /** The bound address, or null when off. */
  get address(): MetricsListen | null {
    return this.server?.address ?? null;
  }

  async apply(listen: MetricsListen | null): Promise<void> {
    if (sameListen(listen, this.listen)) return;
    const old = this.listen;
    if (this.server) {
      await this.server.close();
      this.server = null;
      this.listen = null;
      this.log.info({ event: 'metrics-stopped', host: old?.host, port: old?.port }, 'metrics server stopped');
    }
    if (!listen) return;
    try {
      this.server = await this.start(listen, this.source, this.log);
      this.listen = listen;
    } catch (e) {
      if (old) {
        this.server = await this.start(old, this.source, this.log).catch(() => null);
        this.listen = this.server ? old : null;
      }
      throw e;
    }
  }

  close(): Promise<void> {
    return this.apply(null);
  }
}

function sameListen(a: MetricsListen | null, b: MetricsListen | null): boolean {
  return a === b || (a !== null && b !== null && a.host === b.host && a.port === b.port);
}
