// Feeds served by a local HTTP server (127.0.0.1) through the real downloader (Node's fetch): plain,
// APIBan with a cursor, a list over maxentries, a 500, a slow server, redirects and a size cap.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeFeedFetcher } from '../../src/sources/feed-fetch.js';
import { feedConfig, makeRunner, startServer, type TestServer } from './feed-kit.js';

const T0 = 1_800_000_000_000;
let srv: TestServer;
const fetcher = new NodeFeedFetcher();

before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv.close();
});

test('plain: the list reaches the set, garbage is counted, the status says when', async () => {
  srv.route('/plain.txt', (_q, res) => res.end('# list\n192.0.2.1\n198.51.100.0/24 ; note\n<script>\n2001:db8::/48\n'));
  const k = makeRunner(feedConfig('plain', { url: `${srv.base}/plain.txt` }), fetcher);
  await k.runner.start(T0);
  await k.runner.due(T0);
  assert.deepEqual((await k.set.list()).sort(), ['192.0.2.1', '198.51.100.0/24', '2001:db8::/48']);
  const st = k.runner.status();
  assert.equal(st.entries, 3);
  assert.equal(st.garbage, 1);
  assert.equal(st.lastRefresh, T0);
  assert.equal(st.lastError, null);
  assert.equal(st.nextRefresh, T0 + 3_600_000, 'refresh defaults to 1h');
  assert.equal(st.source, `${srv.base}/…`, 'the path is not shown');
  assert.equal(k.runner.due(T0 + 1000), null, 'not due before refresh');
});

test('apiban: full pull page by page, then an incremental pull from the stored ID', async () => {
  const key = 'SECRETKEY123';
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) =>
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  srv.route(`/api/${key}/banned`, (_q, res) => json(res, 200, { ipaddress: ['192.0.2.10', '192.0.2.11'], ID: '100' }));
  srv.route(`/api/${key}/banned/100`, (_q, res) => json(res, 200, { ipaddress: ['192.0.2.12'], ID: '101' }));
  srv.route(`/api/${key}/banned/101`, (_q, res) => json(res, 400, { ipaddress: ['no new bans'], ID: 'none' }));
  const k = makeRunner(feedConfig('apiban', { url: `${srv.base}/api/${key}/banned`, format: 'apiban', refresh: '5m' }), fetcher);
  await k.runner.start(T0);
  await k.runner.due(T0);
  assert.deepEqual((await k.set.list()).sort(), ['192.0.2.10', '192.0.2.11', '192.0.2.12']);
  assert.equal(k.runner.status().cursor, '101');
  assert.equal(k.store.loadFeedList('apiban')?.cursor, '101', 'the cursor is kept in the database');
  assert.ok(!JSON.stringify(k.runner.status()).includes(key), 'the key never shows in the status');
  assert.ok(!JSON.stringify(k.records).includes(key), 'the key never shows in the log');
  // the next pull asks only for what is newer than 101
  srv.hits.length = 0;
  srv.route(`/api/${key}/banned/101`, (_q, res) => json(res, 200, { ipaddress: ['192.0.2.13'], ID: '102' }));
  srv.route(`/api/${key}/banned/102`, (_q, res) => json(res, 400, { ipaddress: ['no new bans'], ID: 'none' }));
  await k.runner.due(T0 + 300_000);
  assert.deepEqual(srv.hits, [`/api/${key}/banned/101`, `/api/${key}/banned/102`]);
  assert.deepEqual((await k.set.list()).sort(), ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13']);
  assert.equal(k.runner.status().cursor, '102');
});

test('a 250,000-line list exceeds maxentries: refused, the last good list stays, the status says why', async () => {
  let big = false;
  srv.route('/big.txt', (_q, res) => {
    if (!big) return res.end('192.0.2.1\n192.0.2.2\n');
    const lines: string[] = [];
    for (let i = 0; i < 250_000; i++) lines.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    res.end(lines.join('\n'));
  });
  const k = makeRunner(feedConfig('big', { url: `${srv.base}/big.txt`, refresh: '10m' }), fetcher);
  await k.runner.start(T0);
  await k.runner.due(T0);
  assert.equal(k.runner.status().entries, 2);
  big = true;
  await k.runner.due(T0 + 600_000);
  const st = k.runner.status();
  assert.equal(st.lastErrorCode, 'VG_FEED_TOO_LARGE');
  assert.match(st.lastError!, /250000 entries, more than maxentries = 200000/);
  assert.deepEqual((await k.set.list()).sort(), ['192.0.2.1', '192.0.2.2'], 'the last good list stays in the kernel');
  assert.equal(st.lastRefresh, T0, 'last refresh is the good one');
  assert.equal(k.store.loadFeedList('big')?.entries.length, 2, 'and in the database');
});

test('a byte cap stops the download mid-stream', async () => {
  srv.route('/endless', (_q, res) => {
    res.writeHead(200); // no content-length: streamed
    let n = 0;
    const push = () => {
      while (n < 2000 && res.write(`192.0.2.${n % 250}\n`.repeat(100))) n++;
      if (n < 2000) res.once('drain', push);
      else res.end();
    };
    push();
  });
  const k = makeRunner(feedConfig('capped', { url: `${srv.base}/endless`, maxsize: '10000' }), fetcher);
  await k.runner.start(T0);
  await k.runner.due(T0);
  assert.equal(k.runner.status().lastErrorCode, 'VG_FEED_TOO_LARGE');
  assert.match(k.runner.status().lastError!, /larger than 10000 bytes/);
});

