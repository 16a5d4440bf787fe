// The fleet logic on the in-memory Redis twin: attacker cases first (forged, malformed, protected
// entries are refused and counted, never applied), then sharing, catch-up, outage and resume.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryRedis } from '../fakes/memory-bus.js';
import { MemoryStore } from '../fakes/memory-store.js';
import { waitFor } from '../helpers/wait-for.js';
import { encodeEntry, packEntry, type ClusterEntry } from '../../src/cluster/wire.js';
import { SNAPSHOT_PIECE } from '../../src/cluster/stream-applier.js';
import { makeNode, type TestNode } from './cluster-kit.js';

const HOUR = 3_600_000;
const flat = (e: ClusterEntry): string[] => Object.entries(encodeEntry(e)).flat();
const ban = (over: Partial<Extract<ClusterEntry, { op: 'ban' }>> = {}): string[] =>
  flat({ op: 'ban', node: 'evil', jail: 'asterisk', ip: '203.0.113.9', reason: 'detected', banCount: 1, start: Date.now(), until: Date.now() + HOUR, ...over });

async function stopAll(...nodes: TestNode[]): Promise<void> {
  for (const n of nodes) await n.node.stop();
}

test('forged entries are refused and counted by reason, and none reaches a jail', async () => {
  const redis = new MemoryRedis();
  const c = makeNode(redis, 'c', {
    jails: ['asterisk'],
    ignoreip: ['198.51.100.0/24'],
    host: { addresses: () => ['192.0.2.10'] },
    registrations: { isRegistered: (ip) => ip === '192.0.2.77', isRegisteredFor: () => false, addresses: () => ['192.0.2.77'] },
  });
  await c.node.start(c.jails);
  const forged: string[][] = [
    ban({ ip: '999.1.1.1' }), // address
    ban({ ip: '203.0.113.9; rm -rf /' }), // address
    ban({ until: Date.now() + 365 * 24 * HOUR }), // bantime
    ban({ until: null }), // bantime (permanent)
    ban({ jail: 'no-such-jail' }), // jail
    ban({ reason: 'account-attack' }), // reason not accepted
    ban({ ip: '10.0.0.0/8', reason: 'subnet' }), // address: wider than /16 (checked before the reason)
    ban({ ip: '203.0.113.0/24' }), // address: a range with reason detected
    ban({ ip: '198.51.100.7' }), // protected: ignoreip
    ban({ ip: '192.0.2.10' }), // protected: the host's own address
    ban({ ip: '192.0.2.77' }), // protected: a live registration
    ban({ ip: '127.0.0.1' }), // protected: loopback
    ['v', '1', 'op', 'ban'], // malformed: fields missing
    ['garbage'], // malformed: odd list
    ['v', '2', 'op', 'ban', 'node', 'x', 'jail', 'asterisk', 'ip', '203.0.113.9'], // malformed: unknown version
    ban({ node: 'a b c' }), // malformed: node name
    [...ban(), ...Array.from({ length: 40 }, (_, i) => String(i))], // malformed: oversized
  ];
  for (const f of forged) redis.inject(f);
  const total = () => Object.values(c.node.report().refused).reduce((a, b) => a + b, 0);
  await waitFor(() => total() === forged.length, { what: 'every forged entry refused' });
  assert.deepEqual(c.node.report().refused, { address: 4, bantime: 2, jail: 1, reason: 1, protected: 4, malformed: 5 });
  assert.equal(c.jails.kernel.get('asterisk')!.size, 0);
  assert.equal(c.node.report().applied, 0);
  await stopAll(c);
});

test('packed entries naming this node as their origin are skipped before they are parsed; a node named like it is not', async () => {
  const redis = new MemoryRedis();
  const c = makeNode(redis, 'c');
  await c.node.start(c.jails);
  try {
    await ownEntriesSkipped(redis, c);
  } finally {
    await stopAll(c);
  }
});

