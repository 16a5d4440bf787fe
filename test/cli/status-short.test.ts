// `voipguard status <jail> short` carries counts only: the pending list of a flood stays in the
// daemon (its length goes over the socket); the long form still lists every pending address.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jailStatus, statsRows } from '../../src/daemon/service-status.js';
import { renderJailStatus } from '../../src/cli/render-status.js';
import { files, JAIL, kit, T0 } from './daemon-kit.js';

/** A started daemon kit whose jail has `n` pending bans, and a count of the calls that listed them. */
async function pendingKit(n: number) {
  const k = kit(files(JAIL));
  await k.svc.start(k.load());
  const { actions } = k.latest('asterisk');
  actions.pendingIps = Array.from({ length: n }, (_, i) => `198.18.${i >>> 8}.${i & 255}`);
  let calls = 0;
  const pending = actions.pending.bind(actions);
  actions.pending = () => {
    calls++;
    return pending();
  };
  Object.assign(actions, { pendingCount: () => actions.pendingIps.length });
  return { k, listed: () => calls };
}

test('the short status carries the number of pending bans, not their list; the long one lists them', async () => {
  const { k, listed } = await pendingKit(5_000);
  const short = jailStatus(k.svc, k.svc.jail('asterisk'), T0, true);
  assert.equal(listed(), 0, 'the short form never builds the list');
  assert.deepEqual(short.actions.pending, []);
  assert.equal(short.actions.pendingCount, 5_000);
  assert.ok(JSON.stringify(short).length < 2_000, 'a few hundred bytes over the socket, whatever the flood');
  assert.match(renderJailStatus(short, true), /- Pending bans:\t5000\n/);
  const long = jailStatus(k.svc, k.svc.jail('asterisk'), T0, false);
  assert.equal(long.actions.pending.length, 5_000);
  assert.equal(long.actions.pendingCount, 5_000);
  assert.match(renderJailStatus(long, false), /\|- Pending bans:\t198\.18\.0\.0 198\.18\.0\.1 /);
  await k.svc.stop();
});

test('without pendingCount in the actions, the count comes from the list (a short reply still carries no list)', async () => {
  const k = kit(files(JAIL));
  await k.svc.start(k.load());
  k.latest('asterisk').actions.pendingIps = ['203.0.113.5', '203.0.113.6'];
  const short = jailStatus(k.svc, k.svc.jail('asterisk'), T0, true);
  assert.deepEqual([short.actions.pending, short.actions.pendingCount], [[], 2]);
  await k.svc.stop();
});

test('the periodic tick (the pending-bans gauge) and `voipguard stats` count the pending bans without listing them', async () => {
  const { k, listed } = await pendingKit(3_000);
  await k.svc.tick();
  const rows = statsRows(k.svc, T0);
  assert.equal(rows.find((r) => r.jail === 'asterisk')?.pending, 3_000);
  assert.equal(listed(), 0, 'no sorted list of every pending address per tick or per stats call');
  await k.svc.stop();
});