test('a 500 keeps the last good list and says why', async () => {
  let fail = false;
  srv.route('/flaky.txt', (_q, res) => (fail ? res.writeHead(500).end('oops') : res.end('203.0.113.1\n')));
  const k = makeRunner(feedConfig('flaky', { url: `${srv.base}/flaky.txt`, refresh: '1h' }), fetcher);
  await k.runner.start(T0);
  await k.runner.due(T0);
  fail = true;
  await k.runner.due(T0 + 3_600_000);
  const st = k.runner.status();
  assert.equal(st.lastErrorCode, 'VG_FEED_FETCH');
  assert.match(st.lastError!, /HTTP 500/);
  assert.deepEqual(await k.set.list(), ['203.0.113.1']);
  assert.equal(st.nextRefresh, T0 + 3_600_000 + 5 * 60_000, 'a failure is retried after 5 minutes');
});

test('a slow server times out; the last good list stays', async () => {
  let slow = false;
  const pending: import('node:http').ServerResponse[] = [];
  srv.route('/slow.txt', (_q, res) => (slow ? pending.push(res) : res.end('203.0.113.2\n')));
  const k = makeRunner(feedConfig('slow', { url: `${srv.base}/slow.txt`, timeout: '1s' }), fetcher);
  await k.runner.start(T0);
  await k.runner.due(T0);
  slow = true;
  const started = Date.now();
  await k.runner.due(T0 + 3_600_000);
  const took = Date.now() - started;
  for (const r of pending) r.destroy();
  assert.equal(k.runner.status().lastErrorCode, 'VG_FEED_TIMEOUT');
  assert.ok(took >= 900 && took < 5000, `gave up after ${took} ms`);
  assert.deepEqual(await k.set.list(), ['203.0.113.2']);
});

test('redirects: same scheme followed, another scheme refused', async () => {
  srv.route('/moved', (_q, res) => res.writeHead(302, { location: '/plain2.txt' }).end());
  srv.route('/plain2.txt', (_q, res) => res.end('192.0.2.99\n'));
  srv.route('/to-file', (_q, res) => res.writeHead(301, { location: 'file:///etc/passwd' }).end());
  srv.route('/to-https', (_q, res) => res.writeHead(301, { location: 'https://127.0.0.1:1/x' }).end());
  const ok = makeRunner(feedConfig('moved', { url: `${srv.base}/moved` }), fetcher);
  await ok.runner.start(T0);
  await ok.runner.due(T0);
  assert.deepEqual(await ok.set.list(), ['192.0.2.99']);
  for (const p of ['/to-file', '/to-https']) {
    const k = makeRunner(feedConfig('other', { url: `${srv.base}${p}` }), fetcher);
    await k.runner.start(T0);
    await k.runner.due(T0);
    assert.equal(k.runner.status().lastErrorCode, 'VG_FEED_FETCH', p);
    assert.match(k.runner.status().lastError!, /another scheme/);
  }
});

test('an HTML error page served with 200 holds no address: refused, the last good list stays', async () => {
  let html = false;
  srv.route('/portal', (_q, res) => res.end(html ? '<html><body>Captive portal</body></html>\n' : '192.0.2.50\n'));
  const k = makeRunner(feedConfig('portal', { url: `${srv.base}/portal` }), fetcher);
  await k.runner.start(T0);
  await k.runner.due(T0);
  html = true;
  await k.runner.due(T0 + 3_600_000);
  assert.equal(k.runner.status().lastErrorCode, 'VG_FEED_FORMAT');
  assert.deepEqual(await k.set.list(), ['192.0.2.50']);
});

test('TLS is verified: a self-signed https server is refused, the last good list stays', async () => {
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { createServer } = await import('node:https');
  const dir = mkdtempSync(join(tmpdir(), 'vg-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], {
    stdio: 'ignore',
  });
  const server = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_q, res) => res.end('192.0.2.66\n'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as import('node:net').AddressInfo).port;
  try {
    const k = makeRunner(feedConfig('tls', { url: `https://127.0.0.1:${port}/list.txt` }), fetcher);
    await k.runner.start(T0);
    await k.runner.due(T0);
    const st = k.runner.status();
    assert.equal(st.lastErrorCode, 'VG_FEED_FETCH');
    assert.match(st.lastError!, /SELF_SIGNED|CERT|certificate/i);
    assert.deepEqual(await k.set.list(), []);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a live registration and the host address are never blocked, whatever the list says; the counts say why', async () => {
  srv.route('/regs.txt', (_q, res) => res.end('192.0.2.0/24\n198.51.100.7\n203.0.113.8\n'));
  const registrations = {
    isRegistered: (ip: string) => ip === '192.0.2.44',
    isRegisteredFor: () => false,
    addresses: () => ['192.0.2.44'],
  };
  const k = makeRunner(feedConfig('regs', { url: `${srv.base}/regs.txt` }), fetcher, { registrations, host: { addresses: () => ['198.51.100.7'] } });
  await k.runner.start(T0);
  await k.runner.due(T0);
  assert.deepEqual(await k.set.list(), ['203.0.113.8']);
  const st = k.runner.status();
  assert.deepEqual(st.skippedBy, { ignoreip: 0, allowfile: 0, host: 1, registered: 1, wide: 0 });
  assert.equal(st.listed, 3);
});
