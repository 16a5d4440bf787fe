// The jail's two chains share one table listing per family (start, periodic check, restore) and
// one iptables-restore per family for a decision (batchjoin); bans decided while the structure is
// still being made wait for it and land (docs/flood.md).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { firewallMaker } from '../../src/app.js';
import { loadJailActions, type JailActionContext } from '../../src/actions/jail-actions.js';
import type { CommandRunner, RunResult } from '../../src/exec/command-runner.js';
import { BatchJoiner } from '../../src/firewall/batch-joiner.js';
import { packageRoot } from '../../src/core/paths.js';
import type { Decision } from '../../src/core/types.js';
import { MemoryRunner } from '../fakes/memory-runner.js';
import { fakeIptables } from '../fakes/fake-iptables.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { TinyStore } from '../helpers/tiny-store.js';

const T0 = 1_800_000_000_000;
const PAIR: JailActionContext = {
  jail: 'asterisk',
  actions: [
    { name: 'iptables', args: { name: 'asterisk-tcp', protocol: 'tcp' } },
    { name: 'iptables', args: { name: 'asterisk-udp', protocol: 'udp' } },
  ],
  params: { port: '5060,5061' },
};

function ban(ip: string): Decision {
  return { type: 'ban', jail: 'asterisk', ip, time: T0, until: T0 + 600_000, banCount: 1, reason: 'detected', failures: 5 };
}

function setup(runner: CommandRunner) {
  const { log, records } = memoryLogger();
  const store = new TinyStore();
  const actions = loadJailActions(PAIR, { configDir: packageRoot(), firewalls: firewallMaker(runner, false), store, log });
  return { actions, records, store };
}

test('a start on an empty kernel lists the table once per family and runs no stop command; a second start runs only the listings', async () => {
  const runner = new MemoryRunner();
  fakeIptables(runner);
  const { actions } = setup(runner);
  await actions.start();
  const ran = runner.lines().filter((l) => l.startsWith('ip'));
  assert.equal(ran.filter((l) => / -S$/.test(l)).length, 2, ran.join('\n'));
  assert.deepEqual(
    ran.filter((l) => / -[DFXC] /.test(l)),
    [],
    'nothing to clear or check: the listing showed none of our chains',
  );
  assert.equal(ran.filter((l) => / -N f2b-/.test(l)).length, 4, 'two chains in two families');
  const again = setup(runner);
  const before = runner.calls.length;
  await again.actions.start();
  const second = runner
    .lines()
    .slice(before)
    .filter((l) => !l.startsWith('conntrack'));
  assert.deepEqual(second.filter((l) => !/ -S INPUT$/.test(l)).sort(), ['ip6tables -w -S', 'iptables -w -S'], 'the structure is whole: kept as it is');
});

test('the periodic check of both chains runs one listing per family, and finds a lost ban and a flushed chain from it', async () => {
  const runner = new MemoryRunner();
  const kernel = fakeIptables(runner);
  const { actions, records } = setup(runner);
  await actions.start();
  await actions.apply([ban('203.0.113.5'), ban('2001:db8::5')], T0);
  let before = runner.calls.length;
  await actions.check(T0 + 5000);
  assert.deepEqual(runner.lines().slice(before).sort(), ['ip6tables -w -S', 'iptables -w -S'], 'two commands for two chains in two families');
  // a rule deleted by hand in one chain: the same listing shows it
  kernel.get('f2b-asterisk-tcp')!.delete('203.0.113.5');
  before = runner.calls.length;
  await actions.check(T0 + 10_000);
  const ran = runner.calls.slice(before);
  assert.deepEqual(
    ran
      .filter((c) => c.input === undefined)
      .map((c) => c.argv.join(' '))
      .sort(),
    ['ip6tables -w -S', 'iptables -w -S'],
  );
  assert.equal(ran.filter((c) => c.input !== undefined).length, 1);
  assert.match(ran.find((c) => c.input !== undefined)!.input!, /^-I f2b-asterisk-tcp 1 -s 203\.0\.113\.5 /m);
  assert.ok(records.some((r) => r['event'] === 'firewall-repair' && r['lost'] === 1));
  // a flushed chain (no RETURN, no rules): actioncheck confirms, then the chain is rebuilt
  kernel.flush('f2b-asterisk-udp');
  await actions.check(T0 + 15_000);
  assert.deepEqual(actions.pending(), []);
  assert.equal(actions.status().find((s) => s.id === 'iptables[asterisk-udp]')!.repairs, 1);
  assert.ok([...kernel.get('f2b-asterisk-udp')!].includes('203.0.113.5'), 'its ban was sent again');
});

