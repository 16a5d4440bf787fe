// A local webhook receiver on 127.0.0.1 for the notification tests: it records every POST and
// answers 200, 500, or never (hang), as the test sets it.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor } from '../helpers/wait-for.js';

export type Mode = 'ok' | 'error' | 'hang';

export interface Receiver {
  readonly url: string;
  mode: Mode;
  readonly bodies: unknown[];
  /** Requests received and not answered yet (hanging). */
  readonly open: ServerResponse[];
  close(): Promise<void>;
}

export async function startReceiver(path = '/hooks/T000/B000/secret-token'): Promise<Receiver> {
  const r = {
    mode: 'ok' as Mode,
    bodies: [] as unknown[],
    open: [] as ServerResponse[],
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (data += c));
    req.on('end', () => {
      r.bodies.push({ path: req.url, method: req.method, type: req.headers['content-type'], body: JSON.parse(data) as unknown });
      if (r.mode === 'ok') res.writeHead(200).end('ok');
      else if (r.mode === 'error') res.writeHead(500).end('boom');
      else r.open.push(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(r, {
    url: `http://127.0.0.1:${port}${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}

/** Polls `cond` until it holds or `ms` pass (waiting on real sockets and processes only). */
export async function until(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  await waitFor(cond, { what, timeoutMs: ms, intervalMs: 5 });
}
