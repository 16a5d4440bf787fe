import { test } from 'node:test';
import assert from 'node:assert/strict';
import { T0, ban, banRejectsThenUnbanPasses, guard, repairs, restartKeepsTimers, usePair } from './kernel-scenario.js';
import { KERNEL_SKIP } from '../helpers/privileges.js';

const box = usePair();

test('iptables-ipset: a banned attacker is rejected on UDP and TCP (v4 and v6); after the unban traffic passes', { skip: KERNEL_SKIP }, async () => {
  const { pair } = box;
  const g = await guard(pair, 'iptables-ipset');
  try {
    await banRejectsThenUnbanPasses(pair, g);
  } finally {
    await g.actions.stop();
  }
  const sets = (await pair.exec(pair.defender, ['ipset', 'list', '-n'])).stdout;
  assert.equal(sets.trim(), '', 'stop destroys the sets');
});

test(
  'iptables-ipset: bans are set members with kernel timeouts; one DROP rule (repeat offenders) and one REJECT rule per chain match the sets',
  { skip: KERNEL_SKIP },
  async () => {
    const { pair } = box;
    const g = await guard(pair, 'iptables-ipset');
    try {
      await g.actions.apply([ban(pair.attacker4, T0 + 600_000), ban(pair.attacker6, null)], T0);
      const v4 = (await pair.exec(pair.defender, ['ipset', 'save', 'f2b-asterisk-udp'])).stdout;
      const m = /^add f2b-asterisk-udp 10\.213\.0\.1 timeout (\d+)$/m.exec(v4);
      assert.ok(m, v4);
      assert.ok(Number(m[1]) > 590 && Number(m[1]) <= 600, `timeout ${m[1]}`);
      const v6 = (await pair.exec(pair.defender, ['ipset', 'save', 'f2b-asterisk-udp6'])).stdout;
      assert.match(v6, /^add f2b-asterisk-udp6 fd00:213::1 timeout 0$/m, 'permanent ban: timeout 0');
      const chain = (await pair.exec(pair.defender, ['iptables', '-S', 'f2b-asterisk-udp'])).stdout.trim().split('\n');
      assert.deepEqual(chain, [
        '-N f2b-asterisk-udp',
        '-A f2b-asterisk-udp -p udp -m set --match-set f2b-asterisk-udp-drop src -j DROP',
        '-A f2b-asterisk-udp -p udp -m set --match-set f2b-asterisk-udp src -j REJECT --reject-with icmp-port-unreachable',
        '-A f2b-asterisk-udp -j RETURN',
      ]);
    } finally {
      await g.actions.stop();
    }
  },
);

test('iptables-ipset: a flushed set and a flushed chain are repaired by the next check', { skip: KERNEL_SKIP }, async () => {
  const { pair } = box;
  const g = await guard(pair, 'iptables-ipset');
  try {
    await g.actions.apply([ban(pair.attacker4)], T0);
    await pair.exec(pair.defender, ['ipset', 'flush', 'f2b-asterisk-udp']);
    assert.equal(await pair.probe('udp', pair.defender4, 5060), 'reply');
    await g.actions.check(T0 + 5000);
    assert.equal(await pair.probe('udp', pair.defender4, 5060), 'refused');
    assert.equal(repairs(g), 1);
    await pair.exec(pair.defender, ['iptables', '-F', 'f2b-asterisk-tcp']);
    assert.equal(await pair.probe('tcp', pair.defender4, 5060), 'open');
    await g.actions.check(T0 + 10_000);
    assert.equal(await pair.probe('tcp', pair.defender4, 5060), 'refused');
    assert.equal(repairs(g), 2);
  } finally {
    await g.actions.stop();
  }
});

test(
  'iptables-ipset: a restart leaves the kernel timer that ends where the store says as it is, and sets the one the store moved again',
  { skip: KERNEL_SKIP },
  async () => {
    await restartKeepsTimers(box.pair, 'iptables-ipset', /^add f2b-asterisk-\w+ 198\.51\.100\.52 timeout 1199$/);
  },
);
