// The applied flag of the store on the large paths (docs/cluster.md, "Eighth session"):
//   - the fleet's bulk door writes its bans as applied (presume): the actions then write the flag
//     only for a ban the kernel refused, not 100,000 UPDATEs after 100,000 INSERTs;
//   - a periodic check during a restore leaves the bans its slices have not sent yet alone: it
//     marked every one of them not applied, then each slice marked them applied again.
// And two more of a restore's costs: the pending count across two actions, and the kernel's
// listing, taken while the store's bans are still read (docs/benchmarks.md, nineteenth session).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firewallMaker } from '../../src/app.js';
import { loadJailActions, type JailActionContext } from '../../src/actions/jail-actions.js';
import { RESTORE_SLICE } from '../../src/actions/action-instance.js';
import { packageRoot } from '../../src/core/paths.js';
import type { Decision } from '../../src/core/types.js';
import type { ActiveBan } from '../../src/store/store.js';
import { MemoryRunner } from '../fakes/memory-runner.js';
import { fakeIptables } from '../fakes/fake-iptables.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { TinyStore } from '../helpers/tiny-store.js';
import { waitFor } from '../helpers/wait-for.js';

const T0 = 1_800_000_000_000;
const UDP: JailActionContext = {
  jail: 'asterisk',
  actions: [{ name: 'iptables', args: { name: 'asterisk-udp', protocol: 'udp' } }],
  params: { port: '5060,5061' },
};

/** The shipped jail's two actions: udp first, tcp second. */
const TWO: JailActionContext = {
  jail: 'asterisk',
  actions: [
    { name: 'iptables', args: { name: 'asterisk-udp', protocol: 'udp' } },
    { name: 'iptables', args: { name: 'asterisk-tcp', protocol: 'tcp' } },
  ],
  params: { port: '5060,5061' },
};

function setup(ctx: JailActionContext = UDP) {
  const runner = new MemoryRunner();
  fakeIptables(runner);
  const store = new TinyStore();
  const { log, records } = memoryLogger();
  const actions = loadJailActions(ctx, { configDir: packageRoot(), firewalls: firewallMaker(runner, false), store, log });
  return { runner, store, records, actions };
}

/** A restore of three slices of bans, under way: resolves once its first slice is sent, with the
 *  restore (in an object: an async function's promise would wait for the one it returns). */
async function restoreUnderWay(
  actions: ReturnType<typeof setup>['actions'],
  records: readonly Record<string, unknown>[],
): Promise<{ restoring: Promise<void> }> {
  const n = RESTORE_SLICE * 3;
  const active: ActiveBan[] = [];
  for (let i = 0; i < n; i++) {
    active.push({ jail: 'asterisk', ip: `10.1.${i >> 8}.${i & 255}`, start: T0, until: T0 + 600_000, banCount: 1, reason: 'detected', applied: true });
  }
  const restoring = actions.reconcile(active, T0);
  await waitFor(() => records.some((r) => r['event'] === 'reconcile-started'), { what: 'the first slice sent' });
  return { restoring };
}

const ban = (ip: string): Decision => ({ type: 'ban', jail: 'asterisk', ip, time: T0, until: T0 + 600_000, banCount: 1, reason: 'cluster', failures: 0 });

test('presumed bans the kernel takes are not written again; one it refuses is written as not applied, then applied once it lands', async () => {
  const { actions, runner, store } = setup();
  await actions.start();
  const ips = ['203.0.113.1', '203.0.113.2', '203.0.113.3'];
  for (const ip of ips) store.addBan({ jail: 'asterisk', ip, start: T0, until: T0 + 600_000, banCount: 1, reason: 'cluster' }, true);
  actions.presume(ips);
  await actions.apply(ips.map(ban), T0);
  assert.deepEqual(store.appliedCalls, [], 'the store already says applied');
  assert.deepEqual(actions.pending(), []);

  // the kernel refuses the next batch: the flag is corrected, then set again by the retry
  let locked = true;
  runner.on((argv) => (locked && argv[0] === 'iptables-restore' ? { exitCode: 4, stdout: '', stderr: 'locked\n' } : undefined));
  store.addBan({ jail: 'asterisk', ip: '203.0.113.9', start: T0, until: T0 + 600_000, banCount: 1, reason: 'cluster' }, true);
  actions.presume(['203.0.113.9']);
  await actions.apply([ban('203.0.113.9')], T0);
  const flags = (): string => store.appliedCalls.map((c) => `${c.ip} ${c.applied}`).join(', ');
  assert.equal(flags(), '203.0.113.9 false');
  locked = false;
  await actions.check(T0 + 1000);
  assert.equal(flags(), '203.0.113.9 false, 203.0.113.9 true');
  assert.equal(store.activeBans('asterisk').find((b) => b.ip === '203.0.113.9')?.applied, true);
});

