// Restart with a set action (kernel timers): the kernel kept its sets while the daemon was down,
// the database says what should be there. One `ipset restore` makes them agree: entries the
// database does not know leave, missing ones come, every timer is set again to the ban's remaining
// time (permanent: 0; longer than ipset's maximum: the maximum), each in the set of its verdict.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firewallMaker } from '../../src/app.js';
import { loadJailActions, type JailActions } from '../../src/actions/jail-actions.js';
import { MAX_KERNEL_TIMEOUT_S } from '../../src/firewall/ban-tags.js';
import { RESTORE_SLICE, TIMER_SLACK_MS } from '../../src/actions/kernel-ledger.js';
import { packageRoot } from '../../src/core/paths.js';
import { MemoryRunner } from '../fakes/memory-runner.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { TinyStore } from '../helpers/tiny-store.js';

const T0 = 1_800_000_000_000;
const DAY = 86_400_000;

function kernel(runner: MemoryRunner, sets: Record<string, string[]>): void {
  runner.on((argv) => {
    const cmd = argv.join(' ');
    const t = /^ipset list -t (\S+)$/.exec(cmd);
    if (t) return { exitCode: 0, stderr: '', stdout: `Name: ${t[1]}\nType: hash:net\nRevision: 7\n` };
    const s = /^ipset save (\S+)$/.exec(cmd);
    if (s)
      return {
        exitCode: 0,
        stderr: '',
        stdout: [`create ${s[1]} hash:net family inet timeout 0`, ...(sets[s[1]!] ?? []).map((l) => `add ${s[1]} ${l}`)].join('\n'),
      };
    return undefined;
  });
}

/** An iptables-ipset action (udp, droprepeat 2) started over a kernel holding `sets`; the runner's calls cleared. */
async function startedOver(sets: Record<string, string[]>): Promise<{ runner: MemoryRunner; actions: JailActions }> {
  const runner = new MemoryRunner();
  kernel(runner, sets);
  const { log } = memoryLogger();
  const actions = loadJailActions(
    { jail: 'asterisk', actions: [{ name: 'iptables-ipset', args: { name: 'asterisk-udp', protocol: 'udp' } }], params: { port: '5060' }, dropRepeat: 2 },
    { configDir: packageRoot(), firewalls: firewallMaker(runner, false), store: new TinyStore(), log },
  );
  await actions.start();
  runner.calls.length = 0;
  return { runner, actions };
}

/** A stored ban, as the database hands it to the restore. */
function rec(ip: string, until: number | null, banCount = 1) {
  return { jail: 'asterisk', ip, start: T0 - 1000, until, banCount, reason: 'detected' as const, applied: true };
}

test('a restart reconciles the sets with the database in one ipset restore: unknown out, missing in, every timer refreshed, verdicts kept', async () => {
  const { runner, actions } = await startedOver({
    'f2b-asterisk-udp': ['198.51.100.1 timeout 5', '198.51.100.3 timeout 100', '203.0.113.0/24 timeout 40', '198.51.100.7 timeout 30'],
    'f2b-asterisk-udp-drop': ['198.51.100.5 timeout 7'],
  });
  await actions.reconcile(
    [
      rec('198.51.100.1', T0 + 600_000), // held, its timer refreshed
      rec('198.51.100.2', null), // missing, permanent
      rec('198.51.100.5', T0 + 60_000, 3), // held in the DROP set: stays there
      rec('198.51.100.6', T0 + 30 * DAY), // missing, longer than ipset can count
      rec('203.0.113.0/24', T0 + 90_000), // a subnet ban: one member
      rec('198.51.100.7', null), // held with a timer, permanent in the database: the timer goes
    ],
    T0,
  );
  const restores = runner.calls.filter((c) => c.input !== undefined);
  assert.equal(restores.length, 1, 'one transaction for the whole reconcile');
  assert.deepEqual(restores[0]!.argv, ['ipset', 'restore', '-exist']);
  const lines = restores[0]!.input!.split('\n').filter(Boolean).sort();
  assert.deepEqual(lines, [
    'add f2b-asterisk-udp 198.51.100.1 timeout 600',
    'add f2b-asterisk-udp 198.51.100.2 timeout 0',
    `add f2b-asterisk-udp 198.51.100.6 timeout ${MAX_KERNEL_TIMEOUT_S}`,
    'add f2b-asterisk-udp 198.51.100.7 timeout 0',
    'add f2b-asterisk-udp 203.0.113.0/24 timeout 90',
    'add f2b-asterisk-udp-drop 198.51.100.5 timeout 60',
    'del f2b-asterisk-udp 198.51.100.3',
    'del f2b-asterisk-udp-drop 198.51.100.3',
  ]);
  assert.deepEqual(actions.pending(), []);
});

