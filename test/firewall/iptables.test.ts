import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PASSES, REJECTED, T0, ban, banRejectsThenUnbanPasses, guard, repairs, seen, usePair } from './kernel-scenario.js';
import { KERNEL_SKIP } from '../helpers/privileges.js';

const box = usePair();

test(
  'iptables: a banned attacker gets ICMP port unreachable on UDP and TCP to 5060/5061 (v4 and v6); after the unban traffic passes',
  { skip: KERNEL_SKIP },
  async () => {
    const { pair } = box;
    const g = await guard(pair, 'iptables');
    try {
      await banRejectsThenUnbanPasses(pair, g);
    } finally {
      await g.actions.stop();
    }
  },
);

test(
  'iptables: the chains are f2b-asterisk-tcp and f2b-asterisk-udp, hooked from INPUT on 5060,5061, one REJECT rule per address',
  { skip: KERNEL_SKIP },
  async () => {
    const { pair } = box;
    const g = await guard(pair, 'iptables');
    try {
      await g.actions.apply([ban(pair.attacker4), ban('198.51.100.20')], T0);
      await g.actions.apply([ban(pair.attacker4)], T0 + 1);
      const s = (await pair.exec(pair.defender, ['iptables', '-S'])).stdout;
      assert.match(s, /^-A INPUT -p tcp -m multiport --dports 5060,5061 -j f2b-asterisk-tcp$/m);
      assert.match(s, /^-A INPUT -p udp -m multiport --dports 5060,5061 -j f2b-asterisk-udp$/m);
      assert.match(s, /^-A f2b-asterisk-udp -s 10\.213\.0\.1\/32 -p udp -j REJECT --reject-with icmp-port-unreachable$/m);
      assert.equal(s.match(/-A f2b-asterisk-udp -s 10\.213\.0\.1\//g)?.length, 1, 'no duplicate after a second ban');
      assert.match(s, /^-A f2b-asterisk-udp -j RETURN$/m);
      assert.equal(await pair.probe('tcp', pair.defender4, 5070), 'open', 'other ports are not touched');
      const s6 = (await pair.exec(pair.defender, ['ip6tables', '-S'])).stdout;
      assert.match(s6, /^-A INPUT -p udp -m multiport --dports 5060,5061 -j f2b-asterisk-udp$/m);
    } finally {
      await g.actions.stop();
    }
    const s = (await pair.exec(pair.defender, ['iptables', '-S'])).stdout;
    assert.doesNotMatch(s, /f2b-/, 'stop removes chains and hooks');
  },
);

test('iptables: a chain someone flushed (or deleted with its hook) is rebuilt by the next check, and the ban holds again', { skip: KERNEL_SKIP }, async () => {
  const { pair } = box;
  const g = await guard(pair, 'iptables');
  try {
    await g.actions.apply([ban(pair.attacker4), ban(pair.attacker6)], T0);
    await pair.exec(pair.defender, ['iptables', '-F', 'f2b-asterisk-udp']);
    assert.equal(await pair.probe('udp', pair.defender4, 5060), 'reply', 'the flush really lifted the ban');
    await g.actions.check(T0 + 5000);
    assert.equal(await pair.probe('udp', pair.defender4, 5060), 'refused');
    assert.equal(repairs(g), 1);

    await pair.exec(pair.defender, ['ip6tables', '-D', 'INPUT', '-p', 'tcp', '-m', 'multiport', '--dports', '5060,5061', '-j', 'f2b-asterisk-tcp']);
    await pair.exec(pair.defender, ['ip6tables', '-F', 'f2b-asterisk-tcp']);
    await pair.exec(pair.defender, ['ip6tables', '-X', 'f2b-asterisk-tcp']);
    assert.equal(await pair.probe('tcp', pair.defender6, 5060), 'open');
    await g.actions.check(T0 + 10_000);
    assert.equal(await pair.probe('tcp', pair.defender6, 5060), 'refused');
    assert.equal(repairs(g), 2);
    const s = (await pair.exec(pair.defender, ['ip6tables', '-S', 'INPUT'])).stdout;
    assert.equal(s.match(/-j f2b-asterisk-tcp/g)?.length, 1, 'exactly one hook after the repair');
  } finally {
    await g.actions.stop();
  }
});

test('iptables: a restart reconciles with the store: kept bans stay, missing ones are added, stale ones removed', { skip: KERNEL_SKIP }, async () => {
  const { pair } = box;
  const first = await guard(pair, 'iptables');
  await first.actions.apply([ban(pair.attacker4), ban('198.51.100.30')], T0);
  await first.actions.stop({ keepRules: true });
  const g = await guard(pair, 'iptables');
  try {
    const rec = (ip: string) => ({ jail: 'asterisk', ip, start: T0, until: T0 + 600_000, banCount: 1, reason: 'restored' as const, applied: true });
    await g.actions.reconcile([rec(pair.attacker4), rec(pair.attacker6)], T0 + 2000);
    const s4 = (await pair.exec(pair.defender, ['iptables', '-S', 'f2b-asterisk-udp'])).stdout;
    assert.doesNotMatch(s4, /198\.51\.100\.30/);
    assert.equal(s4.match(/10\.213\.0\.1\//g)?.length, 1);
    assert.deepEqual(await seen(pair), REJECTED);
  } finally {
    await g.actions.stop();
  }
  assert.deepEqual(await seen(pair), PASSES);
});

test('iptables: blocktype tcp-reset on the tcp action answers TCP with a reset; chain = FORWARD hooks FORWARD', { skip: KERNEL_SKIP }, async () => {
  const { pair } = box;
  const g = await guard(pair, 'iptables', { params: { chain: 'FORWARD' } });
  try {
    const s = (await pair.exec(pair.defender, ['iptables', '-S', 'FORWARD'])).stdout;
    assert.match(s, /^-A FORWARD -p tcp -m multiport --dports 5060,5061 -j f2b-asterisk-tcp$/m);
  } finally {
    await g.actions.stop();
  }
  const r = await guard(pair, 'iptables', { tcpArgs: { blocktype: 'REJECT --reject-with tcp-reset' } });
  try {
    await r.actions.apply([ban(pair.attacker4), ban(pair.attacker6)], T0);
    assert.deepEqual(r.actions.pending(), []);
    const tcp = (await pair.exec(pair.defender, ['iptables', '-S', 'f2b-asterisk-tcp'])).stdout;
    assert.match(tcp, /-p tcp -j REJECT --reject-with tcp-reset/);
    assert.equal(await pair.probe('tcp', pair.defender4, 5060), 'refused');
    assert.equal(await pair.probe('tcp', pair.defender6, 5060), 'refused');
    assert.equal(await pair.probe('udp', pair.defender4, 5060), 'refused', 'udp keeps icmp-port-unreachable');
  } finally {
    await r.actions.stop();
  }
});

test('iptables-allports: the banned attacker is rejected on every port of the protocol', { skip: KERNEL_SKIP }, async () => {
  const { pair } = box;
  const g = await guard(pair, 'iptables-allports');
  try {
    await g.actions.apply([ban(pair.attacker4)], T0);
    assert.equal(await pair.probe('tcp', pair.defender4, 5070), 'refused');
    assert.equal(await pair.probe('udp', pair.defender4, 5070), 'refused');
    assert.equal(await pair.probe('tcp', pair.defender6, 5070), 'open', 'the v6 address is not banned');
    await g.actions.apply([{ type: 'unban', jail: 'asterisk', ip: pair.attacker4, time: T0, reason: 'manual' }], T0 + 1);
    assert.equal(await pair.probe('tcp', pair.defender4, 5070), 'open');
  } finally {
    await g.actions.stop();
  }
});
