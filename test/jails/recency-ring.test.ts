// The least-recently-used order of the jails' windows (recency-ring.ts) against a plain list under
// random touches and removals: the ring compacts when it fills, doubles when most places are live,
// and renumbers its places before they leave the small integers (here forced every few hundred).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from './jail-kit.js';
import { RecencyRing } from '../../src/jails/recency-ring.js';

function differential(records: number, ops: number, seed: number, maxPlace?: number): void {
  const ring = new RecencyRing(maxPlace);
  const model: number[] = []; // least recently used first
  const r = rng(seed);
  for (let i = 0; i < ops; i++) {
    const x = Math.floor(r() * records);
    const op = r();
    const at = model.indexOf(x);
    if (op < 0.6) {
      if (at >= 0) model.splice(at, 1);
      model.push(x);
      ring.touch(x);
    } else if (op < 0.8) {
      if (at >= 0) model.splice(at, 1);
      ring.remove(x);
    } else if (op < 0.9) {
      // evict the oldest, as a full table does
      const o = ring.oldest();
      assert.equal(o, model.length > 0 ? model[0] : -1, `oldest at op ${i}`);
      if (o >= 0) {
        model.shift();
        ring.remove(o);
      }
    } else assert.deepEqual([...ring.walk()], model, `walk at op ${i}`);
    assert.equal(ring.size, model.length, `size at op ${i}`);
    if (i % 50 === 0) assert.deepEqual([...ring.walk()], model, `walk at op ${i}`);
    if (maxPlace !== undefined) assert.ok(ring.nextPlace <= maxPlace, `place ${ring.nextPlace} at op ${i}`);
  }
  assert.deepEqual([...ring.walk()], model);
}

test('the ring keeps exact least-recently-used order against a list, through compactions and growth', () => {
  differential(40, 20_000, 1);
  differential(2000, 40_000, 2);
});

test('places renumbered from 0 keep the order (forced every 100 places)', () => {
  differential(30, 20_000, 3, 100);
  differential(300, 20_000, 4, 700);
});

test('a spray (every record new, the oldest evicted) reuses the records in the order they were first used', () => {
  const ring = new RecencyRing();
  const cap = 1000;
  for (let i = 0; i < 50_000; i++) {
    const r = i < cap ? i : ring.oldest();
    if (i >= cap) ring.remove(r);
    ring.touch(r);
  }
  assert.equal(ring.size, cap);
  // the first record reused in the same order each lap
  assert.deepEqual([...ring.walk()].slice(0, 3), [0, 1, 2]);
});
