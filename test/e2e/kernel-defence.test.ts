// Defence in the kernel on the built daemon and real packets (docs/firewall.md): REJECT then DROP
// (droprepeat) per address and in `status`, a subnet ban refused because the prefix holds the
// host's own address, a subnet ban of a /24 that silences an address never banned on its own, and
// a ban that the kernel lifts by its own timer while the daemon is dead (kill -9). The ban is 20 s:
// long enough to be seen in place on a loaded machine before the daemon is killed.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { createNetnsPair, type NetnsPair } from '../helpers/netns.js';
import { KERNEL_SKIP } from '../helpers/privileges.js';
import { attack, build, cli, Daemon, field, makeConfig, removeConfig, waitFor, type E2eConfig } from './daemon-harness.js';

const JAIL = `
[asterisk]
enabled = true
logpath = $LOG
maxretry = 1
findtime = 10m
bantime = 1h
droprepeat = 2
subnetmaxbans = 3
subnetprefix4 = 24
action = iptables-ipset[name=asterisk-udp, port="5060", protocol=udp]
`;

// a /24 the attacker namespace carries besides its veth address (the defender routes it back)
const NET = '10.214.7';
let pair: NetnsPair;
let cfg: E2eConfig;
let daemon: Daemon | null = null;

before(async () => {
  if (KERNEL_SKIP) return;
  build();
  pair = await createNetnsPair();
  await pair.serve([5060]);
  const dev = (await pair.exec(pair.attacker, ['ip', '-o', 'link', 'show', 'type', 'veth'])).stdout.split(':')[1]!.trim().split('@')[0]!;
  const devD = (await pair.exec(pair.defender, ['ip', '-o', 'link', 'show', 'type', 'veth'])).stdout.split(':')[1]!.trim().split('@')[0]!;
  for (const h of [11, 12, 13, 14]) await pair.exec(pair.attacker, ['ip', 'addr', 'add', `${NET}.${h}/32`, 'dev', dev]);
  await pair.exec(pair.defender, ['ip', 'route', 'add', `${NET}.0/24`, 'dev', devD]);
  cfg = makeConfig(JAIL);
  daemon = await startDaemon();
});

after(async () => {
  if (KERNEL_SKIP) return;
  if (daemon && daemon.proc.exitCode === null) {
    daemon.proc.kill('SIGKILL');
    await daemon.exited;
  }
  // the daemon died by kill -9 at the end: what it left in the defender namespace goes with it
  await pair?.destroy();
  if (cfg) removeConfig(cfg);
});

async function startDaemon(): Promise<Daemon> {
  const d = new Daemon(pair.defender, cfg);
  await waitFor('the daemon to answer ping', () => cli(cfg, ['ping']).code === 0 || d.proc.exitCode !== null, 30_000);
  assert.equal(d.proc.exitCode, null, `the daemon died: ${d.stderr}`);
  return d;
}

function status(json = false): string {
  const r = cli(cfg, ['status', 'asterisk', ...(json ? ['--json'] : [])]);
  assert.equal(r.code, 0, r.err);
  return r.out;
}

const settled = () => !/Pending bans/.test(status());

/** One UDP probe from a chosen source address of the attacker namespace. */
async function probeFrom(source: string, timeoutMs = 1500): Promise<string> {
  const code = `
const s = require('node:dgram').createSocket('udp4');
const done = (r) => { console.log(r); process.exit(0); };
setTimeout(() => done('timeout'), ${timeoutMs});
s.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : e.code));
s.on('message', () => done('reply'));
s.bind(0, '${source}', () => s.connect(5060, '${pair.defender4}', () => s.send('ping')));`;
  const r = await execa('ip', ['netns', 'exec', pair.attacker, process.execPath, '-e', code], { reject: false });
  return r.stdout.trim() || r.stderr.trim();
}

async function members(set: string): Promise<string> {
  return (await pair.exec(pair.defender, ['ipset', 'save', set])).stdout;
}

test(
  'droprepeat = 2: the first ban of an address REJECTs, its second DROPs; status lists it under Dropped (repeat offenders)',
  { skip: KERNEL_SKIP },
  async () => {
    const a = pair.attacker4;
    assert.equal(cli(cfg, ['set', 'asterisk', 'banip', a]).code, 0);
    await waitFor('the ban in the kernel', settled);
    assert.equal(await pair.probe('udp', pair.defender4, 5060), 'refused', 'ban 1: REJECT');
    assert.equal(field(status(), 'Dropped \\(repeat offenders\\)'), '');
    assert.equal(cli(cfg, ['set', 'asterisk', 'unbanip', a]).code, 0);
    await waitFor('the unban in the kernel', async () => (await pair.probe('udp', pair.defender4, 5060)) === 'reply');
    assert.equal(cli(cfg, ['set', 'asterisk', 'banip', a]).code, 0);
    await waitFor('the second ban in the kernel', settled);
    assert.equal(await pair.probe('udp', pair.defender4, 5060, 700), 'timeout', 'ban 2: DROP, no answer');
    assert.match(await members('f2b-asterisk-udp-drop'), new RegExp(`^add f2b-asterisk-udp-drop ${a.replace(/\./g, '\\.')} `, 'm'));
    assert.equal(field(status(), 'Dropped \\(repeat offenders\\)'), a);
    const json = JSON.parse(status(true)) as { actions: { dropped: string[] } };
    assert.deepEqual(json.actions.dropped, [a]);
    assert.equal(cli(cfg, ['set', 'asterisk', 'unbanip', a]).code, 0);
  },
);

