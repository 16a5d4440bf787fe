// The doctor's probe of the fleet's Redis (cluster-probe.ts) against a real redis-server with a
// password, on its unix socket and on a loopback TLS port with a self-signed certificate made by
// the test: who is there (nodes seen in the last minute, active shared bans, stream entries), read
// without writing anything; and each way it can fail (an unreadable password file, a wrong
// password, a certificate not trusted, nothing listening), said in the client's words.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { probeCluster } from '../../src/cluster/cluster-probe.js';
import type { ClusterConfig, RedisTarget } from '../../src/config/cluster-schema.js';
import { freePort } from '../helpers/free-port.js';
import { HAVE_REDIS, selfSignedCert, TestRedis } from '../helpers/redis-server.js';

const skip = !HAVE_REDIS && 'redis-server is not installed (apt-get install redis-server)';
const PREFIX = `vgprobe${process.pid}`;
let redis: TestRedis;
let dir = '';
let cert: { cert: string; key: string };
let tlsPort = 0;
let pwfile = '';

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'vg-probe-'));
  cert = selfSignedCert(dir);
  tlsPort = await freePort();
  redis = new TestRedis({ tls: { port: tlsPort, ...cert } });
  await redis.start();
  pwfile = join(dir, 'redis.password');
  writeFileSync(pwfile, `${redis.password}\n`, { mode: 0o600 });
});

after(async () => {
  await redis?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function settings(redisTarget: RedisTarget, over: Partial<ClusterConfig> = {}): ClusterConfig {
  return {
    enabled: true,
    redis: redisTarget,
    password: null,
    passwordfile: pwfile,
    cafile: null,
    node: 'doctor-test',
    prefix: PREFIX,
    jails: [],
    accept: ['detected', 'manual'],
    maxbantime: 86_400_000,
    ...over,
  };
}

const unix = (): RedisTarget => ({ kind: 'unix', path: redis.socket, username: null, password: null, db: 0 });
const tls = (): RedisTarget => ({ kind: 'tcp', tls: true, host: '127.0.0.1', port: tlsPort, username: null, password: null, db: 0 });

/** Every key under the prefix with its type and size: what a probe must leave as it found it. */
function snapshot(): string {
  const keys = redis
    .cli(['--scan', '--pattern', `${PREFIX}:*`])
    .split('\n')
    .filter(Boolean)
    .sort();
  return keys.map((k) => `${k} ${redis.cli(['TYPE', k]).trim()} ${redis.cli(['MEMORY', 'USAGE', k]).trim()}`).join('\n');
}

test('a fleet in Redis: the nodes seen in the last minute, the active bans and the stream, read without a write', { skip }, async () => {
  const now = Date.now();
  redis.cli(['ZADD', `${PREFIX}:nodes`, String(now - 5_000), 'pbx-a', String(now - 30_000), 'pbx-b', String(now - 300_000), 'pbx-gone']);
  redis.cli(['HSET', `${PREFIX}:bans`, 'asterisk 203.0.113.9', '{}', 'asterisk 203.0.113.10', '{}']);
  for (let i = 0; i < 3; i++) redis.cli(['XADD', `${PREFIX}:stream`, '*', 'e', '{}']);
  const before = snapshot();
  const r = await probeCluster(settings(unix()), 5_000, now);
  assert.deepEqual(r, { ok: true, nodes: ['pbx-b', 'pbx-a'], activeBans: 2, streamLength: 3 });
  assert.equal(snapshot(), before, 'nothing written: no heartbeat, no entry, nothing trimmed');
  assert.equal(redis.cli(['ZSCORE', `${PREFIX}:nodes`, 'doctor-test']).trim(), '', 'the doctor is not a node');
});

test('over rediss:// the certificate is trusted through redis.cafile, and refused without it', { skip }, async () => {
  const trusted = await probeCluster(settings(tls(), { cafile: cert.cert }), 5_000, Date.now());
  assert.equal(trusted.ok, true, JSON.stringify(trusted));
  const refused = await probeCluster(settings(tls()), 5_000, Date.now());
  assert.equal(refused.ok, false);
  assert.ok(!refused.ok && refused.stage === 'connect' && /certificate/i.test(refused.message), JSON.stringify(refused));
});

test('a wrong password, an unreadable password file, nothing listening: each says why, within the timeout', { skip }, async () => {
  const wrong = join(dir, 'wrong.password');
  writeFileSync(wrong, 'not-the-password\n', { mode: 0o600 });
  const badPassword = await probeCluster(settings(unix(), { passwordfile: wrong }), 5_000, Date.now());
  assert.ok(!badPassword.ok && badPassword.stage === 'connect' && /WRONGPASS|invalid/i.test(badPassword.message), JSON.stringify(badPassword));

  const noFile = await probeCluster(settings(unix(), { passwordfile: join(dir, 'missing.password') }), 5_000, Date.now());
  assert.ok(!noFile.ok && noFile.stage === 'files' && /ENOENT/.test(noFile.message), JSON.stringify(noFile));

  const t0 = Date.now();
  const nobody = await probeCluster(settings({ kind: 'unix', path: join(dir, 'no.sock'), username: null, password: null, db: 0 }), 2_000, Date.now());
  assert.ok(!nobody.ok && nobody.stage === 'connect' && /ENOENT|no answer/i.test(nobody.message), JSON.stringify(nobody));
  assert.ok(Date.now() - t0 < 5_000, 'within the timeout and its teardown');
});
