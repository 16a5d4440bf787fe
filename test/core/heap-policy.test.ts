// The heap policy's state: memory-saving only once asked, set aside while any bulk task holds it,
// and each change passed on once (the V8 policy sets a process-wide flag on each).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeapPolicyState } from '../../src/core/heap-policy.js';

class Recorded extends HeapPolicyState {
  readonly applied: boolean[] = [];
  protected override apply(memory: boolean): void {
    this.applied.push(memory);
  }
}

test('nothing changes before the daemon is ready: a hold then only counts', () => {
  const h = new Recorded();
  assert.equal(h.favoursMemory, false);
  const release = h.relax();
  assert.equal(h.holds, 1);
  release();
  assert.equal(h.holds, 0);
  assert.deepEqual(h.applied, []);
});

test('ready: memory-saving; relaxed while a hold lasts, nested holds end with the last release', () => {
  const h = new Recorded();
  h.saveMemory();
  assert.equal(h.favoursMemory, true);
  const a = h.relax();
  const b = h.relax();
  assert.equal(h.favoursMemory, false);
  a();
  assert.equal(h.favoursMemory, false); // b still holds it
  b();
  assert.equal(h.favoursMemory, true);
  assert.deepEqual(h.applied, [true, false, true]);
});

test("a release called twice counts once: it cannot end another task's hold", () => {
  const h = new Recorded();
  h.saveMemory();
  const a = h.relax();
  const b = h.relax();
  a();
  a();
  assert.equal(h.holds, 1);
  assert.equal(h.favoursMemory, false);
  b();
  assert.deepEqual(h.applied, [true, false, true]);
});

test('a hold taken before ready keeps the policy relaxed at ready, until released', () => {
  const h = new Recorded();
  const a = h.relax(); // a catch-up before ready
  h.saveMemory();
  assert.equal(h.favoursMemory, false);
  assert.deepEqual(h.applied, []);
  a();
  assert.deepEqual(h.applied, [true]);
  h.saveMemory(); // asked again: no change to pass on
  assert.deepEqual(h.applied, [true]);
});
