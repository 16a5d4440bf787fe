// The change counter behind the cached pending count (counted-collections.ts, jail-actions.ts):
// every way an address enters or leaves a ledger's pending collections moves it, also a change that
// leaves the sizes as they were (a new value for an address), and a change that changes nothing
// does not. (test/actions/bulk-applied.test.ts checks the count itself against pending() as bans
// land, fail and are restored.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CountedMap, CountedSet, type ChangeCounter } from '../../src/actions/counted-collections.js';
import { KernelLedger } from '../../src/actions/kernel-ledger.js';
import type { FirewallBan } from '../../src/firewall/firewall.js';

const ban = (ip: string): FirewallBan => ({ ip, family: 'inet4', time: 0, until: 60_000, banCount: 1, failures: 0 });

test('the counted Map and Set count each change, and only changes', () => {
  const counter: ChangeCounter = { changes: 0 };
  const m = new CountedMap<string, number>(counter);
  const s = new CountedSet<string>(counter);
  const seen: number[] = [];
  const step = (what: () => unknown) => {
    what();
    seen.push(counter.changes);
  };
  step(() => m.set('a', 1));
  step(() => m.set('a', 2)); // a new value is a change
  step(() => m.delete('b')); // absent: none
  step(() => m.delete('a'));
  step(() => m.clear()); // empty: none
  step(() => s.add('x'));
  step(() => s.delete('y'));
  step(() => s.clear());
  step(() => s.clear());
  assert.deepEqual(seen, [1, 2, 2, 3, 3, 4, 4, 5, 5]);
  assert.equal(m.size + s.size, 0);
  // still a Map and a Set to every reader
  m.set('k', 7);
  assert.deepEqual([...m], [['k', 7]]);
  assert.ok(m instanceof Map && s instanceof Set);
});

test("a ledger's pendingChanges moves with every path that changes what is pending", async () => {
  const l = new KernelLedger();
  const moved = async (what: string, f: () => unknown) => {
    const before = l.pendingChanges;
    await f();
    assert.ok(l.pendingChanges > before, `${what} moved the counter`);
  };
  await moved('queue', () => l.queue([ban('192.0.2.1')], ['192.0.2.2']));
  await moved('replace (a restore)', () => l.replace(new Map([['192.0.2.3', ban('192.0.2.3')]]), []));
  await moved('takeSlice', () => l.takeSlice());
  const batch = (await l.take(false, false))!;
  await moved('landed', () => l.landed(['192.0.2.3'], batch));
  await moved('the audit, in place', () => l.pendingUnban.add('192.0.2.9'));
  const still = l.pendingChanges;
  assert.equal(l.isPending('192.0.2.9'), true);
  assert.equal(l.pendingChanges, still, 'reading moves nothing');
});
