// Feed fixtures: a FeedConfig with defaults (as the schema would read them), a runner on memory
// twins, and a local HTTP server on 127.0.0.1 whose routes a test sets.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FEED_FIELDS, type FeedConfig } from '../../src/config/feed-schema.js';
import { readSchema } from '../../src/config/fields.js';
import type { HostAddresses, LiveRegistrations } from '../../src/core/protection.js';
import { NO_REGISTRATIONS } from '../../src/core/protection.js';
import { FeedRunner, type FeedContext } from '../../src/daemon/feed-runner.js';
import type { FeedSet } from '../../src/firewall/feed-set.js';
import { MemoryFeedSet } from '../../src/firewall/feed-set.js';
import type { FeedFetcher } from '../../src/sources/feed-fetch.js';
import type { FeedStore } from '../../src/store/feed-store.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { MemoryFeedStore } from '../fakes/memory-feed-store.js';

/** A feed as feed.d/NAME.conf with `keys` would give it. */
export function feedConfig(name: string, keys: Record<string, string>): FeedConfig {
  const errors: Error[] = [];
  const v = readSchema(
    FEED_FIELDS,
    (k) => (k in keys ? { raw: keys[k]!, place: { section: 'Definition', key: k } } : undefined),
    { section: 'Definition' },
    () => {},
    errors as never,
  );
  if (errors.length) throw errors[0];
  return { name, configFile: `/etc/voipguard/feed.d/${name}.conf`, ...v };
}

export const NO_HOST: HostAddresses = { addresses: () => [] };

export interface RunnerKit {
  readonly runner: FeedRunner;
  readonly set: FeedSet;
  readonly store: FeedStore;
  readonly records: Record<string, unknown>[];
}

export function makeRunner(
  cfg: FeedConfig,
  fetcher: FeedFetcher,
  opts: { store?: FeedStore; set?: FeedSet; ctx?: Partial<FeedContext>; host?: HostAddresses; registrations?: LiveRegistrations } = {},
): RunnerKit {
  const { log, records } = memoryLogger('debug');
  const store = opts.store ?? new MemoryFeedStore();
  const set = opts.set ?? new MemoryFeedSet({ name: cfg.name, blocktype: cfg.blocktype, ports: null, maxentries: cfg.maxentries }, log);
  const ctx: FeedContext = { ports: null, ignore: [], firewall: 'iptables', ...opts.ctx };
  const runner = new FeedRunner(cfg, ctx, set, { log, store, fetcher, host: opts.host ?? NO_HOST, registrations: opts.registrations ?? NO_REGISTRATIONS });
  return { runner, set, store, records };
}

export type Route = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  readonly base: string;
  readonly hits: string[];
  route(path: string, handler: Route): void;
  close(): Promise<void>;
}

/** A plain HTTP server on 127.0.0.1 and a free port; unknown paths answer 404. */
export async function startServer(): Promise<TestServer> {
  const routes = new Map<string, Route>();
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const h = routes.get(req.url ?? '');
    if (h) h(req, res);
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    hits,
    route: (p, h) => routes.set(p, h),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
