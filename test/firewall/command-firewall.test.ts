import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadActionDefinition } from '../../src/firewall/action-definition.js';
import { MemoryRunner } from '../fakes/memory-runner.js';
import { packageRoot } from '../../src/core/paths.js';
import { VoipguardError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import { CommandFirewall, SLICE } from '../../src/firewall/command-firewall.js';
import type { FirewallBan } from '../../src/firewall/firewall.js';

const T0 = 1_800_000_000_000;
const fw = (action: string, runner: MemoryRunner) =>
  new CommandFirewall(
    loadActionDefinition(action, { name: 'asterisk-udp', protocol: 'udp' }, { jail: 'asterisk', configDir: packageRoot() }),
    runner,
    silentLogger(),
  );
const b = (ip: string, until: number | null): FirewallBan => ({ ip, family: ip.includes(':') ? 'inet6' : 'inet4', time: T0, until, banCount: 1, failures: 3 });

test('the Firewall door refuses an address that is not canonical, before running anything', async () => {
  const runner = new MemoryRunner();
  for (const ip of ['203.0.113.5 -j ACCEPT', '203.000.113.5', '2001:DB8::1', '::ffff:203.0.113.5']) {
    await assert.rejects(
      fw('iptables', runner).apply({ ban: [b(ip, null)], unban: [] }, T0),
      (e: unknown) => e instanceof VoipguardError && e.code === 'VG_ACTION_IP',
    );
  }
  assert.equal(runner.calls.length, 0);
});

test('ipset and nftables share one transaction for both families; kernel timers carry the remaining time', async () => {
  const runner = new MemoryRunner();
  const r = await fw('iptables-ipset', runner).apply({ ban: [b('203.0.113.5', T0 + 600_000), b('2001:db8::5', null)], unban: ['198.51.100.1'] }, T0 + 100_500);
  assert.deepEqual([...r.done].sort(), ['198.51.100.1', '2001:db8::5', '203.0.113.5']);
  assert.equal(runner.calls.length, 1);
  assert.deepEqual(runner.calls[0]!.argv, ['ipset', 'restore', '-exist']);
  assert.equal(
    runner.calls[0]!.input,
    // an unban leaves both sets (the REJECT one and the repeat offenders' DROP one)
    'del f2b-asterisk-udp 198.51.100.1\ndel f2b-asterisk-udp-drop 198.51.100.1\nadd f2b-asterisk-udp 203.0.113.5 timeout 500\nadd f2b-asterisk-udp6 2001:db8::5 timeout 0\n',
  );
  const nft = new MemoryRunner();
  await fw('nftables', nft).apply({ ban: [b('203.0.113.5', T0 + 90_000), b('2001:db8::5', T0 + 90_000)], unban: [] }, T0);
  assert.deepEqual(
    nft.calls.map((c) => c.argv),
    [['nft', '-f', '-']],
  );
  assert.match(nft.calls[0]!.input!, /add element inet f2b-asterisk-udp addr4 \{ 203\.0\.113\.5 timeout 90s \}/);
  assert.match(nft.calls[0]!.input!, /add element inet f2b-asterisk-udp addr6 \{ 2001:db8::5 timeout 90s \}/);
});

test('a failed transaction fails every address in it, with argv, exit status, stderr and script size', async () => {
  const runner = new MemoryRunner().when('iptables-restore', {
    exitCode: 2,
    stderr: 'iptables-restore v1.8.9 (nf_tables): unknown option "--reject-with"\nError occurred at line: 2\n',
  });
  const r = await fw('iptables', runner).apply({ ban: [b('203.0.113.5', null), b('203.0.113.6', null)], unban: [] }, T0);
  assert.deepEqual(r.done, []);
  assert.equal(r.failed.length, 2);
  const f = r.failed[0]!.error.fields();
  assert.deepEqual(f['argv'], ['iptables-restore', '-w', '--noflush']);
  assert.equal(f['exitCode'], 2);
  assert.match(String(f['stderr']), /line: 2/);
  assert.equal(f['scriptLines'], 2);
});

test('listing reads the kernel: rules with an address or a range (iptables has banranges = yes), canonical, per family', async () => {
  const runner = new MemoryRunner().on((argv) =>
    argv[0] === 'iptables'
      ? {
          exitCode: 0,
          stderr: '',
          stdout:
            '-N f2b-asterisk-udp\n-A f2b-asterisk-udp -s 203.0.113.5/32 -p udp -j REJECT\n-A f2b-asterisk-udp -s 198.51.100.0/24 -j ACCEPT\n-A f2b-asterisk-udp -j RETURN\n',
        }
      : argv[0] === 'ip6tables'
        ? { exitCode: 0, stderr: '', stdout: '-A f2b-asterisk-udp -s 2001:db8::5/128 -p udp -j REJECT\n-A f2b-asterisk-udp -s 203.0.113.9/32 -j REJECT\n' }
        : undefined,
  );
  assert.deepEqual([...(await fw('iptables', runner).list())].sort(), ['198.51.100.0/24', '2001:db8::5', '203.0.113.5']);
});

test('a 100,000-ban transaction is built in slices: other work gets turns meanwhile, the kernel still gets one script', async () => {
  const events: string[] = [];
  class Recording extends MemoryRunner {
    override async run(argv: readonly string[], opts: { input?: string } = {}) {
      events.push('kernel write');
      return super.run(argv, opts);
    }
  }
  const runner = new Recording();
  const n = 100_000;
  const bans = Array.from({ length: n }, (_, i) => b(`198.${18 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}`, null));
  // stands for the control socket: a request that asks for a turn again each time it got one
  let turns = 0;
  let serving = true;
  const serve = (): void => {
    if (!serving) return;
    turns++;
    events.push('turn');
    setImmediate(serve);
  };
  const applied = fw('iptables', runner).apply({ ban: bans, unban: [] }, T0);
  setImmediate(serve);
  const r = await applied;
  serving = false;
  assert.equal(r.done.length, n);
  assert.equal(runner.calls.length, 1, 'one iptables-restore for the whole flush');
  assert.equal(runner.calls[0]!.input!.split('\n').filter((l) => l.startsWith('-I ')).length, n);
  // the turns came while the script was being built, before the kernel write
  const write = events.indexOf('kernel write');
  const before = events.slice(0, write).filter((e) => e === 'turn').length;
  assert.ok(before >= Math.floor(n / SLICE) - 1, `${before} turns before the kernel write, for ${n} bans in slices of ${SLICE}`);
  assert.ok(turns >= before);
});
