// `voipguard doctor` and the fleet: skipped when [cluster] is off; an unreadable password or CA file
// fails (the daemon would start without the fleet); an unreachable Redis warns (the PBX still bans
// on its own) with the fix its error points to; a reachable one says who is there.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkCluster } from '../../src/doctor/cluster-checks.js';
import type { ClusterConfig } from '../../src/config/cluster-schema.js';
import type { ClusterProbeOutcome } from '../../src/cluster/cluster-probe.js';
import type { DoctorConfig, DoctorContext, Finding } from '../../src/doctor/doctor-types.js';
import { fakeEnv, type FakeEnv } from './fake-doctor-env.js';

const CLUSTER: ClusterConfig = {
  enabled: true,
  redis: { kind: 'tcp', tls: true, host: 'redis.example.net', port: 6380, username: 'voipguard', password: null, db: 0 },
  password: null,
  passwordfile: '/etc/voipguard/redis.password',
  cafile: '/etc/voipguard/redis-ca.pem',
  node: 'pbx1',
  prefix: 'voipguard',
  jails: [],
  accept: ['detected', 'manual'],
  maxbantime: 86_400_000,
};
const FILES = { '/etc/voipguard/redis.password': 'readable', '/etc/voipguard/redis-ca.pem': 'readable' } as const;

async function check(cluster: ClusterConfig | null, env: FakeEnv): Promise<Finding> {
  const config: DoctorConfig = { configDir: '/etc/voipguard', jails: [], ami: null, dbfile: null, cluster, errors: [], warnings: [] };
  const ctx = { config, env, amiTimeoutMs: 2500 } as unknown as DoctorContext;
  const out = await checkCluster(ctx);
  assert.equal(out.length, 1);
  return out[0]!;
}

const failing = (message: string): ClusterProbeOutcome => ({ ok: false, stage: 'connect', message });

test('[cluster] off: skipped, and Redis is not asked', async () => {
  const env = fakeEnv();
  const f = await check(null, env);
  assert.equal(f.status, 'skip');
  assert.equal(env.clusterCalls.length, 0);
});

test('a reachable Redis: ok, with the nodes seen, the active bans and the stream, asked once with the settings and the timeout', async () => {
  const env = fakeEnv({ logFiles: FILES, cluster: { ok: true, nodes: ['pbx1', 'pbx2'], activeBans: 12_345, streamLength: 20_000 } });
  const f = await check(CLUSTER, env);
  assert.equal(f.status, 'ok');
  assert.equal(
    f.message,
    'Redis at rediss://voipguard@redis.example.net:6380 answers: 2 nodes seen in the last minute (pbx1, pbx2), 12,345 active shared bans, 20,000 stream entries',
  );
  assert.deepEqual(env.clusterCalls, [{ cfg: CLUSTER, timeoutMs: 2500 }]);
});

test('a big fleet is counted, its names cut after ten', async () => {
  const nodes = Array.from({ length: 14 }, (_, i) => `pbx${i}`);
  const f = await check(CLUSTER, fakeEnv({ logFiles: FILES, cluster: { ok: true, nodes, activeBans: 1, streamLength: 1 } }));
  assert.match(f.message, /14 nodes seen in the last minute \(pbx0, .*, pbx9, …\), 1 active shared ban, /);
});

test('a password or CA file the daemon cannot read fails before Redis is asked', async () => {
  for (const [file, key] of [
    ['/etc/voipguard/redis.password', 'redis.passwordfile'],
    ['/etc/voipguard/redis-ca.pem', 'redis.cafile'],
  ] as const) {
    const env = fakeEnv({ logFiles: { ...FILES, [file]: 'unreadable' } });
    const f = await check(CLUSTER, env);
    assert.equal(f.status, 'fail');
    assert.match(f.message, new RegExp(`\\[cluster\\] ${key.replace('.', '\\.')} ${file} is unreadable`));
    assert.equal(env.clusterCalls.length, 0);
  }
});

test('an unreachable Redis warns, and the fix follows the error', async () => {
  const cases: [string, RegExp][] = [
    ['self-signed certificate', /redis\.cafile/],
    ['WRONGPASS invalid username-password pair or user is disabled.', /redis\.password or redis\.passwordfile/],
    ["NOPERM this user has no permissions to run the 'hlen' command", /ACL user lacks/],
    ['connect ECONNREFUSED 192.0.2.7:6380', /is redis-server running and reachable/],
  ];
  for (const [message, fix] of cases) {
    const f = await check(CLUSTER, fakeEnv({ logFiles: FILES, cluster: failing(message) }));
    assert.equal(f.status, 'warn', message);
    assert.equal(f.message, `cannot use Redis at rediss://voipguard@redis.example.net:6380: ${message} (this PBX still bans on its own)`);
    assert.match(f.fix ?? '', fix, message);
  }
  const unix: ClusterConfig = { ...CLUSTER, redis: { kind: 'unix', path: '/run/redis/redis.sock', username: null, password: null, db: 0 }, cafile: null };
  const f = await check(unix, fakeEnv({ logFiles: FILES, cluster: failing('connect ENOENT /run/redis/redis.sock') }));
  assert.match(f.fix ?? '', /its socket at that path/);
});
