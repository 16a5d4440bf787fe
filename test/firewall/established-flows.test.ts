import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CommandRunner } from '../../src/exec/command-runner.js';
import { T0, ban, defenderRunner, guard, usePair, type Guard } from './kernel-scenario.js';
import { KERNEL_SKIP } from '../helpers/privileges.js';

const box = usePair();

const ESTABLISHED = ['-m', 'conntrack', '--ctstate', 'ESTABLISHED,RELATED', '-j', 'ACCEPT'];

/** The defender's runner, but as if the conntrack tool were not installed. */
function withoutConntrack(): CommandRunner {
  const real = defenderRunner(box.pair);
  return {
    run: (argv, opts) =>
      argv[0] === 'conntrack' ? Promise.resolve({ exitCode: 127, stdout: '', stderr: 'conntrack: command not found' }) : real.run(argv, opts),
  };
}

/**
 * An open UDP flow from the attacker, accepted as ESTABLISHED ahead of our jump, then a ban:
 * `after` checks that same socket and the guard's records once the ban (and its purge) is done.
 */
async function banWithOpenFlow(runner: CommandRunner | undefined, after: (send: () => Promise<string>, g: Guard) => Promise<void>): Promise<void> {
  const { pair } = box;
  const g = await guard(pair, 'iptables', runner ? { runner } : {});
  const client = await pair.udpClient(pair.defender4, 5060);
  try {
    // the rule first: conntrack tracks a namespace's flows once a rule asks for it
    await pair.exec(pair.defender, ['iptables', '-I', 'INPUT', '1', ...ESTABLISHED]);
    assert.equal(await client.send(), 'reply');
    await g.actions.apply([ban(pair.attacker4)], T0);
    await g.actions.idle();
    await after(() => client.send(), g);
  } finally {
    client.close();
    await g.actions.stop();
    await pair.exec(pair.defender, ['iptables', '-D', 'INPUT', ...ESTABLISHED]);
  }
}

test('an open UDP flow behind an ESTABLISHED,RELATED ACCEPT rule is cut on ban: its conntrack entry is deleted', { skip: KERNEL_SKIP }, async () => {
  await banWithOpenFlow(undefined, async (send, g) => {
    assert.equal(await send(), 'refused', 'the same socket, after the ban');
    assert.ok(g.records.some((r) => r['event'] === 'conntrack-purged'));
  });
});

test('without the conntrack tool, the same flow keeps passing: the reason the deletion exists', { skip: KERNEL_SKIP }, async () => {
  await banWithOpenFlow(withoutConntrack(), async (send) => {
    assert.equal(await send(), 'reply');
    assert.equal(await box.pair.probe('udp', box.pair.defender4, 5060), 'refused', 'a new flow is rejected');
  });
});

test('at start, an ESTABLISHED,RELATED ACCEPT rule ahead of our jump is warned about', { skip: KERNEL_SKIP }, async () => {
  const { pair } = box;
  const first = await guard(pair, 'iptables');
  await first.actions.stop({ keepRules: true });
  await pair.exec(pair.defender, ['iptables', '-I', 'INPUT', '1', ...ESTABLISHED]);
  const g = await guard(pair, 'iptables');
  try {
    const w = g.records.filter((r) => r['event'] === 'firewall-hook-order');
    assert.equal(w.length, 2, 'one per chain we hook (tcp and udp)');
    assert.match(String(w[0]!['msg']), /ESTABLISHED/);
  } finally {
    await g.actions.stop();
    await pair.exec(pair.defender, ['iptables', '-D', 'INPUT', ...ESTABLISHED]);
  }
});

test('route: a banned address gets silence (blackhole route), v4 and v6; the unban restores it', { skip: KERNEL_SKIP }, async () => {
  const { pair } = box;
  const g = await guard(pair, 'route');
  try {
    await g.actions.apply([ban(pair.attacker4), ban(pair.attacker6)], T0);
    await g.actions.idle();
    assert.match((await pair.exec(pair.defender, ['ip', 'route', 'show', 'type', 'blackhole'])).stdout, /^blackhole 10\.213\.0\.1\b/m);
    assert.equal(await pair.probe('udp', pair.defender4, 5060, 700), 'timeout');
    assert.equal(await pair.probe('tcp', pair.defender4, 5060, 700), 'timeout');
    assert.equal(await pair.probe('tcp', pair.defender6, 5060, 700), 'timeout');
    await g.actions.apply(
      [
        { type: 'unban', jail: 'asterisk', ip: pair.attacker4, time: T0, reason: 'manual' },
        { type: 'unban', jail: 'asterisk', ip: pair.attacker6, time: T0, reason: 'manual' },
      ],
      T0 + 1,
    );
    assert.equal(await pair.probe('udp', pair.defender4, 5060), 'reply');
    assert.equal(await pair.probe('tcp', pair.defender6, 5060), 'open');
  } finally {
    await g.actions.stop();
  }
});