async function ownEntriesSkipped(redis: MemoryRedis, c: TestNode): Promise<void> {
  const packed = (over: Partial<Extract<ClusterEntry, { op: 'ban' }>>): string[] =>
    packEntry(
      JSON.stringify(
        encodeEntry({
          op: 'ban',
          node: 'c',
          jail: 'asterisk',
          ip: '203.0.113.21',
          reason: 'detected',
          banCount: 1,
          start: Date.now(),
          until: Date.now() + HOUR,
          ...over,
        }),
      ),
    );
  // its own entry as RedisBus publishes it, its own unban, and one that only starts like its own:
  // read back, none is applied, and the broken one is not even parsed (no malformed refusal)
  redis.inject(packed({}));
  redis.inject(packEntry(JSON.stringify(encodeEntry({ op: 'unban', node: 'c', jail: 'asterisk', ip: '203.0.113.21', time: Date.now() }))));
  redis.inject(packed({}).map((f, i) => (i === 1 ? `${f.slice(0, f.indexOf('"jail"'))}not json` : f)));
  // a node whose name begins with this one's is another node
  redis.inject(packed({ node: 'c2', ip: '203.0.113.22' }));
  await waitFor(() => c.node.report().applied === 1, { what: "c2's ban applied" });
  await waitFor(() => c.node.report().cursor === redis.stream.at(-1)!.id, { what: 'C read the stream' });
  assert.deepEqual([...c.jails.kernel.get('asterisk')!.keys()], ['203.0.113.22']);
  assert.deepEqual(c.node.report().refused, {});
}

test("a ban on A reaches B and C's kernels with reason cluster and its origin; A hears no echo", async () => {
  const redis = new MemoryRedis();
  const [a, b, c] = ['a', 'b', 'c'].map((n) => makeNode(redis, n));
  for (const n of [a!, b!, c!]) await n.node.start(n.jails);
  await a!.jails.localBan('asterisk', '203.0.113.5', Date.now());
  for (const n of [b!, c!]) {
    await waitFor(() => n.jails.kernel.get('asterisk')!.get('203.0.113.5') === 'cluster', { what: `${n.node.node} bans 203.0.113.5` });
    assert.equal(n.node.report().lastApplied?.node, 'a');
    assert.deepEqual(n.node.report().bansByOrigin, { a: 1 });
  }
  // no echo: B and C do not republish what they applied, A applies nothing of its own
  await waitFor(() => a!.node.report().cursor === redis.stream.at(-1)!.id, { what: 'A read the stream' });
  assert.equal(redis.stream.length, 1);
  assert.equal(a!.node.report().applied, 0);
  assert.equal(a!.jails.kernel.get('asterisk')!.get('203.0.113.5'), 'detected');
  await stopAll(a!, b!, c!);
});

test('the ignoreip of C refuses an entry on C only', async () => {
  const redis = new MemoryRedis();
  const a = makeNode(redis, 'a');
  const b = makeNode(redis, 'b');
  const c = makeNode(redis, 'c', { ignoreip: ['203.0.113.0/28'] });
  for (const n of [a, b, c]) await n.node.start(n.jails);
  await a.jails.localBan('asterisk', '203.0.113.3', Date.now());
  await waitFor(() => b.jails.kernel.get('asterisk')!.has('203.0.113.3'), { what: 'B bans it' });
  await waitFor(() => c.node.report().refused.protected === 1, { what: 'C refuses it' });
  assert.equal(c.jails.kernel.get('asterisk')!.has('203.0.113.3'), false);
  await stopAll(a, b, c);
});

test('a new node loads every active shared ban before start() resolves', async () => {
  const redis = new MemoryRedis();
  const a = makeNode(redis, 'a');
  await a.node.start(a.jails);
  for (let i = 0; i < 300; i++) await a.jails.localBan('asterisk', `198.18.${i >> 8}.${i & 255}`, Date.now());
  await waitFor(() => redis.bans.size === 300, { what: 'the active set' });
  redis.trim(10); // the stream alone would not hold them
  const d = makeNode(redis, 'd');
  await d.node.start(d.jails);
  assert.equal(d.jails.kernel.get('asterisk')!.size, 300);
  assert.equal(d.node.report().cursor, redis.stream.at(-1)!.id);
  await stopAll(a, d);
});

test('Redis down while A bans: A bans at once, the news waits, and B catches up when Redis returns', async () => {
  const redis = new MemoryRedis();
  const a = makeNode(redis, 'a');
  const b = makeNode(redis, 'b');
  for (const n of [a, b]) await n.node.start(n.jails);
  redis.down();
  for (let i = 0; i < 50; i++) await a.jails.localBan('asterisk', `198.18.0.${i}`, Date.now());
  assert.equal(a.jails.kernel.get('asterisk')!.size, 50, 'every local ban is in the kernel while Redis is down');
  assert.equal(a.node.report().queue, 50);
  assert.equal(a.node.report().connected, false);
  redis.restore();
  await waitFor(() => b.jails.kernel.get('asterisk')!.size === 50, { what: 'B catches up' });
  assert.equal(a.node.report().queue, 0);
  assert.equal(a.node.report().published, 50);
  await stopAll(a, b);
});