test('a listing that does not show a pattern (a rule printed otherwise) makes actioncheck decide: no repair when it passes', async () => {
  const runner = new MemoryRunner();
  fakeIptables(runner);
  const { actions } = setup(runner);
  await actions.start();
  // the whole-table listing no longer shows the jumps the way tablecheck expects
  runner.on((argv) =>
    argv.join(' ').endsWith(' -w -S') ? { exitCode: 0, stdout: '-P INPUT ACCEPT\n-N f2b-asterisk-tcp\n-N f2b-asterisk-udp\n', stderr: '' } : undefined,
  );
  const before = runner.calls.length;
  await actions.check(T0 + 5000);
  const ran = runner.lines().slice(before);
  assert.ok(
    ran.some((l) => l.includes(' -C INPUT ')),
    ran.join('\n'),
  );
  assert.ok(!ran.some((l) => / -[NX] /.test(l)), 'nothing rebuilt');
  assert.deepEqual(
    actions.status().map((s) => s.repairs),
    [0, 0],
  );
});

test("one decision reaches both chains of a family in one iptables-restore; a broken chain does not hold back the other's ban", async () => {
  const runner = new MemoryRunner();
  const kernel = fakeIptables(runner);
  const { actions, store } = setup(runner);
  await actions.start();
  await actions.apply([ban('203.0.113.7'), ban('2001:db8::7')], T0);
  const restores = runner.calls.filter((c) => c.input !== undefined);
  assert.deepEqual(restores.map((c) => c.argv[0]).sort(), ['ip6tables-restore', 'iptables-restore']);
  const v4 = restores.find((c) => c.argv[0] === 'iptables-restore')!.input!;
  assert.equal(v4.match(/^\*filter$/gm)!.length, 1, 'one transaction');
  assert.match(v4, /^-I f2b-asterisk-tcp 1 -s 203\.0\.113\.7 -p tcp /m);
  assert.match(v4, /^-I f2b-asterisk-udp 1 -s 203\.0\.113\.7 -p udp /m);
  assert.equal(store.lastApplied('203.0.113.7'), true);
  // the tcp chain refuses: the joined run fails, each part runs alone, udp's ban lands
  runner.on((argv, input) => (input?.includes('f2b-asterisk-tcp') ? { exitCode: 1, stdout: '', stderr: 'iptables-restore: line 2 failed\n' } : undefined));
  await actions.apply([ban('203.0.113.8')], T0);
  assert.ok(kernel.get('f2b-asterisk-udp')!.has('203.0.113.8'));
  assert.deepEqual(
    actions.status().map((s) => [s.id, s.pendingBans]),
    [
      ['iptables[asterisk-tcp]', ['203.0.113.8']],
      ['iptables[asterisk-udp]', []],
    ],
  );
});

test('bans decided while the structure is still being made wait for it, then land: none lost, none before its chain', async () => {
  const inner = new MemoryRunner();
  const kernel = fakeIptables(inner);
  let release = () => {};
  const hold = new Promise<void>((r) => (release = r));
  let holding = 0;
  const order: string[] = [];
  const runner: CommandRunner = {
    async run(argv, opts): Promise<RunResult> {
      // the structure's commands are slow (a loaded machine at start)
      if (argv.includes('-N')) {
        holding++;
        await hold;
      }
      const r = await inner.run(argv, opts);
      if (argv.includes('-N')) order.push(`chain ${argv.at(-1)}`);
      if (opts?.input) order.push(`bans ${argv[0]}`);
      return r;
    },
  };
  const { actions, store } = setup(runner);
  const starting = actions.start();
  while (holding === 0) await new Promise((r) => setImmediate(r));
  const applying = actions.apply([ban('203.0.113.9'), ban('2001:db8::9')], T0);
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.ok(!order.some((o) => o.startsWith('bans')), 'no ban before the chains exist');
  release();
  await Promise.all([starting, applying]);
  for (const c of ['f2b-asterisk-tcp', 'f2b-asterisk-udp']) {
    assert.ok(kernel.get(c)!.has('203.0.113.9') && kernel.get(c)!.has('2001:db8::9'), c);
  }
  assert.ok(order.indexOf('bans iptables-restore') > order.lastIndexOf('chain f2b-asterisk-udp'));
  assert.deepEqual(actions.pending(), []);
  assert.equal(store.lastApplied('2001:db8::9'), true);
});

