// Feeds inside the service: started after the jails, refreshed from the tick by the clock, shown by
// `status feeds`, re-read on reload, removed on a flushing stop; and the CLI's `status feeds`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, type LoadedConfig } from '../../src/config/load-config.js';
import { memoryReader } from '../../src/config/config-set.js';
import { ManualClock } from '../../src/core/clock.js';
import { NO_REGISTRATIONS } from '../../src/core/protection.js';
import { FeedService } from '../../src/daemon/feed-service.js';
import { Service } from '../../src/daemon/service.js';
import { ServiceControl } from '../../src/daemon/control-handler.js';
import { MemoryFeedSet } from '../../src/firewall/feed-set.js';
import { NoopMetrics } from '../../src/metrics/noop-metrics.js';
import { parseClientArgs, renderReply } from '../../src/cli/client-command.js';
import type { FeedStatus } from '../../src/control/replies.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { MemoryFeedFetcher } from '../fakes/memory-feed-fetcher.js';
import { MemoryFeedStore } from '../fakes/memory-feed-store.js';
import { TinyStore } from '../helpers/tiny-store.js';
import { waitFor } from '../helpers/wait-for.js';

const T0 = Date.UTC(2026, 10, 21, 9, 0, 0);
const JAIL = '[asterisk]\nenabled = true\nfilter =\nport = 5060,5061\nignoreip = 192.0.2.0/25\n';
const FEED = '[Definition]\nurl = https://lists.example/drop.txt\njails = asterisk\nrefresh = 10m\n';

function setup(files: Record<string, string>) {
  let current = files;
  const clock = new ManualClock(T0);
  const { log, records } = memoryLogger('debug');
  const sets = new Map<string, MemoryFeedSet>();
  const fetcher = new MemoryFeedFetcher();
  const feedStore = new MemoryFeedStore();
  const feeds = new FeedService({
    log,
    store: feedStore,
    fetcher,
    host: { addresses: () => ['198.51.100.1'] },
    registrations: NO_REGISTRATIONS,
    makeSet: (spec) => {
      const s = new MemoryFeedSet(spec, log);
      sets.set(spec.name, s);
      return s;
    },
  });
  const load = (): LoadedConfig => loadConfig('/cfg', { reader: memoryReader(current) });
  const svc = new Service({
    config: load(),
    configDir: '/cfg',
    clock,
    log,
    store: new TinyStore(),
    metrics: new NoopMetrics(),
    factory: { make: () => ({ engine: null as never, filter: null, ami: null, gate: { accept: () => true }, actions: null as never, sources: [] }) },
    loadConfig: load,
    makeAmi: () => null,
    logControl: { level: () => 'info', setLevel: (l) => l, target: () => 'stdout', setTarget: (t) => t, reopen: () => undefined },
    dryRun: false,
    keepRules: false,
    feeds,
    cluster: null,
  });
  const control = new ServiceControl(svc, { version: 'test', pid: 1, requestStop: () => undefined });
  return { svc, clock, sets, fetcher, feedStore, feeds, control, records, setFiles: (f: Record<string, string>) => (current = f) };
}

test('the service starts the feed, the tick refreshes it when due, status feeds shows it', async () => {
  const k = setup({ '/cfg/jail.conf': '[DEFAULT]\n', '/cfg/feed.d/drop.conf': FEED });
  k.fetcher.urls.set('https://lists.example/drop.txt', { status: 200, body: '203.0.113.0/24\n192.0.2.5\n198.51.100.0/24\ngarbage\n' });
  await k.svc.start(k.svc.config);
  await k.svc.tick();
  await waitFor(async () => (await k.sets.get('drop')!.list()).length > 0, { what: 'the first refresh' });
  assert.deepEqual(await k.sets.get('drop')!.list(), ['203.0.113.0/24', '192.0.2.5']);
  const st = (await k.control.handle({ cmd: 'feed-status' })) as FeedStatus[];
  assert.equal(st.length, 1);
  assert.equal(st[0]!.entries, 2);
  assert.equal(st[0]!.skipped, 1, '198.51.100.0/24 holds a host address');
  assert.equal(st[0]!.skippedBy.host, 1);
  assert.equal(st[0]!.garbage, 1);
  assert.equal(st[0]!.lastRefresh, T0);
  k.fetcher.urls.set('https://lists.example/drop.txt', { status: 200, body: '203.0.113.0/24\n203.0.114.0/24\n203.0.115.0/24\n' });
  k.clock.advance(5 * 60_000);
  await k.svc.tick();
  await k.feeds.runner('drop')!.idle();
  assert.equal((await k.sets.get('drop')!.list()).length, 2, 'not due before refresh = 10m');
  k.clock.advance(5 * 60_000);
  await k.svc.tick();
  await waitFor(async () => (await k.sets.get('drop')!.list()).length === 3, { what: 'the second refresh' });
  await k.svc.stop();
  assert.deepEqual(await k.sets.get('drop')!.list(), [], 'a stop that does not keep rules removes the set');
});

