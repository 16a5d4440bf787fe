import { test } from 'node:test';
import { firewallMaker } from '../../src/app.js';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadJailActions, type JailActionContext } from '../../src/actions/jail-actions.js';
import { MemoryRunner } from '../fakes/memory-runner.js';
import { fakeIptables } from '../fakes/fake-iptables.js';
import type { CommandRunner } from '../../src/exec/command-runner.js';
import { packageRoot } from '../../src/core/paths.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import type { Decision } from '../../src/core/types.js';
import { TinyStore } from '../helpers/tiny-store.js';

const T0 = 1_800_000_000_000;
const UDP: JailActionContext = {
  jail: 'asterisk',
  actions: [{ name: 'iptables', args: { name: 'asterisk-udp', protocol: 'udp' } }],
  params: { port: '5060,5061' },
};

function ban(ip: string, until: number | null = T0 + 600_000, jail = 'asterisk'): Decision {
  return { type: 'ban', jail, ip, time: T0, until, banCount: 1, reason: 'detected', failures: 3 };
}
function unban(ip: string): Decision {
  return { type: 'unban', jail: 'asterisk', ip, time: T0, reason: 'expired' };
}

function setup(ctx: JailActionContext = UDP, opts: { dryRun?: boolean; configDir?: string } = {}) {
  const runner = new MemoryRunner();
  const kernel = fakeIptables(runner);
  const store = new TinyStore();
  const { log, records } = memoryLogger();
  const actions = loadJailActions(ctx, { configDir: opts.configDir ?? packageRoot(), firewalls: firewallMaker(runner, opts.dryRun ?? false), store, log });
  const restores = () => runner.calls.filter((c) => c.input !== undefined);
  return { runner, store, records, actions, restores, kernel };
}

test('bans that fall due together reach the kernel in one iptables-restore per family', async () => {
  const { actions, restores } = setup();
  await actions.start();
  await actions.apply([ban('203.0.113.5'), ban('203.0.113.6'), ban('2001:db8::66'), ban('198.51.100.7')], T0);
  const r = restores();
  assert.equal(r.length, 2);
  assert.deepEqual(r[0]!.argv, ['iptables-restore', '-w', '--noflush']);
  assert.equal(
    r[0]!.input,
    [
      '*filter',
      '-I f2b-asterisk-udp 1 -s 203.0.113.5 -p udp -j REJECT --reject-with icmp-port-unreachable',
      '-I f2b-asterisk-udp 1 -s 203.0.113.6 -p udp -j REJECT --reject-with icmp-port-unreachable',
      '-I f2b-asterisk-udp 1 -s 198.51.100.7 -p udp -j REJECT --reject-with icmp-port-unreachable',
      'COMMIT',
      '',
    ].join('\n'),
  );
  assert.deepEqual(r[1]!.argv, ['ip6tables-restore', '-w', '--noflush']);
  assert.match(r[1]!.input!, /-I f2b-asterisk-udp 1 -s 2001:db8::66 -p udp -j REJECT --reject-with icmp6-port-unreachable/);
  assert.deepEqual(actions.pending(), []);
});

test('a ban already in the kernel is never added twice', async () => {
  const { actions, restores } = setup();
  await actions.start();
  await actions.apply([ban('203.0.113.5')], T0);
  await actions.apply([ban('203.0.113.5')], T0 + 1000);
  await actions.apply([ban('203.0.113.5'), ban('203.0.113.9')], T0 + 2000);
  const lines = restores().flatMap((c) => c.input!.split('\n').filter((l) => l.startsWith('-I')));
  assert.deepEqual(
    lines.map((l) => l.split(' ')[4]),
    ['203.0.113.5', '203.0.113.9'],
  );
});

test('a ban and an unban of one address in the same batch: the later decision wins; an unban of an address never banned runs nothing', async () => {
  const { actions, restores } = setup();
  await actions.start();
  await actions.apply([ban('203.0.113.5'), unban('203.0.113.5'), unban('198.51.100.1')], T0);
  assert.equal(restores().length, 0);
  await actions.apply([ban('203.0.113.5')], T0);
  await actions.apply([unban('203.0.113.5')], T0 + 1);
  assert.match(restores().at(-1)!.input!, /^-D f2b-asterisk-udp -s 203\.0\.113\.5 -p udp -j REJECT/m);
});