test('without presume, every ban the kernel takes is written as applied (the detected path is unchanged)', async () => {
  const { actions, store } = setup();
  await actions.start();
  await actions.apply([ban('203.0.113.4')], T0);
  assert.deepEqual(store.appliedCalls, [{ jail: 'asterisk', ip: '203.0.113.4', applied: true }]);
});

test('a check during a restore writes no flag for the bans its slices have not sent yet', async () => {
  const { actions, store, records } = setup();
  await actions.start();
  const { restoring } = await restoreUnderWay(actions, records);
  let backlogAtCheck = -1;
  await actions.check(T0 + 1).then(() => (backlogAtCheck = actions.pendingCount()));
  await restoring;
  assert.ok(backlogAtCheck > 0, `the check ran while the restore still had bans to send (${backlogAtCheck})`);
  assert.deepEqual(
    store.appliedCalls.filter((c) => !c.applied),
    [],
    'no ban of the restore was marked not applied',
  );
  assert.deepEqual(actions.pending(), []);
});

test('the pending count of two actions counts each address once, as pending() lists them', async () => {
  const { actions, runner } = setup(TWO);
  await actions.start();
  // the tcp chain refuses every change: its bans stay pending while the udp chain takes them
  let tcpDown = true;
  runner.on((argv, input) =>
    tcpDown && argv[0] === 'iptables-restore' && input?.includes('f2b-asterisk-tcp') ? { exitCode: 4, stdout: '', stderr: 'locked\n' } : undefined,
  );
  await actions.apply(['203.0.113.1', '203.0.113.2'].map(ban), T0);
  assert.equal(actions.pendingCount(), 2);
  assert.equal(actions.pendingCount(), actions.pending().length);
  // an unban the tcp chain must still hear of, and a ban both wait for
  tcpDown = false;
  runner.on((argv) => (argv[0] === 'iptables-restore' ? { exitCode: 4, stdout: '', stderr: 'locked\n' } : undefined));
  await actions.apply([{ type: 'unban', jail: 'asterisk', ip: '203.0.113.1', time: T0, reason: 'manual' }, ban('203.0.113.3')], T0 + 10);
  assert.deepEqual(actions.pending(), ['203.0.113.1', '203.0.113.2', '203.0.113.3']);
  assert.equal(actions.pendingCount(), 3);
});

test('during a restore of two actions, the pending count is the number of addresses pending() lists (the backlogs counted once)', async () => {
  const { actions, records } = setup(TWO);
  await actions.start();
  const { restoring } = await restoreUnderWay(actions, records);
  const during = actions.pendingCount();
  const listed = actions.pending().length;
  await restoring;
  assert.ok(during > 0, `the restore still had bans to send (${during})`);
  assert.equal(during, listed);
  assert.equal(actions.pendingCount(), 0);
});

test("a restore lists the kernel while the store's bans are still being read, not after", async () => {
  const { actions, runner, records } = setup(TWO);
  await actions.start();
  let handOver = (_: readonly ActiveBan[]) => {};
  const stored = new Promise<readonly ActiveBan[]>((r) => (handOver = r));
  const listings = () => runner.lines().filter((c) => /^ip6?tables -w -S$/.test(c)).length;
  const before = listings();
  const restoring = actions.reconcile(stored, T0);
  // the store has handed over nothing yet: the listing of both chains is taken already
  await waitFor(() => listings() > before, { what: 'the kernel listed before the stored bans arrive' });
  assert.equal(
    records.some((r) => r['event'] === 'reconcile-started'),
    false,
  );
  handOver([{ jail: 'asterisk', ip: '203.0.113.9', start: T0, until: T0 + 600_000, banCount: 1, reason: 'detected', applied: true }]);
  await restoring;
  assert.equal(listings(), before + 2, 'one listing per family, shared by both chains: the restore did not list again');
  assert.deepEqual(actions.pending(), []);
  assert.ok(actions.awaiting('203.0.113.9') === false, 'the stored ban is in the kernel');
});