test('a restart leaves a held timer that ends where the database says (within TIMER_SLACK_MS); one that ends elsewhere, or shows no time, is set again', async () => {
  const { runner, actions } = await startedOver({
    'f2b-asterisk-udp': [
      '198.51.100.1 timeout 600', // as the database: left alone
      `198.51.100.2 timeout ${600 - TIMER_SLACK_MS / 1000}`, // at the edge of the slack: left alone
      `198.51.100.3 timeout ${600 - TIMER_SLACK_MS / 1000 - 1}`, // past it: set again
      '198.51.100.4 timeout 3600', // longer than the database's: set again
      '198.51.100.6 timeout 0', // permanent in the kernel: no time shown, set again
      '198.51.100.7 timeout 600', // timed in the kernel, permanent in the database: set again
    ],
    'f2b-asterisk-udp-drop': ['198.51.100.5 timeout 60'], // DROP, as the database: left alone
  });
  await actions.reconcile(
    [
      rec('198.51.100.1', T0 + 600_000),
      rec('198.51.100.2', T0 + 600_000),
      rec('198.51.100.3', T0 + 600_000),
      rec('198.51.100.4', T0 + 600_000),
      rec('198.51.100.5', T0 + 60_000, 3),
      rec('198.51.100.6', null),
      rec('198.51.100.7', null),
    ],
    T0,
  );
  const restores = runner.calls.filter((c) => c.input !== undefined);
  assert.equal(restores.length, 1);
  assert.deepEqual(restores[0]!.input!.split('\n').filter(Boolean).sort(), [
    'add f2b-asterisk-udp 198.51.100.3 timeout 600',
    'add f2b-asterisk-udp 198.51.100.4 timeout 600',
    'add f2b-asterisk-udp 198.51.100.6 timeout 0',
    'add f2b-asterisk-udp 198.51.100.7 timeout 0',
  ]);
  assert.deepEqual(actions.pending(), []);
  // the listed times serve that restore only: a later re-ban with a new end is sent as before
  runner.calls.length = 0;
  await actions.apply(
    [{ type: 'ban', jail: 'asterisk', ip: '198.51.100.1', time: T0 + 5000, until: T0 + 1_200_000, banCount: 1, reason: 'manual', failures: 0 }],
    T0 + 5000,
  );
  assert.deepEqual(
    runner.calls.filter((c) => c.input !== undefined).map((c) => c.input!.trim()),
    ['add f2b-asterisk-udp 198.51.100.1 timeout 1195'],
  );
});

test('past the first slice too: a restart over more bans than one slice sends none whose timer the kernel kept', async () => {
  const n = RESTORE_SLICE + 500;
  const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  // the last one's timer ends elsewhere: it alone goes, in the last slice
  const { runner, actions } = await startedOver({ 'f2b-asterisk-udp': Array.from({ length: n }, (_, i) => `${ip(i)} timeout ${i === n - 1 ? 30 : 600}`) });
  const stored = Array.from({ length: n }, (_, i) => ({
    jail: 'asterisk',
    ip: ip(i),
    start: T0 - 1000,
    until: T0 + 600_000,
    banCount: 1,
    reason: 'detected' as const,
    applied: true,
  }));
  await actions.reconcile(stored, T0);
  const lines = runner.calls.filter((c) => c.input !== undefined).flatMap((c) => c.input!.split('\n').filter(Boolean));
  assert.deepEqual(lines, [`add f2b-asterisk-udp ${ip(n - 1)} timeout 600`]);
  assert.deepEqual(actions.pending(), []);
});
