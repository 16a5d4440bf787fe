// Restart with a set action (kernel timers): the kernel kept its sets while the daemon was down,
// the database says what should be there. One `ipset restore` makes them agree: entries the
// database does not know leave, missing ones come, every timer is set again to the ban's remaining
// time (permanent: 0; longer than ipset's maximum: the maximum), each in the set of its verdict.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firewallMaker } from '../../src/app.js';
import { loadJailActions } from '../../src/actions/jail-actions.js';
import { MAX_KERNEL_TIMEOUT_S } from '../../src/firewall/ban-tags.js';
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

test('a restart reconciles the sets with the database in one ipset restore: unknown out, missing in, every timer refreshed, verdicts kept', async () => {
  const runner = new MemoryRunner();
  kernel(runner, {
    'f2b-asterisk-udp': ['198.51.100.1 timeout 5', '198.51.100.3 timeout 100', '203.0.113.0/24 timeout 40', '198.51.100.7 timeout 30'],
    'f2b-asterisk-udp-drop': ['198.51.100.5 timeout 7'],
  });
  const { log } = memoryLogger();
  const actions = loadJailActions(
    { jail: 'asterisk', actions: [{ name: 'iptables-ipset', args: { name: 'asterisk-udp', protocol: 'udp' } }], params: { port: '5060' }, dropRepeat: 2 },
    { configDir: packageRoot(), firewalls: firewallMaker(runner, false), store: new TinyStore(), log },
  );
  await actions.start();
  const rec = (ip: string, until: number | null, banCount = 1) => ({
    jail: 'asterisk',
    ip,
    start: T0 - 1000,
    until,
    banCount,
    reason: 'detected' as const,
    applied: true,
  });
  runner.calls.length = 0;
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