test('a locked xtables keeps the ban pending, logged with argv, exit code and stderr, retried with backoff on the caller clock', async () => {
  const { actions, runner, store, records, restores } = setup();
  await actions.start();
  let locked = true;
  runner.on((argv) =>
    locked && argv[0] === 'iptables-restore'
      ? { exitCode: 4, stdout: '', stderr: 'Another app is currently holding the xtables lock. Perhaps you want to use the -w option?\n' }
      : undefined,
  );
  await actions.apply([ban('203.0.113.5')], T0);
  assert.deepEqual(actions.pending(), ['203.0.113.5']);
  assert.equal(store.lastApplied('203.0.113.5'), false);
  const err = records.find((r) => r['event'] === 'firewall-failed')!;
  assert.deepEqual(err['argv'], ['iptables-restore', '-w', '--noflush']);
  assert.equal(err['exitCode'], 4);
  assert.match(String(err['stderr']), /xtables lock/);
  assert.equal(err['code'], 'VG_FIREWALL_COMMAND');

  await actions.check(T0 + 999);
  assert.equal(restores().length, 1, 'no retry before the first delay (1 s)');
  await actions.check(T0 + 1000);
  assert.equal(restores().length, 2, 'first retry');
  await actions.check(T0 + 2999);
  assert.equal(restores().length, 2, 'the second delay is 2 s');
  locked = false;
  await actions.check(T0 + 3000);
  assert.equal(restores().length, 3);
  assert.deepEqual(actions.pending(), []);
  assert.equal(store.lastApplied('203.0.113.5'), true);
  assert.equal(actions.status()[0]!.failures, 2);
});

test('a missing binary never crashes the guard: start and bans stay pending, nothing rejects', async () => {
  const { actions, runner } = setup();
  runner.on((argv) => ({ exitCode: 127, stdout: '', stderr: `${argv[0]}: command not found` }));
  await actions.start();
  await actions.apply([ban('203.0.113.5')], T0);
  await actions.check(T0 + 60_000);
  await actions.reconcile([{ jail: 'asterisk', ip: '198.51.100.2', start: T0, until: null, banCount: 1, reason: 'restored', applied: true }], T0 + 120_000);
  assert.deepEqual(actions.pending(), ['198.51.100.2'], 'reconcile makes the store the truth, still pending');
  await actions.stop();
});

test("start-up reconciliation: missing bans added, expired and unknown ones removed, other jails' untouched", async () => {
  const { actions, restores, store, kernel } = setup();
  const rec = (ip: string, until: number | null, jail = 'asterisk') => ({
    jail,
    ip,
    start: T0 - 1000,
    until,
    banCount: 1,
    reason: 'detected' as const,
    applied: false,
  });
  await actions.start();
  // the kernel holds rules from before the restart
  for (const ip of ['198.51.100.1', '198.51.100.3', '198.51.100.4']) kernel.get('f2b-asterisk-udp')!.add(ip);
  await actions.reconcile([rec('198.51.100.1', T0 + 1000), rec('198.51.100.2', null), rec('198.51.100.4', T0 - 1), rec('198.51.100.9', T0 + 1000, 'sshd')], T0);
  assert.equal(restores().length, 1, 'one transaction');
  const lines = restores()[0]!
    .input!.split('\n')
    .filter((l) => /^-[ID]/.test(l))
    .map((l) => `${l.slice(0, 2)} ${/-s (\S+)/.exec(l)![1]}`);
  assert.deepEqual(lines.sort(), ['-D 198.51.100.3', '-D 198.51.100.4', '-I 198.51.100.2']);
  assert.equal(store.lastApplied('198.51.100.1'), true);
  assert.equal(store.lastApplied('198.51.100.2'), true);
  assert.equal(store.lastApplied('198.51.100.9'), undefined);
});

