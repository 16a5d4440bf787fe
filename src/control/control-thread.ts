// The control thread (threaded-control.ts starts it): the control socket served outside the main
// thread. It reads and checks each request (control-server.ts, protocol.ts) and relays it to the
// main thread (relay-handler.ts); it answers from the board on its own only when the main thread is
// late. What it logs is logged by the main thread's logger.

import { parentPort, workerData } from 'node:worker_threads';
import type { VoipguardError } from '../core/errors.js';
import { ControlServer, serverLimits, type ControlLog } from './control-server.js';
import { RelayHandler } from './relay-handler.js';
import { ScrapeRelay } from './scrape-relay.js';
import { startMetricsServer, type MetricsServer } from '../metrics/metrics-server.js';
import type { ControlThreadData, FromControlThread, ToControlThread } from './thread-messages.js';

const port = parentPort;
if (port) {
  const data = workerData as ControlThreadData;
  const post = (m: FromControlThread): void => port.postMessage(m);
  // the few facts the server logs, passed on as they are (an Error is cloned with its message)
  const at =
    (level: 'info' | 'warn' | 'error') =>
    (fields: object): void =>
      post({ type: 'log', level, fields: fields as Record<string, unknown> });
  const log = { info: at('info'), warn: at('warn'), error: at('error') } as ControlLog;
  const relay = new RelayHandler(post, data.waitMs);
  const server = new ControlServer(relay, log, {
    holdUmask: false,
    prepare: false,
    ...serverLimits(data),
  });
  const scrapes = new ScrapeRelay(post, data.waitMs);
  let metrics: MetricsServer | null = null;
  port.on('message', (m: ToControlThread) => {
    switch (m.type) {
      case 'listen':
        server.listen(m.path).then(
          () => post({ type: 'listening' }),
          (e: NodeJS.ErrnoException) => post({ type: 'listen-failed', message: e.message, ...(e.code ? { errno: e.code } : {}) }),
        );
        return;
      case 'reply':
        return relay.reply(m);
      case 'board':
        return relay.setBoard(m.json);
      case 'metrics-listen':
        startMetricsServer({ host: m.host, port: m.port }, scrapes, log).then(
          (server) => {
            metrics = server;
            post({ type: 'metrics-listening', ...server.address });
          },
          (e: VoipguardError & { cause?: NodeJS.ErrnoException }) => post({ type: 'metrics-failed', why: e.cause?.code ?? e.message }),
        );
        return;
      case 'metrics-close': {
        const server = metrics;
        metrics = null;
        void (server?.close() ?? Promise.resolve()).then(() => post({ type: 'metrics-closed' }));
        return;
      }
      case 'scraped':
        return scrapes.scraped(m);
      case 'metrics-body':
        return scrapes.setBody(m.contentType, m.body);
      case 'close':
        void Promise.all([server.close(), metrics?.close()]).then(() => {
          relay.abandon('the daemon is stopping');
          post({ type: 'closed', fromBoard: relay.served, scrapesFromLast: scrapes.served });
        });
        return;
    }
  });
  post({ type: 'booted' });
}