test("a subnet whose /24 holds the host's own address is never banned: refused, logged with why, shown in status", { skip: KERNEL_SKIP }, async () => {
  // the defender is 10.213.0.2: three attackers of 10.213.0.0/24 ban one by one, never the /24
  for (const h of [5, 6, 7]) attack(cfg.log, `10.213.0.${h}`);
  await waitFor('the refusal in the log', () => /"event":"subnet-refused"/.test(readFileSync(cfg.daemonLog, 'utf8')));
  const line = readFileSync(cfg.daemonLog, 'utf8')
    .split('\n')
    .find((l) => l.includes('"subnet-refused"'))!;
  const rec = JSON.parse(line) as Record<string, unknown>;
  assert.equal(rec['prefix'], '10.213.0.0/24');
  assert.equal(rec['why'], 'host');
  assert.equal(rec['address'], pair.defender4);
  await waitFor('the three single bans', () =>
    ['10.213.0.5', '10.213.0.6', '10.213.0.7'].every((ip) => (field(status(), 'Banned IP list') ?? '').includes(ip)),
  );
  assert.doesNotMatch(field(status(), 'Banned IP list') ?? '', /\/24/);
  assert.match(status(), /Subnet bans refused/);
  assert.match(status(), /10\.213\.0\.0\/24:\tholds 10\.213\.0\.2 \(host\), /);
  const json = JSON.parse(status(true)) as { actions: { subnetRefused: { prefix: string; why: string; address: string }[] } };
  assert.deepEqual(
    json.actions.subnetRefused.map(({ prefix, why, address }) => ({ prefix, why, address })),
    [{ prefix: '10.213.0.0/24', why: 'host', address: pair.defender4 }],
  );
});

test('three banned addresses of one /24 ban the /24 in the kernel: a fourth address, never banned itself, gets REJECT', { skip: KERNEL_SKIP }, async () => {
  assert.equal(await probeFrom(`${NET}.14`), 'reply', 'before: the route back works');
  for (const h of [11, 12, 13]) attack(cfg.log, `${NET}.${h}`);
  await waitFor('the subnet ban in status', () => (field(status(), 'Banned IP list') ?? '').split(' ').includes(`${NET}.0/24`));
  await waitFor('settled', settled);
  assert.match(await members('f2b-asterisk-udp'), new RegExp(`^add f2b-asterisk-udp ${NET.replace(/\./g, '\\.')}\\.0/24 `, 'm'));
  assert.equal(await probeFrom(`${NET}.14`), 'refused');
  const ban = readFileSync(cfg.daemonLog, 'utf8')
    .split('\n')
    .find((l) => l.includes('"event":"ban"') && l.includes(`${NET}.0/24`))!;
  assert.equal((JSON.parse(ban) as Record<string, unknown>)['reason'], 'subnet');
});

test('kernel expiry with the daemon stopped: a 20 s ban leaves the set by its own timer after kill -9, and packets pass', { skip: KERNEL_SKIP }, async () => {
  assert.equal(cli(cfg, ['set', 'asterisk', 'bantime', '20']).code, 0);
  assert.equal(cli(cfg, ['set', 'asterisk', 'banip', pair.attacker6]).code, 0);
  await waitFor('the ban in the kernel', settled);
  assert.equal(await pair.probe('udp', pair.defender6, 5060), 'refused');
  const timer = /^add f2b-asterisk-udp6 fd00:213::1 timeout (\d+)$/m.exec(await members('f2b-asterisk-udp6'));
  assert.ok(timer && Number(timer[1]) <= 20 && Number(timer[1]) >= 1, `the kernel timer is the ban's remaining time: ${timer?.[0]}`);
  daemon!.proc.kill('SIGKILL');
  assert.equal(await daemon!.exited, -9);
  // nobody is left to unban: the kernel does it
  await waitFor('the kernel to drop the entry', async () => !(await members('f2b-asterisk-udp6')).includes('fd00:213::1'), 45_000);
  assert.equal(await pair.probe('udp', pair.defender6, 5060), 'reply');
  assert.match(await members('f2b-asterisk-udp'), /10\.214\.7\.0\/24/, 'the 1 h subnet ban is still there');
});