test('a feed follows its jails: their ignoreip is skipped; reload drops a removed feed', async () => {
  const k = setup({ '/cfg/jail.conf': JAIL, '/cfg/feed.d/drop.conf': FEED, '/cfg/feed.d/other.conf': '[Definition]\nfile = /lists/other.txt\n' });
  k.fetcher.urls.set('https://lists.example/drop.txt', { status: 200, body: '192.0.2.5\n192.0.2.200\n' });
  k.fetcher.files.set('/lists/other.txt', '203.0.113.9\n');
  await k.svc.start(k.svc.config);
  await k.svc.tick();
  await k.feeds.runner('drop')!.idle();
  await k.feeds.runner('other')!.idle();
  const drop = k.feeds.runner('drop')!.status();
  assert.deepEqual(await k.sets.get('drop')!.list(), ['192.0.2.200']);
  assert.equal(drop.skippedBy.ignoreip, 1);
  assert.equal(drop.ports, '5060:5061');
  k.setFiles({ '/cfg/jail.conf': JAIL, '/cfg/feed.d/drop.conf': FEED });
  await k.svc.reload(null);
  assert.deepEqual(
    k.feeds.status().map((f) => f.name),
    ['drop'],
  );
  assert.deepEqual(await k.sets.get('other')!.list(), [], 'the removed feed left the kernel');
  await k.svc.stop();
});

test('CLI: `status feeds` asks for the feeds; the reply renders a tree per feed', () => {
  assert.deepEqual(parseClientArgs(['status', 'feeds']).action, { kind: 'request', req: { cmd: 'feed-status' } });
  assert.deepEqual(parseClientArgs(['status', 'feeds', 'short']).action, { kind: 'request', req: { cmd: 'jail-status', jail: 'feeds', short: true } });
  assert.equal(parseClientArgs(['status', 'feeds', '--json']).opts.json, true);
  const st: FeedStatus = {
    name: 'drop',
    source: 'https://lists.example/…',
    format: 'plain',
    firewall: 'iptables',
    set: 'ipset[f2b-feed-drop]',
    blocktype: 'DROP',
    ports: '5060:5061',
    entries: 10,
    listed: 12,
    skipped: 2,
    skippedBy: { ignoreip: 1, allowfile: 0, host: 0, registered: 0, wide: 1 },
    folded: 0,
    garbage: 3,
    lastRefresh: null,
    lastAttempt: T0,
    lastError: 'lists.example: ECONNREFUSED; the last good list stays',
    lastErrorCode: 'VG_FEED_FETCH',
    nextRefresh: null,
    cursor: null,
  };
  const text = renderReply({ cmd: 'feed-status' }, [st]);
  assert.match(text, /^Status for the feed: drop\n/);
  assert.match(text, /Entries:\t10\n/);
  assert.match(text, /Skipped:\t2 \(1 ignoreip, 1 wider than \/8 or \/16\)/);
  assert.match(text, /Last refresh:\tnever/);
  assert.match(text, /Last error:\tVG_FEED_FETCH: lists\.example: ECONNREFUSED/);
  assert.equal(renderReply({ cmd: 'feed-status' }, []), 'No blocklist feeds (feed.d/*.conf)\n');
});
