// RedisBus on a real redis-server started by the test: the password is required (a wrong one never
// connects), publish/read/snapshot/heartbeat do what the memory twin does, garbage written straight
// to Redis comes back as raw fields (refused later, never a crash), rediss:// works with a
// self-signed certificate made by the test, and a batch goes to the stream by one script, or one
// XADD per entry for an ACL user that may not run scripts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Socket } from 'node:net';
import { reconnectDelay, REDIS_RECONNECT_CAP_MS, RedisBus } from '../../src/cluster/redis-bus.js';
import type { BusState } from '../../src/cluster/bus.js';
import type { RedisTarget } from '../../src/config/cluster-schema.js';
import { decodeEntry, encodeEntry, PACKED_FIELD, type Decoded } from '../../src/cluster/wire.js';
import { HAVE_REDIS, selfSignedCert, TestRedis } from '../helpers/redis-server.js';
import { waitFor } from '../helpers/wait-for.js';
import { freePort } from '../helpers/free-port.js';

const entryOf = (d: Decoded) => ('entry' in d ? d.entry : d);

const skip = !HAVE_REDIS && 'redis-server is not installed (apt-get install redis-server)';
let redis: TestRedis;
let tlsPort = 0;
let cert: { cert: string; key: string };
let certDir = '';

before(async () => {
  if (skip) return;
  tlsPort = await freePort();
  certDir = mkdtempSync(join(tmpdir(), 'vg-cert-'));
  cert = selfSignedCert(certDir);
  redis = new TestRedis({ tls: { port: tlsPort, ...cert } });
  await redis.start();
});

// every bus a test made is stopped here too: a test that fails before its own stop() must not
// leave a client reconnecting for ever (the file then hung until the runner's 300 s timeout)
const made: RedisBus[] = [];

