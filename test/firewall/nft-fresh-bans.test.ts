// A ban of an address the action does not hold goes to nftables as one element in one statement
// (batchbannew, batchmerge), not as add, delete, add: the action knows what it sent (ActionInstance
// marks such bans fresh). An address it holds still gets the idempotent three lines, grouped with
// the other held addresses' by their place (three statements for a restore's whole slice).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ActionInstance } from '../../src/actions/action-instance.js';
import { loadActionDefinition } from '../../src/firewall/action-definition.js';
import { CommandFirewall } from '../../src/firewall/command-firewall.js';
import type { FirewallBan, FirewallChange } from '../../src/firewall/firewall.js';
import { MemoryFirewall } from '../../src/firewall/memory-firewall.js';
import { mergeElementLines } from '../../src/firewall/script-merge.js';
import { packageRoot } from '../../src/core/paths.js';
import { silentLogger } from '../../src/log/logger.js';
import { MemoryRunner } from '../fakes/memory-runner.js';

const T0 = 1_800_000_000_000;
const b = (ip: string, until: number | null, drop = false): FirewallBan => ({
  ip,
  family: ip.includes(':') ? 'inet6' : 'inet4',
  time: T0,
  until,
  banCount: 1,
  failures: 3,
  ...(drop ? { drop } : {}),
});
const nft = (runner: MemoryRunner) =>
  new CommandFirewall(
    loadActionDefinition('nftables', { name: 'asterisk-udp', protocol: 'udp' }, { jail: 'asterisk', configDir: packageRoot() }),
    runner,
    silentLogger(),
  );

test('merge: runs of one head join in order; other lines, empty braces and a changed head end a run', () => {
  assert.deepEqual(
    mergeElementLines([
      'add element inet t s { 192.0.2.1 timeout 60s }',
      'add element inet t s { 192.0.2.2 timeout 5s }',
      'flush set inet t s',
      'add element inet t s { 192.0.2.3 }',
    ]),
    ['add element inet t s { 192.0.2.1 timeout 60s, 192.0.2.2 timeout 5s }', 'flush set inet t s', 'add element inet t s { 192.0.2.3 }'],
  );
  // add, delete, add of one address keeps its order: nothing is moved across another statement
  const three = ['add element inet t s { 192.0.2.1 }', 'delete element inet t s { 192.0.2.1 }', 'add element inet t s { 192.0.2.1 timeout 60s }'];
  assert.deepEqual(mergeElementLines(three), three);
  assert.deepEqual(mergeElementLines(['add element inet t s { }', 'add element inet t s { }']), ['add element inet t s { }', 'add element inet t s { }']);
  assert.deepEqual(mergeElementLines(['add element inet t s { 192.0.2.1 }', 'add element inet t s6 { 2001:db8::1 }']), [
    'add element inet t s { 192.0.2.1 }',
    'add element inet t s6 { 2001:db8::1 }',
  ]);
});

test('nftables: fresh bans are one statement per set; a held address still gets add, delete, add', async () => {
  const runner = new MemoryRunner();
  const fresh = new Set(['203.0.113.5', '203.0.113.6', '2001:db8::5', '198.51.100.9']);
  await nft(runner).apply(
    {
      ban: [
        b('203.0.113.5', T0 + 90_000),
        b('203.0.113.6', T0 + 60_000),
        b('2001:db8::5', T0 + 90_000),
        b('198.51.100.9', T0 + 90_000, true),
        b('203.0.113.7', T0 + 90_000),
      ],
      unban: [],
      fresh,
    },
    T0,
  );
  assert.equal(runner.calls.length, 1);
  const lines = runner.calls[0]!.input!.trim().split('\n');
  assert.deepEqual(lines, [
    'add element inet f2b-asterisk-udp addr4 { 203.0.113.5 timeout 90s, 203.0.113.6 timeout 60s }',
    'add element inet f2b-asterisk-udp addr4drop { 198.51.100.9 timeout 90s }',
    // 203.0.113.7 is held already: its timer is renewed the idempotent way
    'add element inet f2b-asterisk-udp addr4 { 203.0.113.7 }',
    'delete element inet f2b-asterisk-udp addr4 { 203.0.113.7 }',
    'add element inet f2b-asterisk-udp addr4 { 203.0.113.7 timeout 90s }',
    'add element inet f2b-asterisk-udp addr6 { 2001:db8::5 timeout 90s }',
  ]);
});