test('a chain someone flushed is rebuilt by the periodic check and its bans re-sent; the repair is counted', async () => {
  const { actions, runner, restores, records, kernel } = setup();
  await actions.start();
  await actions.apply([ban('203.0.113.5'), ban('203.0.113.6')], T0);
  kernel.flush('f2b-asterisk-udp');
  const before = runner.calls.length;
  await actions.check(T0 + 5000);
  const ran = runner.lines().slice(before);
  assert.ok(ran.includes('iptables -w -N f2b-asterisk-udp'), ran.join('\n'));
  assert.ok(ran.includes('iptables -w -A f2b-asterisk-udp -j RETURN'));
  assert.equal(restores().length, 2);
  assert.equal(
    restores()[1]!
      .input!.split('\n')
      .filter((l) => l.startsWith('-I')).length,
    2,
  );
  assert.equal(actions.status()[0]!.repairs, 1);
  assert.ok(records.some((r) => r['event'] === 'firewall-repair'));
  await actions.check(T0 + 10_000);
  assert.equal(actions.status()[0]!.repairs, 1, 'an intact chain is left alone');
});

test('a ban rule deleted by hand is noticed by the check and put back', async () => {
  const { actions, restores, kernel } = setup();
  await actions.start();
  await actions.apply([ban('203.0.113.5'), ban('203.0.113.6')], T0);
  kernel.get('f2b-asterisk-udp')!.delete('203.0.113.5');
  await actions.check(T0 + 5000);
  assert.match(restores().at(-1)!.input!, /-I f2b-asterisk-udp 1 -s 203\.0\.113\.5 /);
  assert.doesNotMatch(restores().at(-1)!.input!, /203\.0\.113\.6/);
  assert.equal(actions.status()[0]!.repairs, 1);
});

