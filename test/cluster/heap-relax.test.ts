// A catch-up holds the heap policy relaxed (core/heap-policy.ts) from its first check until the
// kernel and the store have its bans; a small read of the stream does not touch it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeapPolicyState } from '../../src/core/heap-policy.js';
import { BULK_ENTRIES } from '../../src/cluster/stream-applier.js';
import { encodeEntry, type ClusterEntry } from '../../src/cluster/wire.js';
import { MemoryRedis } from '../fakes/memory-bus.js';
import { waitFor } from '../helpers/wait-for.js';
import { makeNode, type TestNode } from './cluster-kit.js';

const HOUR = 3_600_000;
const entry = (i: number): ClusterEntry => ({
  op: 'ban',
  node: 'a',
  jail: 'asterisk',
  ip: `100.64.${i >> 8}.${i & 255}`,
  reason: 'detected',
  banCount: 1,
  start: Date.now(),
  until: Date.now() + HOUR,
});
const fields = (i: number): string[] => Object.entries(encodeEntry(entry(i))).flat();

/** The node's store writes wait for the test: stored() resolves when the gate opens. */
function gateStore(n: TestNode): () => void {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  n.jails.stored = () => gate;
  return open;
}

test('a bulk read of the stream relaxes the policy until its bans are in the kernel and the store', async () => {
  const redis = new MemoryRedis();
  const heap = new HeapPolicyState();
  heap.saveMemory(); // the daemon is ready
  const b = makeNode(redis, 'b', { heap });
  await b.node.start(b.jails);
  redis.inject(fields(9_999)); // B has a position: the outage's entries come as one read
  await waitFor(() => b.jails.kernel.get('asterisk')!.size === 1, { what: 'the first ban' });
  assert.equal(heap.holds, 0, 'a read of one entry does not relax it');
  const open = gateStore(b);
  redis.down();
  for (let i = 0; i < BULK_ENTRIES + 50; i++) redis.inject(fields(i));
  redis.restore();
  await waitFor(() => b.jails.kernel.get('asterisk')!.size === BULK_ENTRIES + 51, { what: 'the catch-up in the kernel' });
  assert.equal(heap.favoursMemory, false, 'relaxed while the store has not written the bans');
  open();
  await waitFor(() => heap.favoursMemory, { what: 'the policy back once the store has them' });
  assert.equal(heap.holds, 0);
  await b.node.stop();
});

test('a snapshot at first start relaxes the policy until the store has its bans, whatever it was before', async () => {
  const redis = new MemoryRedis();
  for (let i = 0; i < 300; i++) redis.bans.set(`asterisk ${entry(i).ip}`, JSON.stringify(encodeEntry(entry(i))));
  const heap = new HeapPolicyState();
  const d = makeNode(redis, 'd', { heap });
  const open = gateStore(d);
  await d.node.start(d.jails);
  assert.equal(d.jails.kernel.get('asterisk')!.size, 300);
  assert.equal(heap.holds, 1, 'held until the store has the bans');
  heap.saveMemory(); // the daemon says ready: still relaxed, the store is writing
  assert.equal(heap.favoursMemory, false);
  open();
  await waitFor(() => heap.holds === 0, { what: 'released once stored' });
  assert.equal(heap.favoursMemory, true);
  await d.node.stop();
});

test('a failed store write releases the hold too', async () => {
  const redis = new MemoryRedis();
  const heap = new HeapPolicyState();
  heap.saveMemory();
  const b = makeNode(redis, 'b', { heap });
  await b.node.start(b.jails);
  redis.inject(fields(9_999));
  await waitFor(() => b.jails.kernel.get('asterisk')!.size === 1, { what: 'the first ban' });
  // the first write fails; the read is then done again from the cursor, and that write succeeds
  let fail: ((e: Error) => void) | null = null;
  b.jails.stored = () => (fail ? Promise.resolve() : new Promise<void>((_, reject) => (fail = reject)));
  redis.down();
  for (let i = 0; i < BULK_ENTRIES; i++) redis.inject(fields(i));
  redis.restore();
  await waitFor(() => heap.holds === 1, { what: 'the bulk read holding the policy' });
  fail!(new Error('disk full'));
  await waitFor(() => heap.holds === 0 && heap.favoursMemory, { what: 'released after the failure' });
  await b.node.stop();
});
