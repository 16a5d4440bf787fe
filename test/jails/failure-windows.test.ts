import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureWindows } from '../../src/jails/failure-windows.js';
import { CollidingHasher, MIN, T0 } from './jail-kit.js';
import { settledMemory } from '../helpers/settled-memory.js';

test('the maxretry-th failure inside findtime reaches the threshold; a failure exactly findtime old still counts', () => {
  const w = new FailureWindows(3, 10 * MIN, 100);
  assert.equal(w.add('203.0.113.5', T0), 1);
  assert.equal(w.add('203.0.113.5', T0 + 5 * MIN), 2);
  assert.equal(w.add('203.0.113.5', T0 + 10 * MIN), 3);
});

test('failures spread wider than findtime never reach the threshold, however many there are', () => {
  const w = new FailureWindows(3, 10 * MIN, 100);
  let max = 0;
  // every 5m01s: any three of them span more than 10 minutes
  for (let i = 0; i < 50; i++) max = Math.max(max, w.add('203.0.113.5', T0 + i * (5 * MIN + 1000)));
  assert.equal(max, 2);
});

test('a first/last/count window would ban here; the sliding window does not (fail2ban rescaling case)', () => {
  const w = new FailureWindows(3, 10 * MIN, 100);
  // 0, 9, 18 minutes: each pair fits, no three do
  assert.equal(w.add('a', T0), 1);
  assert.equal(w.add('a', T0 + 9 * MIN), 2);
  assert.equal(w.add('a', T0 + 18 * MIN), 2);
  assert.equal(w.add('a', T0 + 19 * MIN), 3);
});

test('events arriving out of order are placed by their time', () => {
  const w = new FailureWindows(3, 10 * MIN, 100);
  w.add('a', T0 + 9 * MIN);
  w.add('a', T0 + 30 * MIN);
  // older than the window of the newest failure: dropped, not counted
  assert.equal(w.add('a', T0 + 1 * MIN), 1);
  assert.equal(w.add('a', T0 + 25 * MIN), 2);
  assert.equal(w.add('a', T0 + 22 * MIN), 3);
});

test('the tracked-address cap evicts the least recently seen address and counts it', () => {
  const w = new FailureWindows(5, 10 * MIN, 3);
  w.add('a', T0);
  w.add('b', T0);
  w.add('c', T0);
  w.add('a', T0 + 1); // a seen again: b is now the least recently seen
  w.add('d', T0 + 2);
  assert.equal(w.size, 3);
  assert.equal(w.evicted, 1);
  assert.equal(w.count('b'), 0);
  assert.equal(w.count('a'), 2);
});

test('an address spraying attack cannot grow memory past the cap', () => {
  const w = new FailureWindows(5, 10 * MIN, 1000);
  for (let i = 0; i < 50_000; i++) w.add(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, T0 + i);
  assert.equal(w.size, 1000);
  assert.equal(w.evicted, 49_000);
});

test('prune forgets stale addresses from the least recently seen; currentlyFailed counts fresh ones', () => {
  const w = new FailureWindows(5, 10 * MIN, 100);
  w.add('old', T0);
  w.add('new', T0 + 9 * MIN);
  assert.equal(w.currentlyFailed(T0 + 15 * MIN), 1);
  assert.equal(w.prune(T0 + 15 * MIN), 1);
  assert.equal(w.size, 1);
  assert.equal(w.count('new'), 1);
});

test('maxretry 1 bans on the first failure without tracking anything', () => {
  const w = new FailureWindows(1, 10 * MIN, 100);
  assert.equal(w.add('a', T0), 1);
  assert.equal(w.size, 0);
});

test('eviction follows least-recently-seen order exactly, and each address keeps its own count, against a reference model (also with every address on one hash)', () => {
  for (const hasher of [undefined, new CollidingHasher(1)]) {
    const cap = 50;
    const w = new FailureWindows(1000, 10 * MIN, cap, hasher);
    const model: string[] = []; // least recently seen first
    const counts = new Map<string, number>();
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = 0; i < 20_000; i++) {
      const ip = `198.51.100.${Math.floor(rnd() * 120)}`;
      const at = model.indexOf(ip);
      if (at >= 0) model.splice(at, 1);
      else if (model.length >= cap) counts.delete(model.shift()!);
      model.push(ip);
      counts.set(ip, (counts.get(ip) ?? 0) + 1);
      assert.equal(w.add(ip, T0 + i), counts.get(ip), `failure ${i}`);
      if (i % 997 === 0) {
        const gone = model.splice(Math.floor(rnd() * model.length), 1)[0]!;
        counts.delete(gone);
        w.delete(gone);
      }
    }
    assert.equal(w.size, model.length);
    for (let k = 0; k < 120; k++) assert.equal(w.count(`198.51.100.${k}`), counts.get(`198.51.100.${k}`) ?? 0);
  }
});

test('a deleted or evicted address leaves nothing in the record the next address reuses', () => {
  const w = new FailureWindows(3, 10 * MIN, 2);
  w.add('203.0.113.1', T0);
  w.add('203.0.113.1', T0 + 1);
  w.delete('203.0.113.1'); // banned: its record goes back for reuse
  assert.equal(w.add('203.0.113.2', T0 + 2), 1);
  assert.deepEqual(w.times('203.0.113.2'), [T0 + 2]);
  w.add('203.0.113.3', T0 + 3);
  w.add('203.0.113.3', T0 + 4);
  assert.equal(w.add('203.0.113.4', T0 + 5), 1); // evicts .2
  assert.deepEqual(w.times('203.0.113.2'), []);
  assert.deepEqual(w.times('203.0.113.3'), [T0 + 3, T0 + 4]);
  assert.deepEqual(w.times('203.0.113.4'), [T0 + 5]);
  assert.equal(w.add('203.0.113.4', T0 + 6), 2);
  assert.equal(w.prune(T0 + 10 * MIN + 5), 1); // .3 left the window; .4 did not
  assert.equal(w.count('203.0.113.3'), 0);
  assert.equal(w.add('203.0.113.5', T0 + 10 * MIN + 6), 1);
  assert.equal(w.size, 2);
});

