// The fleet over TLS, as across sites: a redis-server started by the test inside a namespace of its
// own pair, listening with TLS (a self-signed certificate the test makes for that namespace's
// address) and on a unix socket. Node T, a built daemon in the pair's other namespace, reaches it
// over the link with `rediss://` and trusts the certificate through `redis.cafile`; node U, in
// another pair, shares the same Redis through its socket. A ban made on T is rejected by U's
// kernel, and one made on U by T's. A node with the same `rediss://` URL but no `redis.cafile`
// never connects, keeps banning on its own, and says why in its status and its log.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNetnsPair, type NetnsPair } from '../helpers/netns.js';
import { HAVE_REDIS, selfSignedCert, TestRedis } from '../helpers/redis-server.js';
import { spawnSync } from 'node:child_process';
import { attack, build, cli, CLI, removeConfig, waitFor as waitForFact } from './daemon-harness.js';
import { clusterStatus, fleetNode, startFleetNode, stopFleetNode, type FleetNode } from './fleet-kit.js';

const JAIL = `
[asterisk]
enabled = true
logpath = $LOG
maxretry = 2
findtime = 10m
bantime = 1h
`;

const root = process.getuid?.() === 0;
const skip = !root ? 'needs root for network namespaces' : !HAVE_REDIS ? 'redis-server is not installed' : false;
const PREFIX = `vgtls${process.pid}`;
const TLS_PORT = 6390;

type Node = FleetNode;

const nodes: Node[] = [];
const pairs: NetnsPair[] = [];
let redis: TestRedis;
let certDir: string;
let cert: { cert: string; key: string };
/** The pair whose attacker namespace runs Redis; T (then V) runs in its defender namespace. */
let site: NetnsPair;

const waitFor = <T>(what: string, fn: () => T | Promise<T>, ms = 60_000): Promise<T> => waitForFact(what, fn, ms);

function makeNode(name: string, pair: NetnsPair, redisLines: string): Node {
  const n = fleetNode(name, pair, JAIL, redisLines, redis.password, PREFIX);
  nodes.push(n);
  return n;
}

// `status` waits for the start (a node that cannot reach Redis starts without it after 5 s)
const start = (n: Node): Promise<void> => startFleetNode(n, 'status');
const stop = stopFleetNode;
const cluster = clusterStatus;

/** The defender's iptables rules (the kernel, not the daemon's idea of it). */
async function kernel(n: Node): Promise<string> {
  return (await n.pair.exec(n.pair.defender, ['iptables', '-S'])).stdout;
}

/** `voipguard doctor` on the node's config, run where the node runs (its namespace): its cluster line and fix. */
function doctorCluster(n: Node): string {
  const r = spawnSync('ip', ['netns', 'exec', n.pair.defender, process.execPath, CLI, 'doctor', '-c', n.cfg.dir, '--asterisk-dir', n.cfg.dir], {
    encoding: 'utf8',
  });
  const lines = r.stdout.split('\n');
  const at = lines.findIndex((l) => /^\S+\s+cluster\s/.test(l));
  assert.ok(at >= 0, `a cluster line in:\n${r.stdout}${r.stderr}`);
  return lines.slice(at, at + 2).join('\n');
}

let t: Node, u: Node;

before(async () => {
  if (skip) return;
  build();
  site = await createNetnsPair();
  pairs.push(site);
  certDir = mkdtempSync(join(tmpdir(), 'vg-tls-'));
  // the certificate names the address the nodes dial: Redis's address in its namespace
  cert = selfSignedCert(certDir, site.attacker4);
  redis = new TestRedis({ netns: site.attacker, tls: { port: TLS_PORT, cert: cert.cert, key: cert.key, bind: site.attacker4 } });
  await redis.start();
  const other = await createNetnsPair();
  pairs.push(other);
  t = makeNode('t', site, `redis = rediss://${site.attacker4}:${TLS_PORT}\nredis.cafile = ${cert.cert}`);
  u = makeNode('u', other, `redis = unix:${redis.socket}`);
  for (const n of [t, u]) await start(n);
});

after(async () => {
  for (const n of nodes) {
    await stop(n);
    removeConfig(n.cfg);
  }
  await redis?.destroy();
  for (const p of pairs) await p.destroy();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

test('a node on rediss:// trusting the self-signed certificate through redis.cafile shares bans both ways', { skip }, async () => {
  await waitFor('T connected over TLS', () => cluster(t).connected);
  const s = cluster(t);
  assert.equal(s.redis, `rediss://${site.attacker4}:${TLS_PORT}`, 'the address, never the password');
  assert.match(cli(t.cfg, ['status']).out, new RegExp(`Cluster:\\tconnected to rediss://${site.attacker4.replace(/\./g, '\\.')}:${TLS_PORT} as t, `));
  // T's attacker fails twice on T: T bans it, U's kernel rejects it too
  attack(t.cfg.log, '198.51.100.21', 2);
  await waitFor("the ban in T's kernel", async () => (await kernel(t)).includes('198.51.100.21'));
  await waitFor("the ban in U's kernel", async () => (await kernel(u)).includes('198.51.100.21'));
  assert.equal(cluster(u).lastApplied?.node, 't');
  // and the other way: a manual ban on U reaches T through TLS
  assert.equal(cli(u.cfg, ['set', 'asterisk', 'banip', '198.51.100.22']).code, 0);
  await waitFor("U's ban in T's kernel", async () => (await kernel(t)).includes('198.51.100.22'));
  assert.equal(cluster(t).lastApplied?.node, 'u');
  // the doctor, with T's settings, sees the fleet (after both nodes' heartbeats) and writes nothing
  await waitFor('T sees t and u', () => ['t', 'u'].every((x) => cluster(t).nodesSeen.includes(x)));
  const addr = site.attacker4.replace(/\./g, '\\.');
  assert.match(
    doctorCluster(t),
    new RegExp(`^ok\\s+cluster\\s+Redis at rediss://${addr}:${TLS_PORT} answers: 2 nodes seen in the last minute \\((?:t, u|u, t)\\), 2 active shared bans, `),
  );
});

test('without redis.cafile the certificate is refused: the node never connects, bans alone, and says why', { skip }, async () => {
  // V takes T's place in the same namespace, with the same URL and no CA file
  await stop(t);
  const v = makeNode('v', site, `redis = rediss://${site.attacker4}:${TLS_PORT}`);
  await start(v);
  const s = cluster(v);
  assert.equal(s.connected, false);
  assert.match(s.error ?? '', /certificate/i, `status cluster says why: ${s.error}`);
  assert.match(cli(v.cfg, ['status']).out, /Cluster:\tNOT connected to rediss:.* \(.*certificate.*\)/i);
  assert.match(readFileSync(v.cfg.daemonLog, 'utf8'), /"event":"cluster-state","state":"disconnected".*certificate/i);
  // and so does the doctor, with the fix
  assert.match(doctorCluster(v), /^warn\s+cluster\s+cannot use Redis at rediss:.*certificate.*\n\s+fix: .*redis\.cafile/i);
  // its own bans still reach its kernel
  attack(v.cfg.log, '198.51.100.23', 2);
  await waitFor("the ban in V's kernel", async () => (await kernel(v)).includes('198.51.100.23'));
  assert.equal(cluster(v).connected, false, 'still not connected');
});
