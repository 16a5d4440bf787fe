// The fleet's bans by origin node, counted as they change (origins.ts), against a recount.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Origins } from '../../src/cluster/origins.js';

function recount(m: ReadonlyMap<string, string>): Record<string, number> {
  const out = new Map<string, number>();
  for (const node of m.values()) out.set(node, (out.get(node) ?? 0) + 1);
  return Object.fromEntries(out);
}

test('the counts by origin follow every set, replacement and delete, as a recount would give them', () => {
  const o = new Origins();
  const model = new Map<string, string>();
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
  const nodes = ['a', 'b', 'c', '__proto__', 'constructor'];
  for (let i = 0; i < 20_000; i++) {
    const key = `asterisk 198.51.100.${rnd(200)}`;
    if (rnd(3) === 0) assert.equal(o.delete(key), model.delete(key));
    else {
      const node = nodes[rnd(nodes.length)]!;
      o.set(key, node);
      model.set(key, node);
    }
    if (i % 997 === 0) assert.deepEqual(o.byOrigin(), recount(model));
    assert.equal(o.has(key), model.has(key));
  }
  assert.deepEqual(o.byOrigin(), recount(model));
  assert.equal(o.size, model.size);
  // a node named __proto__ is counted as its own key, not swallowed by the prototype
  o.set('asterisk 203.0.113.1', '__proto__');
  assert.ok(Object.hasOwn(o.byOrigin(), '__proto__'));
  assert.equal(Object.getPrototypeOf(o.byOrigin()), Object.prototype);
});