test('a full queue drops the oldest news, never a ban, and resyncs the active bans when Redis returns', async () => {
  const redis = new MemoryRedis();
  const a = makeNode(redis, 'a', { queueLimit: 10 });
  const b = makeNode(redis, 'b');
  for (const n of [a, b]) await n.node.start(n.jails);
  redis.down();
  for (let i = 0; i < 40; i++) await a.jails.localBan('asterisk', `198.18.1.${i}`, Date.now());
  assert.equal(a.jails.kernel.get('asterisk')!.size, 40);
  assert.equal(a.node.report().queue, 10);
  assert.equal(a.node.report().dropped, 30);
  redis.restore();
  await waitFor(() => b.jails.kernel.get('asterisk')!.size === 40, { what: 'B gets all 40 through the resync' });
  await stopAll(a, b);
});

test('a new node is ready once its kernel holds the active set; the cursor waits for the store, so a node stopped dead before then loads the set again', async () => {
  const redis = new MemoryRedis();
  const a = makeNode(redis, 'a');
  await a.node.start(a.jails);
  for (let i = 0; i < 50; i++) await a.jails.localBan('asterisk', `198.18.0.${i + 1}`, Date.now());
  await waitFor(() => redis.bans.size === 50, { what: 'the active set' });
  const store = new MemoryStore();
  const d = makeNode(redis, 'd', { store });
  // the store writes of the bulk door are still running when the kernel has the bans
  let release!: () => void;
  const writing = new Promise<void>((r) => (release = r));
  d.jails.stored = () => writing;
  await d.node.start(d.jails);
  assert.equal(d.jails.kernel.get('asterisk')!.size, 50, 'ready with every ban in the kernel');
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  assert.equal(store.getClusterCursor('vg'), undefined, 'no cursor before the store has them');
  // killed now: a new process on the same store knows no position and loads the set again
  const again = makeNode(redis, 'd', { store });
  await again.node.start(again.jails);
  assert.equal(again.jails.kernel.get('asterisk')!.size, 50);
  assert.ok(again.records.some((r) => r.event === 'cluster-snapshot' && r.reason === 'first-start'));
  release();
  await waitFor(() => store.getClusterCursor('vg') === redis.stream.at(-1)!.id, { what: 'the cursor, once stored' });
  await stopAll(a, d, again);
});

test('a restart resumes after the saved stream ID; a trimmed stream falls back to the active set', async () => {
  const redis = new MemoryRedis();
  const a = makeNode(redis, 'a');
  const store = new MemoryStore();
  let b = makeNode(redis, 'b', { store });
  for (const n of [a, b]) await n.node.start(n.jails);
  await a.jails.localBan('asterisk', '203.0.113.1', Date.now());
  await waitFor(() => b.jails.kernel.get('asterisk')!.has('203.0.113.1'), { what: 'B bans .1' });
  await waitFor(() => store.getClusterCursor('vg') === redis.stream.at(-1)!.id, { what: 'the cursor saved' });
  await b.node.stop();
  await a.jails.localBan('asterisk', '203.0.113.2', Date.now());
  await waitFor(() => redis.stream.length === 2, { what: 'published' });
  b = makeNode(redis, 'b', { store });
  await b.node.start(b.jails);
  await waitFor(() => b.jails.kernel.get('asterisk')!.has('203.0.113.2'), { what: 'B resumes with .2' });
  assert.equal(b.jails.kernel.get('asterisk')!.has('203.0.113.1'), false, 'not reloaded: it resumed after the cursor');
  await b.node.stop();
  // now the stream is trimmed past B's cursor: the active set fills the gap
  for (let i = 3; i < 8; i++) await a.jails.localBan('asterisk', `203.0.113.${i}`, Date.now());
  await waitFor(() => redis.stream.length === 7, { what: 'published' });
  redis.trim(1);
  b = makeNode(redis, 'b', { store });
  await b.node.start(b.jails);
  for (let i = 3; i < 8; i++) assert.ok(b.jails.kernel.get('asterisk')!.has(`203.0.113.${i}`), `.${i} from the active set`);
  assert.ok(b.records.some((r) => r.event === 'cluster-snapshot' && r.reason === 'trimmed'));
  await stopAll(a, b);
});