test('changed windows: each address once, in the order of its first change, against a Set model, through evictions, deletes and prunes', () => {
  const cap = 8;
  const w = new FailureWindows(4, 10 * MIN, cap);
  const changed = new Set<string>(); // the model: what a Set of changed addresses would report
  let seed = 7;
  const rnd = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000) * n);
  let t = T0;
  for (let i = 0; i < 20_000; i++) {
    const ip = `198.51.100.${rnd(20)}`;
    const op = rnd(100);
    t += rnd(3) * MIN;
    if (op < 70) {
      w.add(ip, t);
      changed.add(ip);
    } else if (op < 80) {
      w.delete(ip); // a ban: the jail reports the address as well
      w.markChanged(ip);
      changed.add(ip);
    } else if (op < 85) {
      w.add(ip, t, false); // restored from the store: not a change
    } else if (op < 90) {
      w.prune(t);
    } else {
      const got = w.takeChanges();
      assert.deepEqual(
        got.map((r) => r.ip),
        [...changed],
        `take at step ${i}`,
      );
      for (const r of got) assert.deepEqual(r.times, w.times(r.ip), r.ip);
      changed.clear();
    }
  }
});

test('a changed address evicted, deleted or pruned before the store takes it is reported with no times; one back again with its times, in its first place', () => {
  const w = new FailureWindows(5, 10 * MIN, 2);
  w.add('203.0.113.1', T0);
  w.add('203.0.113.2', T0 + 1);
  w.add('203.0.113.3', T0 + 2); // evicts .1
  w.delete('203.0.113.2');
  assert.deepEqual(w.takeChanges(), [
    { ip: '203.0.113.1', times: [] },
    { ip: '203.0.113.2', times: [] },
    { ip: '203.0.113.3', times: [T0 + 2] },
  ]);
  assert.deepEqual(w.takeChanges(), []);
  w.add('203.0.113.4', T0 + 3);
  w.add('203.0.113.5', T0 + 4); // evicts .3 (not changed since the last take: not reported)
  w.add('203.0.113.6', T0 + 5); // evicts .4
  w.add('203.0.113.4', T0 + 6); // .4 again, evicting .5
  assert.equal(w.prune(T0 + 10 * MIN + 6), 1); // .6 left the window
  assert.deepEqual(w.takeChanges(), [
    { ip: '203.0.113.4', times: [T0 + 6] },
    { ip: '203.0.113.5', times: [] },
    { ip: '203.0.113.6', times: [] },
  ]);
});

test('maxretry 1: nothing is tracked, and the address is still reported as changed (no times)', () => {
  const w = new FailureWindows(1, 10 * MIN, 100);
  w.add('203.0.113.9', T0);
  w.add('203.0.113.9', T0 + 1, false);
  assert.deepEqual(w.takeChanges(), [{ ip: '203.0.113.9', times: [] }]);
});

test('a window keeps its times in an array of their own size: 100,000 addresses with three failures each stay under 250 bytes apiece, the index and records included', () => {
  const ips: string[] = [];
  for (let i = 0; i < 100_000; i++) ips.push(`198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
  const fill = (): FailureWindows => {
    const w = new FailureWindows(5, 10 * MIN, 100_000);
    for (let r = 0; r < 3; r++) for (let i = 0; i < ips.length; i++) w.add(ips[i]!, T0 + r * 1000 + i);
    w.takeChanges();
    return w;
  };
  // once before the measure: the keys get hashed (and flattened), and what V8 sets up once is set up
  assert.equal(fill().size, ips.length);
  // the heap and the typed arrays' memory (outside the heap: the records' numbers and the index)
  const before = settledMemory();
  const w = fill();
  const perWindow = (settledMemory() - before) / ips.length;
  assert.equal(w.count(ips[7]!), 3);
  // an array grown by push() kept room for 17 times or more: 325 bytes per window here (194 now)
  assert.ok(perWindow < 250, `${Math.round(perWindow)} bytes per window`);
});

test('currentlyFailed agrees with a plain count whatever the order of event times (in order, then out of order, then in order again), with prunes', () => {
  // a seeded generator: the same sequence every run
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const findtime = 10 * MIN;
  const w = new FailureWindows(1000, findtime, 100_000);
  const newest = new Map<string, number>();
  let clock = T0;
  const check = (label: string) => {
    const lower = clock - findtime;
    let want = 0;
    for (const t of newest.values()) if (t >= lower) want++;
    assert.equal(w.currentlyFailed(clock), want, `${label} at ${clock - T0} ms`);
  };
  for (let round = 0; round < 3000; round++) {
    clock += rnd(3000);
    // rounds 1000-1999: one event in five comes late, up to 15 minutes (a backlog read after the live lines)
    const late = round >= 1000 && round < 2000 && rnd(5) === 0 ? rnd(15 * MIN) : 0;
    const ip = `198.51.100.${rnd(200)}`;
    const t = clock - late;
    w.add(ip, t, false);
    newest.set(ip, Math.max(newest.get(ip) ?? -Infinity, t));
    if (rnd(50) === 0) {
      w.prune(clock);
      // pruned windows were stale: they count for nothing either way
    }
    if (round % 7 === 0) check(`round ${round}`);
  }
  clock += 20 * MIN; // everything stale
  check('all stale');
});
