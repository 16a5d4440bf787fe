// The fleet on real parts: a redis-server with a password started by the test (on a unix socket,
// which every network namespace reaches), built daemons in their own namespaces sharing it. An
// attack on A is rejected by B and C's kernels; a node started later has every active ban before it
// answers; an address in C's ignoreip is refused by C only; forged entries are refused and counted;
// Redis killed while A bans costs A nothing, and B and C catch up when it returns.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createNetnsPair } from '../helpers/netns.js';
import { HAVE_REDIS, TestRedis } from '../helpers/redis-server.js';
import { attack, build, cli, removeConfig, waitFor as waitForFact } from './daemon-harness.js';
import { clusterStatus, fleetNode, startFleetNode, stopFleetNode, type FleetNode } from './fleet-kit.js';

const JAIL = `
[asterisk]
enabled = true
logpath = $LOG
maxretry = 3
findtime = 10m
bantime = 1h
`;

const root = process.getuid?.() === 0;
const skip = !root ? 'needs root for network namespaces' : !HAVE_REDIS ? 'redis-server is not installed' : false;
const PREFIX = `vgt${process.pid}`;

type Node = FleetNode;

let redis: TestRedis;
const nodes: Node[] = [];

async function makeNode(name: string, ignoreip = ''): Promise<Node> {
  const pair = await createNetnsPair();
  await pair.serve([5060]);
  const jail = ignoreip ? JAIL + `ignoreip = 127.0.0.1/8 ::1 ${ignoreip}\n` : JAIL;
  const n = fleetNode(name, pair, jail, `redis = unix:${redis.socket}`, redis.password, PREFIX);
  nodes.push(n);
  return n;
}

const start = (n: Node): Promise<void> => startFleetNode(n, 'ping');
const cluster = clusterStatus;

function banned(n: Node): string[] {
  const r = cli(n.cfg, ['get', 'asterisk', 'banip', '--json']);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as string[];
}

/** The addresses in the defender's iptables rules (the kernel, not the daemon's idea of it). */
async function kernel(n: Node): Promise<string> {
  return (await n.pair.exec(n.pair.defender, ['iptables', '-S'])).stdout;
}

/** Generous bounds: four daemons and their CLIs share a machine that may be busy. */
const waitFor = <T>(what: string, fn: () => T | Promise<T>, ms = 60_000): Promise<T> => waitForFact(what, fn, ms);

const udp = (n: Node) => n.pair.probe('udp', n.pair.defender4, 5060);

let a: Node, b: Node, c: Node;

before(async () => {
  if (skip) return;
  build();
  redis = new TestRedis();
  await redis.start();
  a = await makeNode('a');
  b = await makeNode('b');
  c = await makeNode('c', '198.51.100.7');
  for (const n of [a, b, c]) await start(n);
});

after(async () => {
  for (const n of nodes) {
    await stopFleetNode(n);
    await n.pair.destroy();
    removeConfig(n.cfg);
  }
  await redis?.destroy();
});

test('an attack on A is rejected by the kernels of B and C', { skip }, async () => {
  for (const n of [a, b, c]) assert.equal(await udp(n), 'reply', `${n.name} answers before the attack`);
  attack(a.cfg.log, a.pair.attacker4, 3);
  await waitFor('A bans the attacker', async () => (await udp(a)) === 'refused');
  for (const n of [b, c]) await waitFor(`${n.name} rejects the attacker`, async () => (await udp(n)) === 'refused');
  const s = cluster(b);
  assert.equal(s.connected, true);
  assert.equal(s.lastApplied?.node, 'a');
  assert.equal(s.lastApplied?.ip, a.pair.attacker4);
  // heartbeats every 10 s: B lists C once it has beaten after C's start
  await waitFor('B sees a, b and c', () => ['a', 'b', 'c'].every((x) => cluster(b).nodesSeen.includes(x)));
  assert.match(cli(b.cfg, ['status']).out, /Cluster:\tconnected to unix:.* as b, /);
  assert.equal(cluster(a).applied, 0, 'A applies nothing of its own');
});