test("another node's unban lifts only a ban the fleet made here, never a local one", async () => {
  const redis = new MemoryRedis();
  const a = makeNode(redis, 'a');
  const b = makeNode(redis, 'b');
  for (const n of [a, b]) await n.node.start(n.jails);
  await a.jails.localBan('asterisk', '203.0.113.20', Date.now());
  await b.jails.localBan('asterisk', '203.0.113.21', Date.now());
  await waitFor(() => b.jails.kernel.get('asterisk')!.has('203.0.113.20') && a.jails.kernel.get('asterisk')!.has('203.0.113.21'), { what: 'both shared' });
  // a forged unban of B's own detected ban, and a real manual unban on A
  redis.inject(flat({ op: 'unban', node: 'a', jail: 'asterisk', ip: '203.0.113.21', time: Date.now() }));
  const ds = a.jails.engines.get('asterisk')!.unban('203.0.113.20', Date.now());
  await a.jails.commit('asterisk', ds);
  await waitFor(() => !b.jails.kernel.get('asterisk')!.has('203.0.113.20'), { what: "A's manual unban lifts B's cluster ban" });
  assert.equal(b.jails.kernel.get('asterisk')!.get('203.0.113.21'), 'detected', "B's own ban stays");
  await stopAll(a, b);
});

test('only the jails named by [cluster] jails publish and accept', async () => {
  const redis = new MemoryRedis();
  const a = makeNode(redis, 'a', { jails: ['asterisk', 'sshd'], shared: ['asterisk'] });
  const b = makeNode(redis, 'b', { jails: ['asterisk', 'sshd'], shared: ['asterisk'] });
  for (const n of [a, b]) await n.node.start(n.jails);
  await a.jails.localBan('sshd', '203.0.113.30', Date.now());
  await a.jails.localBan('asterisk', '203.0.113.31', Date.now());
  await waitFor(() => b.jails.kernel.get('asterisk')!.has('203.0.113.31'), { what: 'the shared jail' });
  assert.equal(redis.stream.length, 1);
  redis.inject(ban({ jail: 'sshd', ip: '203.0.113.32' }));
  await waitFor(() => b.node.report().refused.jail === 1, { what: 'sshd refused on B' });
  assert.equal(b.jails.kernel.get('sshd')!.size, 0);
  await stopAll(a, b);
});

test('a Redis that is down at start lets the node start, and it catches up when Redis comes', async () => {
  const redis = new MemoryRedis();
  const a = makeNode(redis, 'a');
  await a.node.start(a.jails);
  await a.jails.localBan('asterisk', '203.0.113.40', Date.now());
  await waitFor(() => redis.bans.size === 1, { what: 'published' });
  redis.down();
  const d = makeNode(redis, 'd', { startWaitMs: 20 });
  await d.node.start(d.jails);
  assert.equal(d.jails.kernel.get('asterisk')!.size, 0);
  redis.restore();
  await waitFor(() => d.jails.kernel.get('asterisk')!.has('203.0.113.40'), { what: 'D catches up' });
  await stopAll(a, d);
});

test('while Redis is away, the report says why (the client error, one line), and nothing once connected again', async () => {
  const redis = new MemoryRedis();
  const a = makeNode(redis, 'a');
  await a.node.start(a.jails);
  assert.equal(a.node.report().error, null);
  redis.down(new Error('self-signed certificate\n\u001b[31min chain'));
  assert.equal(a.node.report().connected, false);
  assert.equal(a.node.report().error, 'self-signed certificate  [31min chain');
  redis.restore();
  await waitFor(() => a.node.report().connected, { what: 'connected again' });
  assert.equal(a.node.report().error, null);
  await stopAll(a);
});