test('the joiner: scripts of one turn go in one run under one head and tail; a lone script runs as it is', async () => {
  const runner = new MemoryRunner();
  const joiner = new BatchJoiner(runner);
  const argv = ['iptables-restore', '-w', '--noflush'];
  const [a, b] = await Promise.all([
    joiner.run(argv, { head: ['*filter'], lines: ['-I a 1 -s 192.0.2.1 -j REJECT'], tail: ['COMMIT'] }),
    joiner.run(argv, { head: ['*filter'], lines: ['-I b 1 -s 192.0.2.1 -j REJECT'], tail: ['COMMIT'] }),
  ]);
  assert.equal(a!.exitCode, 0);
  assert.equal(b!.exitCode, 0);
  assert.deepEqual(
    runner.calls.map((c) => c.input),
    ['*filter\n-I a 1 -s 192.0.2.1 -j REJECT\n-I b 1 -s 192.0.2.1 -j REJECT\nCOMMIT\n'],
  );
  await joiner.run(argv, { head: ['*filter'], lines: ['-I a 1 -s 192.0.2.2 -j REJECT'], tail: ['COMMIT'] });
  assert.equal(runner.calls.at(-1)!.input, '*filter\n-I a 1 -s 192.0.2.2 -j REJECT\nCOMMIT\n');
  assert.equal(joiner.runs, 2);
});

test('iptables-ipset: the structure from one listing of the table and of the set names; the bans from each set', async () => {
  const runner = new MemoryRunner();
  const chains = ['f2b-asterisk-tcp', 'f2b-asterisk-udp'];
  const table = (v6: boolean) =>
    [
      '-P INPUT ACCEPT',
      ...chains.map((c) => `-N ${c}`),
      ...chains.map((c) => `-A INPUT -p ${c.slice(-3)} -m multiport --dports 5060,5061 -j ${c}`),
      ...chains.flatMap((c) => [
        `-A ${c} -m set --match-set ${c}${v6 ? '6' : ''}-drop src -p ${c.slice(-3)} -j DROP`,
        `-A ${c} -m set --match-set ${c}${v6 ? '6' : ''} src -p ${c.slice(-3)} -j REJECT`,
        `-A ${c} -j RETURN`,
      ]),
      '',
    ].join('\n');
  runner.on((argv) => {
    const cmd = argv.join(' ');
    if (cmd === 'iptables -w -S' || cmd === 'ip6tables -w -S') return { exitCode: 0, stderr: '', stdout: table(cmd.startsWith('ip6')) };
    if (cmd === 'ipset list -n') return { exitCode: 0, stderr: '', stdout: chains.flatMap((c) => [c, `${c}-drop`, `${c}6`, `${c}6-drop`]).join('\n') + '\n' };
    if (cmd === 'ipset save f2b-asterisk-udp')
      return { exitCode: 0, stderr: '', stdout: 'create f2b-asterisk-udp hash:net family inet\nadd f2b-asterisk-udp 203.0.113.5 timeout 300\n' };
    return undefined;
  });
  const { log, records } = memoryLogger();
  const ctx: JailActionContext = {
    ...PAIR,
    actions: PAIR.actions.map((a) => ({ ...a, name: 'iptables-ipset' })),
  };
  const actions = loadJailActions(ctx, { configDir: packageRoot(), firewalls: firewallMaker(runner, false), store: new TinyStore(), log });
  await actions.start();
  const atStart = runner.lines().filter((l) => !l.startsWith('conntrack') && !/ -S INPUT$/.test(l));
  assert.deepEqual(atStart.sort(), ['ip6tables -w -S', 'ipset list -n', 'iptables -w -S'], 'a whole structure: three listings for two actions in two families');
  const before = runner.calls.length;
  await actions.check(T0);
  const ran = runner.lines().slice(before);
  assert.equal(ran.filter((l) => l === 'ipset list -n').length, 1);
  assert.ok(!ran.some((l) => / -C /.test(l)), ran.join('\n'));
  assert.equal(ran.filter((l) => l.startsWith('ipset save ')).length, 8, 'the bans: each set its own listing');
  // the set's member nobody asked for is found (and queued for removal) from its own listing
  assert.ok(records.some((r) => r['event'] === 'firewall-unknown-bans' && r['action'] === 'iptables-ipset[asterisk-udp]'));
});
