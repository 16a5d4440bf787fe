import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { PromMetrics } from '../../src/metrics/prom-metrics.js';
import { parseMetricsListen, DEFAULT_METRICS_PORT } from '../../src/config/metrics-listen.js';
import { MetricsEndpoint, startMetricsServer } from '../../src/metrics/metrics-server.js';
import { VoipguardError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/log/logger.js';

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('metrics are off unless listen is set', () => {
  for (const v of [undefined, '', 'no', 'off', 'false']) assert.equal(parseMetricsListen(v), null);
});

test('listen takes ip:port, [v6]:port, a bare port or localhost, on loopback', () => {
  assert.deepEqual(parseMetricsListen('127.0.0.1:9469'), { host: '127.0.0.1', port: 9469 });
  assert.deepEqual(parseMetricsListen('[::1]:9100'), { host: '::1', port: 9100 });
  assert.deepEqual(parseMetricsListen('9200'), { host: '127.0.0.1', port: 9200 });
  assert.deepEqual(parseMetricsListen('localhost'), { host: '127.0.0.1', port: DEFAULT_METRICS_PORT });
  assert.deepEqual(parseMetricsListen('127.0.0.2'), { host: '127.0.0.2', port: DEFAULT_METRICS_PORT });
});

test('a public or wildcard listen address is refused unless allow_remote says so', () => {
  for (const v of ['0.0.0.0:9469', '[::]:9469', '192.0.2.10:9469', '[2001:db8::1]:9469']) {
    assert.throws(
      () => parseMetricsListen(v, false, { file: 'voipguard.local' }),
      (e: unknown) => e instanceof VoipguardError && e.code === 'VG_METRICS_LISTEN' && e.place.file === 'voipguard.local' && e.place.key === 'listen',
      v,
    );
  }
  assert.deepEqual(parseMetricsListen('0.0.0.0:9469', true), { host: '0.0.0.0', port: 9469 });
});

test('a listen value that is not an address is a config error, never a name lookup', () => {
  for (const v of ['pbx.example.com:9469', '127.0.0.1:99999', '127.0.0.1:http', '127.0.0.1 9469']) {
    assert.throws(
      () => parseMetricsListen(v),
      (e: unknown) => e instanceof VoipguardError && e.code === 'VG_METRICS_LISTEN',
      v,
    );
  }
});

test('GET /metrics over loopback returns the exposition; nothing else is served', async () => {
  const m = new PromMetrics();
  m.ban('asterisk', 'detected');
  const srv = await startMetricsServer({ host: '127.0.0.1', port: 0 }, m, silentLogger());
  try {
    assert.equal(srv.address.host, '127.0.0.1');
    assert.ok(srv.address.port > 0);
    const r = await get(srv.address.port, '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/plain; version=0\.0\.4/);
    assert.match(r.body, /^voipguard_bans_total\{jail="asterisk",reason="detected"\} 1$/m);
    assert.equal((await get(srv.address.port, '/metrics?x=1')).status, 200);
    assert.equal((await get(srv.address.port, '/')).status, 404);
    assert.equal((await get(srv.address.port, '/metrics/../etc/passwd')).status, 404);
    assert.equal((await get(srv.address.port, '/metrics', 'POST')).status, 405);
  } finally {
    await srv.close();
  }
});

test('a scrape that fails answers 500 and the server keeps serving', async () => {
  let fail = true;
  const m = new PromMetrics();
  const flaky = { scrape: () => (fail ? Promise.reject(new Error('collector broke')) : m.scrape()) };
  const srv = await startMetricsServer({ host: '127.0.0.1', port: 0 }, flaky, silentLogger());
  try {
    assert.equal((await get(srv.address.port, '/metrics')).status, 500);
    fail = false;
    assert.equal((await get(srv.address.port, '/metrics')).status, 200);
  } finally {
    await srv.close();
  }
});

test('a port already in use is VG_METRICS_BIND, not a crash', async () => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    await assert.rejects(
      startMetricsServer({ host: '127.0.0.1', port }, new PromMetrics(), silentLogger()),
      (e: unknown) => e instanceof VoipguardError && e.code === 'VG_METRICS_BIND',
    );
  } finally {
    blocker.close();
  }
});

test('the endpoint moves on apply; a move that cannot bind is refused with VG_METRICS_BIND and keeps the old address', async () => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const taken = (busy.address() as { port: number }).port;
  const ep = new MetricsEndpoint(new PromMetrics(), silentLogger());
  try {
    const spare = createServer();
    await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r));
    const first = (spare.address() as { port: number }).port;
    await new Promise<void>((r) => spare.close(() => r()));
    await ep.apply({ host: '127.0.0.1', port: first });
    assert.equal((await get(first, '/metrics')).status, 200);
    await assert.rejects(ep.apply({ host: '127.0.0.1', port: taken }), (e: unknown) => e instanceof VoipguardError && e.code === 'VG_METRICS_BIND');
    assert.equal(ep.address?.port, first);
    assert.equal((await get(first, '/metrics')).status, 200);
    await ep.apply(null);
    assert.equal(ep.address, null);
    await assert.rejects(get(first, '/metrics'));
  } finally {
    await ep.close();
    await new Promise<void>((r) => busy.close(() => r()));
  }
});
