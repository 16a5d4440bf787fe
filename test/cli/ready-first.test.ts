// Ready first, restore after: a start holding many bans answers and follows its logs before the
// kernel has them back; failures arriving meanwhile are counted and banned (the real JailActions
// runs their apply() after the refill's reconcile: its calls are serialised).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { files, JAIL, kit, T0 } from './daemon-kit.js';
import { jailStatus } from '../../src/daemon/service-status.js';
import { RESTORE_PAGE } from '../../src/daemon/jail-restore.js';

test('the jail runs and counts new failures while the stored bans are still going back into the kernel', async () => {
  let release!: () => void;
  const k = kit(files(JAIL), { reconcileGate: new Promise<void>((r) => (release = r)) });
  for (let i = 1; i <= 1000; i++) {
    k.store.addBan({ jail: 'asterisk', ip: `198.51.${i >> 8}.${i & 255}`, start: T0 - 1000, until: T0 + 3_600_000, banCount: 1, reason: 'detected' }, true);
  }
  // resolves although reconcile() is held (bounded, so the old order fails here rather than hangs)
  let timer!: NodeJS.Timeout;
  await Promise.race([
    k.svc.start(k.load()),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('start waited for the kernel refill')), 10_000))),
  ]);
  clearTimeout(timer);
  const { source, actions } = k.latest('asterisk');
  assert.equal(source.running, true, 'the log is followed before the refill is done');
  assert.equal(actions.reconciled.length, 1, 'the refill has begun');
  const st = jailStatus(k.svc, k.svc.jail('asterisk'), T0, true);
  assert.equal(st.actions.currentlyBanned, 1000, 'the jail knows every stored ban at once');
  for (let i = 0; i < 3; i++) source.push(`FAIL 203.0.113.9 ${Math.floor(T0 / 1000) - 5 + i}`, k.clock);
  assert.equal(k.svc.jail('asterisk').engine.status(T0, false).totalFailed, 3, 'failures counted during the refill');
  release();
  await k.svc.jail('asterisk').restored();
  await k.svc.stop();
  assert.deepEqual(
    actions.applied.map((d) => [d.type, d.ip]),
    [['ban', '203.0.113.9']],
  );
});

test('the jail follows its logs before the firewall structure commands are done', async () => {
  let release!: () => void;
  const k = kit(files(JAIL), { startGate: new Promise<void>((r) => (release = r)) });
  let timer!: NodeJS.Timeout;
  await Promise.race([
    k.svc.start(k.load()),
    new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('start waited for actionstart')), 10_000))),
  ]);
  clearTimeout(timer);
  const { source, actions } = k.latest('asterisk');
  assert.equal(actions.started, 1, 'the structure commands have begun');
  assert.equal(source.running, true, 'the log is followed meanwhile');
  release();
  await k.svc.jail('asterisk').restored();
  assert.equal(actions.reconciled.length, 1, 'the refill ran once the structure was up');
  await k.svc.stop();
});

test('holding more bans than one page: ready before they are all read back; a stored ban not read yet is never banned twice, one expiring meanwhile is lifted', async () => {
  let release!: () => void;
  const k = kit(files(JAIL), { reconcileGate: new Promise<void>((r) => (release = r)) });
  const held = 3 * RESTORE_PAGE;
  const stored = (ip: string, until: number) => k.store.addBan({ jail: 'asterisk', ip, start: T0 - 1000, until, banCount: 1, reason: 'detected' }, true);
  for (let i = 0; i < held; i++) stored(`198.51.${i >> 8}.${i & 255}`, T0 + 3_600_000);
  // both sort after every 198.51.x.y: read by the last page
  stored('203.0.113.200', T0 + 3_600_000); // attacks again during the read-back
  stored('203.0.113.201', T0 + 500); // expires during it
  stored('203.0.113.202', T0 + 3_600_000); // unbanned by hand during it
  await k.svc.start(k.load());
  const rt = k.svc.jail('asterisk');
  const { source, actions } = k.latest('asterisk');
  const isBanned = (ip: string) => rt.engine.status(k.clock.now(), true).banned.some((b) => b.ip === ip);
  assert.equal(source.running, true);
  // ready with one page of the bans in memory (the old start read them all before following the log)
  assert.equal(rt.engine.bannedCount, RESTORE_PAGE, 'one page in memory at ready');
  assert.equal(isBanned('203.0.113.200'), false, 'not read back yet');

  // three failures of a stored ban not read yet: read by its key, counted, no second ban
  for (let i = 0; i < 3; i++) source.push(`FAIL 203.0.113.200 ${Math.floor(T0 / 1000) - 5 + i}`, k.clock);
  assert.equal(isBanned('203.0.113.200'), true);
  assert.equal(rt.engine.status(T0, false).totalFailed, 3, 'counted during the read-back');
  assert.equal(await rt.manualUnban(['203.0.113.202'], T0), 1, 'a stored ban not read yet is unbanned by hand');

  await rt.readBackDone();
  assert.equal(rt.engine.bannedCount, held + 2, 'every stored ban back, the unbanned one not read again');
  k.clock.advance(1000);
  await k.svc.tick();
  release();
  await rt.restored();
  await k.svc.stop();
  assert.equal(actions.reconciled[0]!.length, held + 3, 'the reconcile had every stored ban');
  assert.deepEqual(
    actions.applied.map((d) => [d.type, d.ip]),
    [
      ['unban', '203.0.113.202'],
      ['unban', '203.0.113.201'],
    ],
    'no ban of 203.0.113.200, the expired ban lifted',
  );
  const kept = k.store.activeBan('asterisk', '203.0.113.200')!;
  assert.equal(kept.start, T0 - 1000, 'the stored ban is the one from before the start');
  assert.equal(k.store.activeBan('asterisk', '203.0.113.201'), undefined);
});