test('on a ban, conntrack entries of that source are deleted; "0 flow entries" (exit 1) is not an error', async () => {
  const { actions, runner, records } = setup();
  runner.on((argv) =>
    argv.join(' ') === 'conntrack -L -f ipv4'
      ? {
          exitCode: 0,
          stderr: '',
          stdout: 'udp      17 29 src=203.0.113.5 dst=192.0.2.1 sport=5070 dport=5060 src=192.0.2.1 dst=203.0.113.5 sport=5060 dport=5070 mark=0 use=1\n',
        }
      : argv[0] === 'conntrack' && argv[1] === '-D'
        ? { exitCode: 1, stdout: '', stderr: 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n' }
        : undefined,
  );
  await actions.start();
  await actions.apply([ban('203.0.113.5'), ban('203.0.113.6')], T0);
  await actions.idle();
  const deletes = runner.lines().filter((l) => l.startsWith('conntrack -D'));
  assert.deepEqual(deletes, ['conntrack -D -f ipv4 -s 203.0.113.5']);
  assert.ok(!records.some((r) => r['event'] === 'conntrack-failed'));
});

test('the conntrack purge runs beside the firewall queue: a slow listing delays no later ban, and bans made meanwhile share the next purge', async () => {
  const memory = new MemoryRunner();
  fakeIptables(memory);
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const listings: string[] = [];
  const runner: CommandRunner = {
    async run(argv, opts) {
      const r = await memory.run(argv, opts);
      if (argv[0] === 'conntrack' && argv[1] === '-L') {
        listings.push(argv.join(' '));
        await gate; // a busy conntrack table
        return {
          exitCode: 0,
          stderr: '',
          stdout: 'udp 17 29 src=203.0.113.5 dst=192.0.2.1 sport=5070 dport=5060 src=192.0.2.1 dst=203.0.113.5 mark=0 use=1\n',
        };
      }
      return r;
    },
  };
  const { log } = memoryLogger();
  const actions = loadJailActions(UDP, { configDir: packageRoot(), firewalls: firewallMaker(runner, false), store: new TinyStore(), log });
  await actions.start();
  await actions.apply([ban('203.0.113.5')], T0);
  await actions.apply([ban('203.0.113.6')], T0 + 1); // resolves while the first listing still hangs
  await actions.apply([ban('203.0.113.7')], T0 + 2);
  assert.equal(memory.calls.filter((c) => c.input !== undefined).length, 3, 'three bans, three restores, none waiting');
  assert.equal(listings.length, 1);
  release();
  await actions.idle();
  assert.equal(listings.length, 2, 'the two bans made during the first purge share one more listing');
  assert.deepEqual(
    memory.lines().filter((l) => l.startsWith('conntrack -D')),
    ['conntrack -D -f ipv4 -s 203.0.113.5'],
  );
});

test('at start, an ESTABLISHED,RELATED ACCEPT rule before our jump is reported', async () => {
  const { actions, runner, records } = setup();
  runner.on((argv) =>
    argv.join(' ') === 'iptables -w -S INPUT'
      ? {
          exitCode: 0,
          stderr: '',
          stdout:
            '-P INPUT ACCEPT\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n-A INPUT -p udp -m multiport --dports 5060,5061 -j f2b-asterisk-udp\n',
        }
      : undefined,
  );
  await actions.start();
  const w = records.find((r) => r['event'] === 'firewall-hook-order');
  assert.ok(w, 'warned');
  assert.match(String(w['msg']), /RELATED,ESTABLISHED -j ACCEPT/);
});

test('an address that fails validation never reaches a command', async () => {
  const { actions, runner, records } = setup();
  await actions.start();
  const before = runner.calls.length;
  await actions.apply([ban('203.0.113.5 -j ACCEPT'), ban('$(reboot)'), ban('203.0.113.5\n-F INPUT'), ban('10.0.0.1', T0 + 1000, 'sshd')], T0);
  assert.equal(runner.calls.length, before);
  assert.equal(records.filter((r) => r['code'] === 'VG_ACTION_IP').length, 3);
});

test('dry run: the daemon logs what it would ban and runs nothing', async () => {
  const { actions, runner, records } = setup(UDP, { dryRun: true });
  await actions.start();
  await actions.apply([ban('203.0.113.5')], T0);
  await actions.check(T0 + 5000);
  await actions.stop();
  assert.equal(runner.calls.length, 0);
  assert.deepEqual(records.find((r) => r['event'] === 'firewall-memory')!['ban'], ['203.0.113.5']);
});

test('a third-party action without a batch form runs one argv per ban', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-actions-'));
  try {
    mkdirSync(join(dir, 'action.d'));
    writeFileSync(
      join(dir, 'action.d', 'myfw.conf'),
      '[Definition]\nactionban = /usr/local/sbin/myfw add "<label> ban" <ip>\nactionunban = /usr/local/sbin/myfw del <ip>\n[Init]\nlabel = x\n',
    );
    const { actions, runner } = setup({ jail: 'asterisk', actions: [{ name: 'myfw', args: {} }], params: {} }, { configDir: dir });
    await actions.start();
    await actions.apply([ban('203.0.113.5'), ban('2001:db8::5')], T0);
    await actions.apply([unban('203.0.113.5')], T0);
    const mine = runner.calls.filter((c) => c.argv[0] === '/usr/local/sbin/myfw').map((c) => c.argv);
    assert.deepEqual(mine, [
      ['/usr/local/sbin/myfw', 'add', 'x ban', '203.0.113.5'],
      ['/usr/local/sbin/myfw', 'add', 'x ban', '2001:db8::5'],
      ['/usr/local/sbin/myfw', 'del', '203.0.113.5'],
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one failing action does not stop the other: the udp chain gets its ban while tcp retries', async () => {
  const ctx: JailActionContext = {
    jail: 'asterisk',
    actions: [
      { name: 'iptables', args: { name: 'asterisk-tcp', protocol: 'tcp' } },
      { name: 'iptables', args: { name: 'asterisk-udp', protocol: 'udp' } },
    ],
    params: {},
  };
  const { actions, runner, restores, store } = setup(ctx);
  runner.on((_argv, input) => (input?.includes('f2b-asterisk-tcp') ? { exitCode: 1, stdout: '', stderr: 'iptables-restore: line 2 failed\n' } : undefined));
  await actions.start();
  await actions.apply([ban('203.0.113.5')], T0);
  assert.ok(restores().some((c) => c.input!.includes('f2b-asterisk-udp')));
  assert.deepEqual(actions.pending(), ['203.0.113.5']);
  assert.deepEqual(
    actions.status().map((s) => [s.id, s.pendingBans.length]),
    [
      ['iptables[asterisk-tcp]', 1],
      ['iptables[asterisk-udp]', 0],
    ],
  );
  assert.equal(store.lastApplied('203.0.113.5'), false);
});

test('two actions of one jail with the same name would share a chain: a config error', () => {
  assert.throws(
    () =>
      setup({
        jail: 'asterisk',
        actions: [
          { name: 'iptables', args: { name: 'x' } },
          { name: 'iptables', args: { name: 'x' } },
        ],
        params: {},
      }),
    /uses iptables\[x\] twice/,
  );
});

test('a ban that arrives while the periodic check lists the chains does not wait for it, and the stale listing re-adds nothing', async () => {
  const inner = new MemoryRunner();
  fakeIptables(inner);
  let hold: Promise<void> | null = null;
  let release = () => {};
  let held = 0;
  const runner: CommandRunner = {
    async run(argv, opts) {
      // the check's listing (-S) answers what the kernel held
      // when they ran, but only once `hold` is released: a listing taken before the ban
      const r = await inner.run(argv, opts);
      if (hold && argv.includes('-S')) {
        held++;
        await hold;
      }
      return r;
    },
  };
  const { log } = memoryLogger();
  const actions = loadJailActions(UDP, { configDir: packageRoot(), firewalls: firewallMaker(runner, false), store: new TinyStore(), log });
  await actions.start();
  await actions.reconcile([], T0);
  hold = new Promise<void>((r) => (release = r));
  const checking = actions.check(T0);
  while (held === 0) await new Promise((r) => setImmediate(r));
  let banned = false;
  const banning = actions.apply([ban('203.0.113.9')], T0).then(() => (banned = true));
  for (let i = 0; i < 50 && !banned; i++) await new Promise((r) => setImmediate(r));
  assert.equal(banned, true, 'the ban reached the firewall while the check was still listing');
  hold = null;
  release();
  await Promise.all([checking, banning]);
  const adds = inner.calls.filter((c) => c.input?.includes('-I f2b-asterisk-udp 1 -s 203.0.113.9 '));
  assert.equal(adds.length, 1, 'the listing taken before the ban did not make the check think it lost');
  assert.deepEqual(actions.pending(), []);
  assert.equal(actions.status()[0]!.repairs, 0);
});

test('the periodic check runs no command in the queue when bans went out while it probed, and still finds a ban lost meanwhile', async () => {
  const inner = new MemoryRunner();
  const chains = fakeIptables(inner);
  let hold: Promise<void> | null = null;
  let release = () => {};
  let held = 0;
  const runner: CommandRunner = {
    async run(argv, opts) {
      const r = await inner.run(argv, opts);
      if (hold && argv.includes('-S')) {
        held++;
        await hold;
      }
      return r;
    },
  };
  const { log } = memoryLogger();
  const actions = loadJailActions(UDP, { configDir: packageRoot(), firewalls: firewallMaker(runner, false), store: new TinyStore(), log });
  await actions.start();
  await actions.reconcile([], T0);
  await actions.apply([ban('203.0.113.1'), ban('203.0.113.2')], T0);
  // someone deletes one rule by hand: the check must put it back
  chains.get('f2b-asterisk-udp')!.delete('203.0.113.1');
  hold = new Promise<void>((r) => (release = r));
  const checking = actions.check(T0);
  while (held === 0) await new Promise((r) => setImmediate(r));
  // sent while the listing is taken: the listing does not hold them (a ban) or still holds it (an unban)
  await actions.apply([ban('203.0.113.9'), unban('203.0.113.2')], T0);
  const before = inner.calls.length;
  hold = null;
  release();
  await checking;
  const after = inner.calls.slice(before).map((c) => c.argv.join(' '));
  // what runs after the release is the rest of the first probe (the IPv6 listing), nothing else:
  // a second probe, in the queue, would begin with the structure checks (-C)
  assert.deepEqual(
    after.filter((c) => !c.startsWith('iptables-restore')),
    ['ip6tables -w -S'],
    'no check command ran in the queue (the probe taken beside the bans was used)',
  );
  const restored = inner.calls.slice(before).filter((c) => c.input !== undefined);
  assert.equal(restored.length, 1);
  assert.match(restored[0]!.input!, /-I f2b-asterisk-udp 1 -s 203\.0\.113\.1 /, 'the rule deleted by hand is back');
  assert.doesNotMatch(restored[0]!.input!, /203\.0\.113\.9|203\.0\.113\.2/, 'the addresses sent during the probe are left alone');
  assert.deepEqual([...chains.get('f2b-asterisk-udp')!].sort(), ['203.0.113.1', '203.0.113.9']);
  assert.deepEqual(actions.pending(), []);
});

test('a check whose listing was overtaken by a relisting (the start-up restore) skips its audit instead of listing again in the queue', async () => {
  const inner = new MemoryRunner();
  fakeIptables(inner);
  let hold: Promise<void> | null = null;
  let release = () => {};
  let held = 0;
  const runner: CommandRunner = {
    async run(argv, opts) {
      const r = await inner.run(argv, opts);
      // only the check's own first listing is held
      if (hold && argv.includes('-S') && held === 0) {
        held++;
        await hold;
      }
      return r;
    },
  };
  const { log } = memoryLogger();
  const actions = loadJailActions(UDP, { configDir: packageRoot(), firewalls: firewallMaker(runner, false), store: new TinyStore(), log });
  await actions.start();
  hold = new Promise<void>((r) => (release = r));
  const checking = actions.check(T0);
  while (held === 0) await new Promise((r) => setImmediate(r));
  // the restore lists the kernel afresh while the check's listing is still out
  await actions.reconcile([{ jail: 'asterisk', ip: '203.0.113.4', start: T0, until: T0 + 600_000, banCount: 1, reason: 'detected', applied: false }], T0);
  const before = inner.calls.length;
  hold = null;
  release();
  await checking;
  const after = inner.calls.slice(before).map((c) => c.argv.join(' '));
  assert.deepEqual(
    after.filter((c) => c.includes(' -C ')),
    [],
    'no structure check ran again in the queue',
  );
  assert.deepEqual(actions.pending(), []);
});

test('a ban whose restore is still running when the periodic check lists the chains is not taken for lost (no second rule)', async () => {
  const inner = new MemoryRunner();
  const chains = fakeIptables(inner);
  let hold: Promise<void> | null = null;
  let release = () => {};
  let held = 0;
  const runner: CommandRunner = {
    async run(argv, opts) {
      // the restore is held before it reaches the kernel: a listing taken meanwhile does not hold its ban
      if (hold && opts?.input !== undefined) {
        held++;
        await hold;
      }
      return inner.run(argv, opts);
    },
  };
  const { log, records } = memoryLogger();
  const actions = loadJailActions(UDP, { configDir: packageRoot(), firewalls: firewallMaker(runner, false), store: new TinyStore(), log });
  await actions.start();
  await actions.reconcile([], T0);
  hold = new Promise<void>((r) => (release = r));
  const banning = actions.apply([ban('203.0.113.9')], T0);
  while (held === 0) await new Promise((r) => setImmediate(r));
  // the check's probe lists the kernel now, while the restore of 203.0.113.9 is in flight
  const checking = actions.check(T0 + 1000);
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  hold = null;
  release();
  await Promise.all([banning, checking]);
  const adds = inner.calls.filter((c) => c.input?.includes('-I f2b-asterisk-udp 1 -s 203.0.113.9 '));
  assert.equal(adds.length, 1, 'the ban in flight during the listing was not sent again');
  assert.equal(actions.status()[0]!.repairs, 0);
  assert.equal(records.filter((r) => r['event'] === 'firewall-repair').length, 0);
  assert.deepEqual([...chains.get('f2b-asterisk-udp')!], ['203.0.113.9']);
  assert.deepEqual(actions.pending(), []);
});