test('a node started afterwards has every active ban before it answers', { skip }, async () => {
  // more than one ban: the attacker, and manual ones on B
  const extra = ['198.51.100.40', '198.51.100.41', '198.51.100.42'];
  assert.equal(cli(b.cfg, ['set', 'asterisk', 'banip', ...extra]).code, 0);
  await waitFor('the bans in the active set', () => Number(redis.cli(['HLEN', `${PREFIX}:bans`]).trim()) >= 4);
  const d = await makeNode('d');
  await start(d);
  // the first request other than ping waits for the start, the fleet's catch-up included (a
  // loaded machine may time the client out first: that request was not answered, so it is retried)
  const list = (await waitFor('D answers a request', () => {
    const r = cli(d.cfg, ['get', 'asterisk', 'banip', '--json']);
    return r.code === 0 ? (JSON.parse(r.out) as string[]) : null;
  }))!;
  for (const ip of [d.pair.attacker4, ...extra]) assert.ok(list.includes(ip), `${ip} in D's list: ${list.join(' ')}`);
  const rules = await kernel(d);
  for (const ip of extra) assert.ok(rules.includes(ip), `${ip} in D's kernel`);
  assert.equal(await udp(d), 'refused');
});

test("an address in C's ignoreip is refused by C only", { skip }, async () => {
  const before = cluster(c).refused.protected ?? 0;
  assert.equal(cli(a.cfg, ['set', 'asterisk', 'banip', '198.51.100.7']).code, 0);
  await waitFor('B bans 198.51.100.7', () => banned(b).includes('198.51.100.7'));
  await waitFor('C refuses it', () => (cluster(c).refused.protected ?? 0) === before + 1);
  assert.equal(banned(c).includes('198.51.100.7'), false);
});

test('forged entries (bad address, absurd ban time, unknown jail, garbage) are refused, counted, and harm nothing', { skip }, async () => {
  const before = cluster(b).refused;
  const now = Date.now();
  const entry = (over: Record<string, string>): string[] =>
    Object.entries({
      v: '1',
      op: 'ban',
      node: 'mallory',
      jail: 'asterisk',
      ip: '203.0.113.66',
      reason: 'detected',
      count: '1',
      start: String(now),
      until: String(now + 60_000),
      ...over,
    }).flat();
  redis.cli(['XADD', `${PREFIX}:stream`, '*', ...entry({ ip: '10.213.0.2; iptables -F' })]);
  redis.cli(['XADD', `${PREFIX}:stream`, '*', ...entry({ until: String(now + 10 * 365 * 86_400_000) })]);
  redis.cli(['XADD', `${PREFIX}:stream`, '*', ...entry({ jail: 'no-such-jail' })]);
  redis.cli(['XADD', `${PREFIX}:stream`, '*', 'rubbish', 'x']);
  await waitFor('B counts the four', () => {
    const r = cluster(b).refused;
    return ['address', 'bantime', 'jail', 'malformed'].every((k) => (r[k] ?? 0) === (before[k] ?? 0) + 1);
  });
  assert.equal(banned(b).includes('203.0.113.66'), false);
  assert.equal(cli(b.cfg, ['ping']).code, 0);
});

test('Redis killed while A bans: A bans at once; B and C catch up when Redis returns', { skip }, async () => {
  await redis.stop('SIGKILL');
  await waitFor('A sees Redis gone', () => !cluster(a).connected);
  const ips = Array.from({ length: 5 }, (_, i) => `198.51.100.${100 + i}`);
  // one request per address: each answers once its ban is in the kernel
  for (const ip of ips) assert.equal(cli(a.cfg, ['set', 'asterisk', 'banip', ip]).code, 0);
  // the reply came after the kernel took them: no wait for Redis
  const rules = await kernel(a);
  for (const ip of ips) assert.ok(rules.includes(ip), `${ip} in A's kernel while Redis is down`);
  assert.equal(cluster(a).queue, ips.length);
  await redis.start();
  for (const n of [b, c]) {
    await waitFor(`${n.name} catches up`, () => ips.every((ip) => banned(n).includes(ip)));
    const k = await kernel(n);
    for (const ip of ips) assert.ok(k.includes(ip), `${ip} in ${n.name}'s kernel`);
  }
  assert.equal(cluster(a).queue, 0);
});
