import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Jail } from '../../src/jails/jail.js';
import { NO_INCREMENT } from '../../src/jails/ban-policy.js';
import type { IncrementConfig } from '../../src/config/jail-schema.js';
import { PASSES, REJECTED, T0, guard, seen, usePair } from './kernel-scenario.js';
import { KERNEL_SKIP } from '../helpers/privileges.js';

const box = usePair();

function jail(): Jail {
  const increment = { ...NO_INCREMENT, overalljails: false } as IncrementConfig;
  return new Jail({ name: 'asterisk', maxretry: 3, findtime: 600_000, bantime: 600_000, increment, ignoreip: ['192.0.2.0/24'], ignoreself: true });
}

test(
  'iptables: a /24 ban holding the attacker rejects it as one rule per chain; a restart reconciles it; unban by the same range reopens',
  { skip: KERNEL_SKIP },
  async () => {
    const { pair } = box;
    const j = jail();
    const net = pair.attacker4.replace(/\.\d+$/, '.0/24');
    const g = await guard(pair, 'iptables');
    try {
      assert.deepEqual(await seen(pair), PASSES, 'before the ban, traffic passes');
      const bans = j.ban(net, T0);
      assert.deepEqual(
        bans.map((d) => d.ip),
        [net],
      );
      await g.actions.apply(bans, T0);
      assert.deepEqual(g.actions.pending(), []);
      const v4 = await seen(pair);
      assert.deepEqual([v4.udp4, v4.tcp4], [REJECTED.udp4, REJECTED.tcp4], 'the range rejects the attacker');
      assert.deepEqual([v4.udp6, v4.tcp6], [PASSES.udp6, PASSES.tcp6], 'its IPv6 address is not in the range');
      const rules = (await pair.exec(pair.defender, ['iptables', '-S', 'f2b-asterisk-udp'])).stdout;
      assert.equal(rules.match(/^-A f2b-asterisk-udp -s /gm)?.length, 1, 'one entry, not 256');
      assert.match(rules, new RegExp(`^-A f2b-asterisk-udp -s ${net.replace(/\./g, '\\.')} `, 'm'));
      // the check lists the kernel: the range is seen as held (no repair, no re-add)
      await g.actions.check(T0 + 5000);
      assert.equal(
        g.actions.status().reduce((n, s) => n + s.repairs, 0),
        0,
      );
      assert.equal((await pair.exec(pair.defender, ['iptables', '-S', 'f2b-asterisk-udp'])).stdout.match(/^-A f2b-asterisk-udp -s /gm)?.length, 1);
    } finally {
      await g.actions.stop();
    }
    assert.deepEqual(await seen(pair), PASSES, 'stop removed the rules');
    // a start from the store puts the range back
    const again = await guard(pair, 'iptables');
    try {
      const rec = { jail: 'asterisk', ip: net, start: T0, until: T0 + 600_000, banCount: 1, reason: 'manual' as const, applied: true };
      const j2 = jail();
      assert.deepEqual(
        j2.restore([rec], T0 + 1000).map((d) => [d.type, d.ip]),
        [['ban', net]],
      );
      await again.actions.reconcile([rec], T0 + 1000);
      assert.equal((await seen(pair)).udp4, 'refused', 'restored at start');
      const unbans = j2.unban(net, T0 + 2000);
      assert.equal(unbans.length, 1);
      await again.actions.apply(unbans, T0 + 2000);
      assert.deepEqual(await seen(pair), PASSES, 'unban by the same range reopens');
    } finally {
      await again.actions.stop();
    }
  },
);

test('nftables (no interval flag) says it cannot hold a range; iptables and iptables-ipset (hash:net) can', { skip: KERNEL_SKIP }, async () => {
  const { pair } = box;
  for (const [action, refuses] of [
    ['iptables-ipset', false],
    ['nftables', true],
    ['iptables', false],
  ] as const) {
    const g = await guard(pair, action);
    try {
      assert.equal(g.actions.rangesRefusedBy().length > 0, refuses, action);
    } finally {
      await g.actions.stop();
    }
  }
});

test(
  'iptables-ipset: a /24 is one hash:net member that rejects the attacker; the check lists it as held; a hash:ip set from before is rebuilt',
  { skip: KERNEL_SKIP },
  async () => {
    const { pair } = box;
    const net = pair.attacker4.replace(/\.\d+$/, '.0/24');
    // a set left by an older version: hash:ip cannot take a range
    await pair.exec(pair.defender, ['ipset', 'create', 'f2b-asterisk-udp', 'hash:ip', 'timeout', '0']);
    const g = await guard(pair, 'iptables-ipset');
    try {
      assert.match((await pair.exec(pair.defender, ['ipset', 'list', '-t', 'f2b-asterisk-udp'])).stdout, /^Type: hash:net$/m);
      await g.actions.apply(jail().ban(net, T0), T0);
      assert.deepEqual(g.actions.pending(), []);
      const v4 = await seen(pair);
      assert.deepEqual([v4.udp4, v4.tcp4], [REJECTED.udp4, REJECTED.tcp4], 'the range rejects the attacker');
      const members = (await pair.exec(pair.defender, ['ipset', 'save', 'f2b-asterisk-udp'])).stdout.match(/^add /gm);
      assert.equal(members?.length, 1, 'one member, not 256');
      await g.actions.check(T0 + 5000);
      assert.equal(
        g.actions.status().reduce((n, s) => n + s.repairs, 0),
        0,
      );
    } finally {
      await g.actions.stop();
    }
  },
);