after(async () => {
  await Promise.all(made.map((b) => b.stop()));
  await redis?.destroy();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

const unix = (): RedisTarget => ({ kind: 'unix', path: redis.socket, username: null, password: null, db: 0 });

function bus(
  target: RedisTarget,
  password: string | null,
  ca: string | null = null,
  more: { onScriptRefused?: (e: Error) => void; prefix?: string } = {},
): { bus: RedisBus; states: BusState[] } {
  const states: BusState[] = [];
  const b = new RedisBus({
    target,
    password,
    ca,
    prefix: more.prefix ?? `t${Math.random().toString(36).slice(2, 8)}`,
    maxLen: 1000,
    commandTimeoutMs: 2000,
    ...(more.onScriptRefused ? { onScriptRefused: more.onScriptRefused } : {}),
  });
  made.push(b);
  b.start((s) => states.push(s));
  return { bus: b, states };
}

test('a wrong password never connects; the right one does', { skip }, async () => {
  const bad = bus(unix(), 'not-the-password');
  await waitFor(() => bad.states.includes('disconnected'), { what: 'the refusal' });
  assert.notEqual(bad.bus.state(), 'connected');
  await assert.rejects(bad.bus.publish([]));
  await bad.bus.stop();
  const good = bus(unix(), redis.password);
  await waitFor(() => good.bus.state() === 'connected', { what: 'connected' });
  await good.bus.stop();
});

test('publish, read after an ID, snapshot of the active set, heartbeat', { skip }, async () => {
  const { bus: b } = bus(unix(), redis.password);
  await waitFor(() => b.state() === 'connected', { what: 'connected' });
  const now = Date.now();
  const e1 = { op: 'ban' as const, node: 'a', jail: 'asterisk', ip: '203.0.113.1', reason: 'detected', banCount: 1, start: now, until: now + 60_000 };
  const e2 = { op: 'ban' as const, node: 'a', jail: 'asterisk', ip: '203.0.113.2', reason: 'detected', banCount: 1, start: now - 120_000, until: now - 60_000 };
  await b.publish([
    { fields: encodeEntry(e1), key: 'asterisk 203.0.113.1', until: e1.until, op: 'ban' },
    { fields: encodeEntry(e2), key: 'asterisk 203.0.113.2', until: e2.until, op: 'ban' },
  ]);
  const read = await b.read('0-0', 10, 100);
  assert.equal(read.length, 2);
  // one field, the record packed as JSON: the same text as its active-set value
  assert.deepEqual(read[0]!.fields, [PACKED_FIELD, JSON.stringify(encodeEntry(e1))]);
  assert.deepEqual(entryOf(decodeEntry(read[0]!.fields)), e1);
  assert.equal(await b.firstId(), read[0]!.id);
  const snap = await b.snapshot(now);
  assert.equal(snap.lastId, read[1]!.id);
  assert.equal(snap.bans.length, 1, 'the expired ban left the set');
  assert.deepEqual(entryOf(decodeEntry(JSON.parse(snap.bans[0]!) as Record<string, string>)), e1);
  assert.deepEqual(await b.read(read[1]!.id, 10, 50), []);
  assert.deepEqual(await b.heartbeat('a', now, now - 60_000), ['a']);
  await b.stop();
});

test('one publish of several news for one address: the stream keeps each, the active set the last state', { skip }, async () => {
  const { bus: b } = bus(unix(), redis.password);
  await waitFor(() => b.state() === 'connected', { what: 'connected' });
  const now = Date.now();
  const ban = (ip: string, until: number) => ({ op: 'ban' as const, node: 'a', jail: 'asterisk', ip, reason: 'detected', banCount: 1, start: now, until });
  const unban = (ip: string) => ({ op: 'unban' as const, node: 'a', jail: 'asterisk', ip, time: now });
  const item = (e: ReturnType<typeof ban> | ReturnType<typeof unban>) => ({
    fields: encodeEntry(e),
    key: `asterisk ${e.ip}`,
    until: e.op === 'ban' ? e.until : null,
    op: e.op,
  });
  await b.publish([
    item(ban('203.0.113.21', now + 60_000)),
    item(unban('203.0.113.21')), // banned then lifted: gone from the set
    item(ban('203.0.113.22', now + 60_000)),
    item(unban('203.0.113.22')),
    item(ban('203.0.113.22', now + 120_000)), // lifted then banned again: in the set, with the last end
    item(ban('203.0.113.23', now + 60_000)),
  ]);
  assert.equal((await b.read('0-0', 100, 100)).length >= 6, true);
  const snap = (await b.snapshot(now)).bans.map((t) => decodeEntry(JSON.parse(t) as Record<string, string>));
  const mine = snap.flatMap((d) => ('entry' in d && d.entry.ip.startsWith('203.0.113.2') ? [d.entry] : []));
  assert.deepEqual(mine.map((e) => [e.ip, e.op === 'ban' ? e.until : null]).sort(), [
    ['203.0.113.22', now + 120_000],
    ['203.0.113.23', now + 60_000],
  ]);
  await b.stop();
});

/** Calls of a command so far, from INFO commandstats (0 before the first). */
function calls(command: string): number {
  const m = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(redis.cli(['INFO', 'commandstats']));
  return m ? Number(m[1]) : 0;
}

test(
  'a batch goes to the stream by one script; an ACL user that may not run scripts publishes one XADD per entry, the same entries in the same order',
  { skip },
  async () => {
    const now = Date.now();
    const items = (base: number) =>
      Array.from({ length: 5 }, (_, i) => {
        const e = {
          op: 'ban' as const,
          node: 'a',
          jail: 'asterisk',
          ip: `203.0.113.${base + i}`,
          reason: 'detected',
          banCount: 1,
          start: now,
          until: now + 60_000,
        };
        return { fields: encodeEntry(e), key: `asterisk ${e.ip}`, until: e.until, op: 'ban' as const };
      });
    const ips = (read: { fields: readonly string[] }[]) => read.map((r) => JSON.parse(r.fields[1]!).ip as string);

    // the default user may run scripts: one EVAL for the batch, no XADD from the client
    const prefix = `s${Math.random().toString(36).slice(2, 8)}`;
    const scripted = bus(unix(), redis.password, null, { prefix });
    await waitFor(() => scripted.bus.state() === 'connected', { what: 'connected' });
    const [eval0, xadd0] = [calls('eval'), calls('xadd')];
    await scripted.bus.publish(items(40));
    assert.equal(calls('eval'), eval0 + 1);
    assert.equal(calls('xadd'), xadd0 + 5, "the script's own XADDs");
    const one = await scripted.bus.read('0-0', 100, 100);
    assert.deepEqual(ips(one), ['203.0.113.40', '203.0.113.41', '203.0.113.42', '203.0.113.43', '203.0.113.44']);
    assert.deepEqual(one[0]!.fields, [PACKED_FIELD, JSON.stringify(items(40)[0]!.fields)]);
    assert.equal((await scripted.bus.snapshot(now)).bans.length, 5);
    await scripted.bus.stop();

    // an ACL user with every command but scripting (a user name comes with a redis:// or rediss:// URL)
    const user = `noscript${process.pid}`;
    redis.cli(['ACL', 'SETUSER', user, 'on', '>userpw', '~*', '&*', '+@all', '-@scripting']);
    const refused: Error[] = [];
    const target: RedisTarget = { kind: 'tcp', tls: true, host: '127.0.0.1', port: tlsPort, username: user, password: null, db: 0 };
    const plain = bus(target, 'userpw', readFileSync(cert.cert, 'utf8'), { prefix, onScriptRefused: (e) => refused.push(e) });
    await waitFor(() => plain.bus.state() === 'connected', { what: 'connected as the ACL user' });
    await plain.bus.publish(items(50));
    assert.equal(refused.length, 1, 'told once');
    assert.match(refused[0]!.message + String((refused[0] as { previousErrors?: unknown[] }).previousErrors ?? ''), /NOPERM/);
    await plain.bus.publish(items(60));
    assert.equal(refused.length, 1, 'not asked again');
    const two = await plain.bus.read('0-0', 100, 100);
    assert.deepEqual(ips(two), [...ips(one), ...['50', '51', '52', '53', '54', '60', '61', '62', '63', '64'].map((x) => `203.0.113.${x}`)]);
    assert.equal((await plain.bus.snapshot(now)).bans.length, 15, 'each batch once in the active set: the refused transaction left nothing');
    await plain.bus.stop();
  },
);

test('a snapshot larger than one HSCAN page returns every active ban once, and the last stream ID', { skip }, async () => {
  const { bus: b } = bus(unix(), redis.password);
  await waitFor(() => b.state() === 'connected', { what: 'connected' });
  const now = Date.now();
  const before = (await b.snapshot(now)).bans.length;
  const N = 12_000;
  for (let i = 0; i < N; i += 2_000) {
    await b.publish(
      Array.from({ length: 2_000 }, (_, j) => {
        const ip = `100.70.${((i + j) >> 8) & 255}.${(i + j) & 255}`;
        const e = { op: 'ban' as const, node: 'a', jail: 'paged', ip, reason: 'detected', banCount: 1, start: now, until: now + 60_000 };
        return { fields: encodeEntry(e), key: `paged ${ip}`, until: e.until, op: 'ban' as const };
      }),
    );
  }
  const snap = await b.snapshot(now);
  const paged = snap.bans.filter((t) => t.includes('"jail":"paged"'));
  assert.equal(paged.length, N);
  assert.equal(new Set(paged).size, N);
  assert.equal(snap.bans.length, before + N);
  const tail = await b.read(snap.lastId, 10, 50);
  assert.deepEqual(tail, [], "lastId is the stream's last entry");
  await b.stop();
});

test('garbage written to the stream comes back as raw fields, refused by the decoder', { skip }, async () => {
  const { bus: b } = bus(unix(), redis.password);
  await waitFor(() => b.state() === 'connected', { what: 'connected' });
  const key = (b as unknown as { keys: { stream: string } }).keys.stream;
  redis.cli(['XADD', key, '*', 'v', '1', 'op', 'ban', 'ip', "'; DROP TABLE bans; --"]);
  redis.cli(['XADD', key, '*', 'junk', '\u00ff\u0001']);
  redis.cli(['XADD', key, '*', PACKED_FIELD, '{"v":"1","op":"ban","ip":"10.0.0.1; reboot"']); // cut JSON
  redis.cli(['XADD', key, '*', PACKED_FIELD, JSON.stringify({ v: '1', op: 'ban', node: 'x', jail: 'asterisk', ip: '10.0.0.1', pad: 'y'.repeat(5000) })]);
  const read = await b.read('0-0', 10, 100);
  assert.equal(read.length, 4);
  for (const r of read) assert.ok('refused' in decodeEntry(r.fields));
  await b.stop();
});

test('rediss:// with a self-signed certificate: trusted through redis.cafile, refused without it', { skip }, async () => {
  const target: RedisTarget = { kind: 'tcp', tls: true, host: '127.0.0.1', port: tlsPort, username: null, password: null, db: 0 };
  const trusted = bus(target, redis.password, readFileSync(cert.cert, 'utf8'));
  await waitFor(() => trusted.bus.state() === 'connected', { what: 'TLS connected' });
  const now = Date.now();
  const e = { op: 'ban' as const, node: 'tls', jail: 'asterisk', ip: '203.0.113.9', reason: 'detected', banCount: 1, start: now, until: now + 60_000 };
  await trusted.bus.publish([{ fields: encodeEntry(e), key: 'asterisk 203.0.113.9', until: e.until, op: 'ban' }]);
  assert.equal((await trusted.bus.read('0-0', 10, 100)).length, 1);
  await trusted.bus.stop();
  const untrusted = bus(target, redis.password);
  await waitFor(() => untrusted.states.includes('disconnected'), { what: 'the certificate refused' });
  assert.notEqual(untrusted.bus.state(), 'connected');
  await untrusted.bus.stop();
});

test('reconnect attempts start at once and stay at most 500 ms apart however long Redis is away (the fleet converges within 5 s of its return)', () => {
  const worst = () => 0; // no jitter: the longest waits
  assert.equal(reconnectDelay(1, worst), 200);
  const waits = Array.from({ length: 100 }, (_, i) => reconnectDelay(i + 1, worst));
  assert.equal(Math.max(...waits), REDIS_RECONNECT_CAP_MS);
  assert.equal(REDIS_RECONNECT_CAP_MS, 500);
  assert.ok(
    waits.every((w, i) => i === 0 || w >= waits[i - 1]!),
    'never shorter than the one before',
  );
});

/**
 * A peer that speaks just enough RESP to be a Redis loading its data: AUTH is fine, and INFO says
 * `loading:1` with an ETA of an hour the first time on each connection, `loading:0` after.
 */
async function loadingRedis(path: string): Promise<{ infos: () => number; close: () => Promise<void> }> {
  let infos = 0;
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = '';
    let asked = 0;
    sock.on('data', (chunk: Buffer) => {
      buf += chunk.toString('latin1');
      for (;;) {
        // one command: *N, then N bulk strings
        const m = /^\*(\d+)\r\n/.exec(buf);
        if (!m) return;
        let at = m[0].length;
        const args: string[] = [];
        for (let i = 0; i < Number(m[1]); i++) {
          const h = /^\$(\d+)\r\n/.exec(buf.slice(at));
          if (!h || buf.length < at + h[0].length + Number(h[1]) + 2) return;
          args.push(buf.slice(at + h[0].length, at + h[0].length + Number(h[1])));
          at += h[0].length + Number(h[1]) + 2;
        }
        buf = buf.slice(at);
        if (args[0]!.toUpperCase() === 'INFO') {
          infos++;
          const text = asked++ === 0 ? '# Persistence\r\nloading:1\r\nloading_eta_seconds:3600\r\n' : '# Persistence\r\nloading:0\r\n';
          sock.write(`$${text.length}\r\n${text}\r\n`);
        } else sock.write('+OK\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  return {
    infos: () => infos,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

test('a Redis still loading its data (after a restart with the AOF) is asked again within the reconnect cap, not after its own ETA', async () => {
  // the client's default waits out the server's loading_eta_seconds (up to 10 s) before asking
  // again: after an outage, one node of the fleet connected 7 s after Redis returned (docs/cluster.md, thirteenth session)
  const dir = mkdtempSync(join(tmpdir(), 'vg-loading-'));
  const peer = await loadingRedis(join(dir, 'redis.sock'));
  const b = bus({ kind: 'unix', path: join(dir, 'redis.sock'), username: null, password: null, db: 0 }, 'pw');
  try {
    await waitFor(() => b.bus.state() === 'connected', { what: 'connected once the load is over', timeoutMs: 5_000 });
    assert.ok(peer.infos() >= 4, `each connection asked again (${peer.infos()} INFO)`);
  } finally {
    await b.bus.stop();
    await peer.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
