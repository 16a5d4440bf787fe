// The stream is read on while the kernel commands of the last read still run: the next entries'
// bans are made (and join the jail's next firewall batch) without waiting, and the saved cursor
// follows the commits in order, never ahead of them. Counted in commits, not timed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Decision } from '../../src/core/types.js';
import { encodeEntry } from '../../src/cluster/wire.js';
import { MemoryRedis } from '../fakes/memory-bus.js';
import { waitFor } from '../helpers/wait-for.js';
import { makeNode } from './cluster-kit.js';

const HOUR = 3_600_000;
const entry = (ip: string): string[] =>
  Object.entries(
    encodeEntry({ op: 'ban', node: 'a', jail: 'asterisk', ip, reason: 'detected', banCount: 1, start: Date.now(), until: Date.now() + HOUR }),
  ).flat();

test('a slow kernel commit does not hold the next read; the cursor is saved only after the commits before it', async () => {
  const redis = new MemoryRedis();
  const b = makeNode(redis, 'b');
  await b.node.start(b.jails);
  const start = b.node.report().cursor; // the empty stream's position, saved by the first start
  // B's firewall is stuck: each commit waits until the test lets it go
  const gates: (() => void)[] = [];
  const commit = b.jails.commit.bind(b.jails);
  b.jails.commit = (jail: string, ds: readonly Decision[]) => new Promise<void>((resolve) => gates.push(() => void commit(jail, ds).then(resolve)));
  const banned = (ip: string) =>
    b.jails.engines
      .get('asterisk')!
      .status(Date.now())
      .banned.some((x) => x.ip === ip);

  const id1 = redis.inject(entry('203.0.113.1'));
  await waitFor(() => gates.length === 1, { what: 'the first commit started' });
  const id2 = redis.inject(entry('203.0.113.2'));
  // read and banned in the jail while the first commit still waits
  await waitFor(() => gates.length === 2 && banned('203.0.113.2'), { what: 'the second entry applied during the first commit' });
  assert.equal(b.jails.kernel.get('asterisk')!.size, 0);
  assert.equal(b.node.report().cursor, start); // nothing committed: the cursor has not moved
  assert.equal(b.store.getClusterCursor('vg'), start ?? undefined);

  gates[1]!(); // the second commit ends first: the cursor still waits for the first
  await waitFor(() => b.jails.kernel.get('asterisk')!.has('203.0.113.2'), { what: 'the second ban in the kernel' });
  await new Promise((r) => setImmediate(r));
  assert.equal(b.node.report().cursor, start);
  gates[0]!();
  await waitFor(() => b.node.report().cursor === id2, { what: 'the cursor after both commits' });
  assert.notEqual(id1, id2);
  assert.equal(b.store.getClusterCursor('vg'), id2);
  assert.deepEqual([...b.jails.kernel.get('asterisk')!.keys()].sort(), ['203.0.113.1', '203.0.113.2']);
  await b.node.stop();
});