test('compromise bans stay local; account-attack bans are applied only where accepted', async () => {
  const redis = new MemoryRedis();
  const a = makeNode(redis, 'a');
  const b = makeNode(redis, 'b');
  const c = makeNode(redis, 'c', { accept: ['detected', 'manual', 'account-attack'] });
  for (const n of [a, b, c]) await n.node.start(n.jails);
  await a.jails.localBan('asterisk', '203.0.113.50', Date.now(), 'compromise');
  await a.jails.localBan('asterisk', '203.0.113.51', Date.now(), 'account-attack');
  await waitFor(() => c.jails.kernel.get('asterisk')!.has('203.0.113.51'), { what: 'C applies the account-attack ban' });
  await waitFor(() => b.node.report().refused.reason === 1, { what: 'B refuses it (not in its accept)' });
  assert.equal(redis.stream.length, 1, 'the compromise ban was not published');
  assert.equal(b.jails.kernel.get('asterisk')!.size, 0);
  await stopAll(a, b, c);
});

test('a publish that failed just before Redis dropped goes as soon as it is back, not after its backoff', async () => {
  const redis = new MemoryRedis();
  // a retry would wait a minute: the news must not
  const slow = { firstMs: 60_000, baseMs: 60_000, factor: 2, capMs: 60_000, jitter: 0 };
  const a = makeNode(redis, 'a', { backoff: slow });
  const b = makeNode(redis, 'b');
  for (const n of [a, b]) await n.node.start(n.jails);
  redis.up = false; // Redis died; the client has not noticed yet: the publish fails, a retry is set
  await a.jails.localBan('asterisk', '198.18.0.7', Date.now());
  await waitFor(() => a.bus.publishCalls > 0 && a.node.report().queue === 1, { what: 'the failed publish' });
  redis.down();
  redis.restore();
  await waitFor(() => b.jails.kernel.get('asterisk')!.has('198.18.0.7'), { what: 'B has the ban', timeoutMs: 5_000 });
  assert.equal(a.node.report().queue, 0);
  await stopAll(a, b);
});

/** The forged entries of the first test, and the refusals they must earn on any path. */
function forgedEntries(): string[][] {
  return [
    ban({ ip: '999.1.1.1' }),
    ban({ ip: '203.0.113.9; rm -rf /' }),
    ban({ until: Date.now() + 365 * 24 * HOUR }),
    ban({ until: null }),
    ban({ jail: 'no-such-jail' }),
    ban({ reason: 'account-attack' }),
    ban({ ip: '10.0.0.0/8', reason: 'subnet' }),
    ban({ ip: '203.0.113.0/24' }),
    ban({ ip: '198.51.100.7' }),
    ban({ ip: '192.0.2.10' }),
    ban({ ip: '192.0.2.77' }),
    ban({ ip: '127.0.0.1' }),
    ['v', '1', 'op', 'ban'],
    ['garbage'],
    ['v', '2', 'op', 'ban', 'node', 'x', 'jail', 'asterisk', 'ip', '203.0.113.9'],
    ban({ node: 'a b c' }),
    [...ban(), ...Array.from({ length: 40 }, (_, i) => String(i))],
  ];
}
const FORGED_REFUSALS = { address: 4, bantime: 2, jail: 1, reason: 1, protected: 4, malformed: 5 };
const guarded = {
  jails: ['asterisk'],
  ignoreip: ['198.51.100.0/24'],
  host: { addresses: () => ['192.0.2.10'] },
  registrations: { isRegistered: (ip: string) => ip === '192.0.2.77', isRegisteredFor: () => false, addresses: () => ['192.0.2.77'] },
};
const good = (i: number): string[] => ban({ node: 'a', ip: `100.64.${i >> 8}.${i & 255}` });

test('bulk path, snapshot: forged active-set values are refused and counted as on the single path; the good ones go in one commit', async () => {
  const redis = new MemoryRedis();
  for (let i = 0; i < 500; i++) redis.bans.set(`asterisk g${i}`, JSON.stringify(Object.fromEntries(pairs(good(i)))));
  forgedEntries().forEach((f, i) => redis.bans.set(`forged ${i}`, f.length % 2 ? JSON.stringify(f) : JSON.stringify(Object.fromEntries(pairs(f)))));
  redis.bans.set('forged json', '{"v":"1","op":'); // not JSON
  redis.bans.set('forged array', '["v","1"]'); // not an object
  const d = makeNode(redis, 'd', guarded);
  await d.node.start(d.jails);
  assert.deepEqual(d.node.report().refused, { ...FORGED_REFUSALS, malformed: FORGED_REFUSALS.malformed + 2 });
  assert.equal(d.jails.kernel.get('asterisk')!.size, 500);
  assert.deepEqual(d.jails.commits, [{ jail: 'asterisk', n: 500, bulk: true }]);
  const snap = d.records.find((r) => r.event === 'cluster-snapshot')!;
  assert.equal(snap.applied, 500);
  assert.deepEqual(snap.refused, { ...FORGED_REFUSALS, malformed: FORGED_REFUSALS.malformed + 2 });
  // each ban at debug, none at info
  assert.equal(d.records.filter((r) => r.event === 'cluster-ban' && r.level === 'info').length, 0);
  await stopAll(d);
});

