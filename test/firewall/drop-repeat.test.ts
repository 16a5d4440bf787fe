// REJECT, then DROP (droprepeat) on real packets: a first offender is answered (ICMP port
// unreachable on UDP, a reset on TCP: the probe says 'refused'), a repeat offender gets silence
// (the probe says 'timeout'). The verdict shows per address in the kernel's own listing, and a
// restart with another droprepeat moves the entries between verdicts in the reconcile batch.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { T0, ban, guard, seen, unban, usePair, PASSES, REJECTED, type Guard } from './kernel-scenario.js';
import { KERNEL_SKIP } from '../helpers/privileges.js';
import type { NetnsPair } from '../helpers/netns.js';

const box = usePair();
const DROPPED = { udp4: 'timeout', tcp4: 'timeout', udp6: 'timeout', tcp6: 'timeout' };
// a DROP is proven by waiting: long enough for an answer on a veth pair, short for the suite
const WAIT = 700;

/** What the kernel lists for the attacker's IPv4 address, per verdict. */
const listings: Record<string, (pair: NetnsPair) => Promise<{ drop: boolean; reject: boolean }>> = {
  async iptables(pair) {
    const rules = (await pair.exec(pair.defender, ['iptables', '-S', 'f2b-asterisk-udp'])).stdout;
    return {
      drop: rules.includes(`-A f2b-asterisk-udp -s ${pair.attacker4}/32 -p udp -j DROP`),
      reject: rules.includes(`-A f2b-asterisk-udp -s ${pair.attacker4}/32 -p udp -j REJECT`),
    };
  },
  async 'iptables-ipset'(pair) {
    const drop = (await pair.exec(pair.defender, ['ipset', 'save', 'f2b-asterisk-udp-drop'])).stdout;
    const reject = (await pair.exec(pair.defender, ['ipset', 'save', 'f2b-asterisk-udp'])).stdout;
    const has = (t: string) => new RegExp(`^add \\S+ ${pair.attacker4.replace(/\./g, '\\.')} `, 'm').test(t);
    return { drop: has(drop), reject: has(reject) };
  },
  async nftables(pair) {
    const drop = (await pair.exec(pair.defender, ['nft', 'list', 'set', 'inet', 'f2b-asterisk-udp', 'addr4drop'])).stdout;
    const reject = (await pair.exec(pair.defender, ['nft', 'list', 'set', 'inet', 'f2b-asterisk-udp', 'addr4'])).stdout;
    return { drop: drop.includes(pair.attacker4), reject: reject.includes(pair.attacker4) };
  },
};

for (const action of Object.keys(listings)) {
  test(`${action}: droprepeat = 2, a first ban REJECTs (refused), a second ban DROPs (timeout), visible per address`, { skip: KERNEL_SKIP }, async () => {
    const { pair } = box;
    const g: Guard = await guard(pair, action, { dropRepeat: 2 });
    try {
      assert.deepEqual(await seen(pair), PASSES);
      await g.actions.apply([ban(pair.attacker4, T0 + 600_000, 1), ban(pair.attacker6, T0 + 600_000, 1)], T0);
      assert.deepEqual(await seen(pair), REJECTED, 'ban count 1: REJECT answers');
      assert.deepEqual(await listings[action]!(pair), { drop: false, reject: true });
      await g.actions.apply([unban(pair.attacker4), unban(pair.attacker6)], T0 + 1000);
      assert.deepEqual(await seen(pair), PASSES);
      await g.actions.apply([ban(pair.attacker4, T0 + 600_000, 2), ban(pair.attacker6, null, 2)], T0 + 2000);
      assert.deepEqual(await seen(pair, 5060, WAIT), DROPPED, 'ban count 2: DROP is silent');
      assert.deepEqual(await listings[action]!(pair), { drop: true, reject: false });
      // an unban of a DROPped address removes the DROP entry
      await g.actions.apply([unban(pair.attacker4), unban(pair.attacker6)], T0 + 3000);
      assert.deepEqual(await seen(pair), PASSES);
      assert.deepEqual(g.actions.pending(), []);
    } finally {
      await g.actions.stop();
    }
  });

  test(`${action}: a restart with droprepeat off moves a DROPped address back to REJECT in the reconcile`, { skip: KERNEL_SKIP }, async () => {
    const { pair } = box;
    const first = await guard(pair, action, { dropRepeat: 2 });
    await first.actions.apply([ban(pair.attacker4, T0 + 600_000, 3)], T0);
    assert.equal(await pair.probe('udp', pair.defender4, 5060, WAIT), 'timeout');
    await first.actions.stop({ keepRules: true });
    // the same kernel, a new daemon whose jail no longer drops: the listing says DROP, the store says REJECT
    const next = await guard(pair, action, { dropRepeat: 0 });
    try {
      await next.actions.reconcile(
        [{ jail: 'asterisk', ip: pair.attacker4, start: T0, until: T0 + 600_000, banCount: 3, reason: 'detected', applied: true }],
        T0 + 1000,
      );
      assert.equal(await pair.probe('udp', pair.defender4, 5060), 'refused');
      assert.deepEqual(await listings[action]!(pair), { drop: false, reject: true });
      assert.deepEqual(next.actions.pending(), []);
    } finally {
      await next.actions.stop();
    }
  });
}
