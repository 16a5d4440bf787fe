import { test } from 'node:test';
import assert from 'node:assert/strict';
import { T0, ban, banRejectsThenUnbanPasses, guard, repairs, usePair } from './kernel-scenario.js';
import { KERNEL_SKIP } from '../helpers/privileges.js';

const box = usePair();

test('nftables: a banned attacker is rejected on UDP and TCP (v4 and v6); after the unban traffic passes', { skip: KERNEL_SKIP }, async () => {
  const { pair } = box;
  const g = await guard(pair, 'nftables');
  try {
    await banRejectsThenUnbanPasses(pair, g);
  } finally {
    await g.actions.stop();
  }
  assert.doesNotMatch((await pair.exec(pair.defender, ['nft', 'list', 'tables'])).stdout, /f2b-/, 'stop deletes the tables');
});

test('nftables: bans are set elements with timeouts; a re-ban and an unban of an expired element are no-ops, not errors', { skip: KERNEL_SKIP }, async () => {
  const { pair } = box;
  const g = await guard(pair, 'nftables');
  try {
    // 198.51.100.40 gets a long kernel timeout: the test removes it below to stand for the kernel's
    // expiry (a real 1 s timeout raced that delete on a loaded machine: the element was already gone)
    await g.actions.apply([ban(pair.attacker4, T0 + 600_000), ban('198.51.100.40', T0 + 600_000)], T0);
    const set = (await pair.exec(pair.defender, ['nft', 'list', 'set', 'inet', 'f2b-asterisk-udp', 'addr4'])).stdout;
    assert.match(set, /10\.213\.0\.1 timeout 10m/);
    await g.actions.apply([ban(pair.attacker4, T0 + 1_200_000)], T0 + 1);
    assert.match(
      (await pair.exec(pair.defender, ['nft', 'list', 'set', 'inet', 'f2b-asterisk-udp', 'addr4'])).stdout,
      /10\.213\.0\.1 timeout 19m59s|10\.213\.0\.1 timeout 20m/,
    );
    // the element lapses in the kernel before the jail's unban arrives
    await pair.exec(pair.defender, ['nft', 'delete', 'element', 'inet', 'f2b-asterisk-udp', 'addr4', '{ 198.51.100.40 }']);
    await g.actions.apply([{ type: 'unban', jail: 'asterisk', ip: '198.51.100.40', time: T0 + 2000, reason: 'expired' }], T0 + 2000);
    assert.deepEqual(g.actions.pending(), []);
    assert.equal(
      g.actions.status().reduce((n, s) => n + s.failures, 0),
      0,
    );
  } finally {
    await g.actions.stop();
  }
});

test('nftables: a flushed chain and a deleted table are rebuilt by the next check', { skip: KERNEL_SKIP }, async () => {
  const { pair } = box;
  const g = await guard(pair, 'nftables');
  try {
    await g.actions.apply([ban(pair.attacker4), ban(pair.attacker6)], T0);
    await pair.exec(pair.defender, ['nft', 'flush', 'chain', 'inet', 'f2b-asterisk-udp', 'input']);
    assert.equal(await pair.probe('udp', pair.defender4, 5060), 'reply');
    await g.actions.check(T0 + 5000);
    assert.equal(await pair.probe('udp', pair.defender4, 5060), 'refused');
    await pair.exec(pair.defender, ['nft', 'delete', 'table', 'inet', 'f2b-asterisk-tcp']);
    assert.equal(await pair.probe('tcp', pair.defender6, 5060), 'open');
    await g.actions.check(T0 + 10_000);
    assert.equal(await pair.probe('tcp', pair.defender6, 5060), 'refused');
    assert.equal(repairs(g), 2);
  } finally {
    await g.actions.stop();
  }
});
