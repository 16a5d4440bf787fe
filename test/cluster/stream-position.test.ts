// The fleet's stream position (stream-position.ts): reads ahead of the saved cursor, commits that
// settle in order, a failed one sending the next read back to the cursor.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamPosition } from '../../src/cluster/stream-position.js';
import { MemoryStore } from '../fakes/memory-store.js';
import { memoryLogger } from '../fakes/memory-logger.js';

function gate(): { p: Promise<void>; open: () => void; fail: (e: Error) => void } {
  let open!: () => void;
  let fail!: (e: Error) => void;
  const p = new Promise<void>((res, rej) => ((open = res), (fail = rej)));
  return { p, open, fail };
}

test('the cursor follows the commits in order, whatever order they settle in', async () => {
  const store = new MemoryStore();
  const pos = new StreamPosition(store, 'vg', memoryLogger('debug').log);
  assert.equal(pos.saved, null);
  assert.equal(pos.next, '0-0');
  const first = gate();
  const second = gate();
  pos.readTo('1-0');
  pos.commit(first.p, '1-0');
  pos.readTo('2-0');
  pos.commit(second.p, '2-0');
  assert.equal(pos.next, '2-0', 'the next read starts after the last one read');
  assert.equal(pos.inFlight, 2);
  second.open(); // the later read's commit ends first: the cursor waits for the earlier one
  await new Promise((r) => setImmediate(r));
  assert.equal(store.getClusterCursor('vg'), undefined);
  first.open();
  await pos.settled();
  assert.equal(store.getClusterCursor('vg'), '2-0');
  assert.equal(pos.saved, '2-0');
  assert.equal(pos.inFlight, 0);
  // a new process reads the saved position
  assert.equal(new StreamPosition(store, 'vg', memoryLogger('debug').log).next, '2-0');
});

test('a failed commit keeps the cursor, and the next read starts again there', async () => {
  const store = new MemoryStore();
  const { log, records } = memoryLogger('debug');
  const pos = new StreamPosition(store, 'vg', log);
  pos.readTo('1-0');
  pos.commit(Promise.resolve(), '1-0');
  await pos.settled();
  const bad = gate();
  pos.readTo('2-0');
  pos.commit(bad.p, '2-0');
  pos.readTo('3-0');
  pos.commit(Promise.resolve(), '3-0');
  bad.fail(new Error('kernel refused'));
  await pos.settled();
  assert.equal(pos.saved, '1-0', 'neither the failed read nor the one after it moved the cursor');
  assert.equal(pos.next, '1-0', 'read again from the cursor');
  assert.ok(records.some((r) => r.event === 'cluster-apply-failed'));
  // a commit with no ID to save (a snapshot older than the cursor) settles without moving it
  pos.commit(Promise.resolve(), null);
  await pos.settled();
  assert.equal(pos.saved, '1-0');
});