class Recording extends MemoryFirewall {
  override readonly kernelTimeouts: boolean = true;
  readonly changes: FirewallChange[] = [];
  override async apply(change: FirewallChange) {
    this.changes.push(change);
    return super.apply(change);
  }
}

test('ActionInstance marks fresh only the bans of addresses it holds in neither form', async () => {
  const fw = new Recording('nftables[test]', silentLogger());
  const inst = new ActionInstance(fw, silentLogger());
  inst.queue([b('192.0.2.1', T0 + 1000), b('192.0.2.2', T0 + 1000)], []);
  await inst.flush(T0);
  assert.deepEqual([...(fw.changes[0]!.fresh ?? [])].sort(), ['192.0.2.1', '192.0.2.2']);
  // a longer ban of a held address (its kernel timer is set again), a verdict change, a new one
  inst.queue([b('192.0.2.1', T0 + 5000), b('192.0.2.2', T0 + 1000, true), b('192.0.2.3', T0 + 1000)], []);
  await inst.flush(T0);
  const c = fw.changes[1]!;
  assert.deepEqual(c.ban.map((x) => x.ip).sort(), ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
  assert.deepEqual([...(c.fresh ?? [])], ['192.0.2.3']);
  // unbanned, then banned again: fresh again
  inst.queue([], ['192.0.2.3']);
  await inst.flush(T0);
  inst.queue([b('192.0.2.3', T0 + 1000)], []);
  await inst.flush(T0);
  assert.deepEqual([...(fw.changes[3]!.fresh ?? [])], ['192.0.2.3']);
});

test("nftables: held addresses' add, delete, add go as three statements in all, each address's lines in order; unbans first", async () => {
  const runner = new MemoryRunner();
  await nft(runner).apply(
    {
      // a restore's slice: every address held already (its timer set again); 192.0.2.9 changes
      // verdict (out of the drop set, into the reject set: its unban and its ban in one transaction)
      ban: [b('192.0.2.1', T0 + 90_000), b('192.0.2.2', T0 + 60_000), b('192.0.2.9', T0 + 90_000), b('192.0.2.3', null)],
      unban: ['192.0.2.9', '192.0.2.8'],
      dropped: new Set(['192.0.2.9']),
    },
    T0,
  );
  assert.equal(runner.calls.length, 1);
  const lines = runner.calls[0]!.input!.trim().split('\n');
  assert.deepEqual(lines, [
    // the unbans' add, delete, template by template (the drop set's, then the other's)
    'add element inet f2b-asterisk-udp addr4drop { 192.0.2.9 }',
    'delete element inet f2b-asterisk-udp addr4drop { 192.0.2.9 }',
    'add element inet f2b-asterisk-udp addr4 { 192.0.2.8 }',
    'delete element inet f2b-asterisk-udp addr4 { 192.0.2.8 }',
    // then the bans: every first line, every second, every third
    'add element inet f2b-asterisk-udp addr4 { 192.0.2.1, 192.0.2.2, 192.0.2.9, 192.0.2.3 }',
    'delete element inet f2b-asterisk-udp addr4 { 192.0.2.1, 192.0.2.2, 192.0.2.9, 192.0.2.3 }',
    'add element inet f2b-asterisk-udp addr4 { 192.0.2.1 timeout 90s, 192.0.2.2 timeout 60s, 192.0.2.9 timeout 90s, 192.0.2.3 timeout 0s }',
  ]);
});