test('bulk path, catch-up: a large read with forged entries refuses and counts them as one at a time would, and sums up in one line', async () => {
  const redis = new MemoryRedis();
  const b = makeNode(redis, 'b', guarded);
  await b.node.start(b.jails);
  redis.inject(good(999)); // B has a position in the stream: it resumes from there
  await waitFor(() => b.jails.kernel.get('asterisk')!.size === 1, { what: 'the first one' });
  redis.down();
  for (let i = 0; i < 300; i++) redis.inject(good(i));
  for (const f of forgedEntries()) redis.inject(f);
  redis.restore();
  await waitFor(() => b.jails.kernel.get('asterisk')!.size === 301 && b.node.report().refused.malformed === FORGED_REFUSALS.malformed, {
    what: 'the catch-up applied',
  });
  assert.deepEqual(b.node.report().refused, FORGED_REFUSALS);
  assert.deepEqual(
    b.jails.commits.slice(1).map((c) => c.bulk),
    b.jails.commits.slice(1).map(() => true),
  );
  const sums = b.records.filter((r) => r.event === 'cluster-applied');
  assert.equal(
    sums.reduce((n, r) => n + (r.applied as number), 0),
    300,
  );
  // the one of the first, single read only
  assert.equal(b.records.filter((r) => r.event === 'cluster-ban' && r.level === 'info').length, 1);
  await stopAll(b);
});

test('a small read stays on the single path: each ban logged at info, no summary', async () => {
  const redis = new MemoryRedis();
  const b = makeNode(redis, 'b');
  await b.node.start(b.jails);
  for (let i = 0; i < 3; i++) redis.inject(good(i));
  await waitFor(() => b.jails.kernel.get('asterisk')!.size === 3, { what: 'applied' });
  assert.equal(b.records.filter((r) => r.event === 'cluster-ban' && r.level === 'info').length, 3);
  assert.equal(b.records.filter((r) => r.event === 'cluster-applied').length, 0);
  assert.ok(b.jails.commits.every((c) => !c.bulk));
  await stopAll(b);
});

function pairs(list: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < list.length; i += 2) out.push([list[i]!, list[i + 1]!]);
  return out;
}

test('a large snapshot is checked and committed in pieces (a piece goes to the kernel while the next is checked), all in before start() resolves', async (t) => {
  const redis = new MemoryRedis();
  const n = SNAPSHOT_PIECE * 2 + 500;
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    const ip = `100.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
    const e: ClusterEntry = { op: 'ban', node: 'a', jail: 'asterisk', ip, reason: 'detected', banCount: 1, start: now, until: now + HOUR };
    redis.bans.set(`asterisk ${ip}`, JSON.stringify(encodeEntry(e)));
  }
  const d = makeNode(redis, 'd');
  // how many bans the jail had decided when each piece was committed
  const decidedAtCommit: number[] = [];
  const commit = d.jails.commit.bind(d.jails);
  d.jails.commit = (jail, ds, bulk) => {
    decidedAtCommit.push(d.jails.engines.get(jail)!.bannedCount);
    return commit(jail, ds, bulk);
  };
  await d.node.start(d.jails);
  // stopped whatever the assertions say: a node left running holds the test file open
  t.after(() => stopAll(d));
  assert.deepEqual(
    d.jails.commits.map((c) => [c.n, c.bulk]),
    [
      [SNAPSHOT_PIECE, true],
      [SNAPSHOT_PIECE, true],
      [500, true],
    ],
  );
  assert.deepEqual(decidedAtCommit, [SNAPSHOT_PIECE, SNAPSHOT_PIECE * 2, n]);
  assert.equal(d.jails.kernel.get('asterisk')!.size, n, 'every ban in the kernel once start() resolved');
  const snap = d.records.find((r) => r.event === 'cluster-snapshot')!;
  assert.equal(snap.applied, n);
  assert.deepEqual(snap.refused, {});
});
