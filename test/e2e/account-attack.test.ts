// A distributed guess at one account, on the built daemon and a real kernel: four addresses of the
// attacker namespace try account 1001 twice each (maxretry 5: none of them alone would be banned);
// with accountretry = 6 the account comes under attack and every one of them is banned and rejected
// on packets, while a phone in the same namespace that logs in to its own account keeps passing.
// docs/beyond-one-address.md.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { createNetnsPair, type NetnsPair } from '../helpers/netns.js';
import { build, cli, Daemon, field, makeConfig, removeConfig, waitFor, type E2eConfig } from './daemon-harness.js';

const JAIL = `
[asterisk]
enabled = true
logpath = $LOG
maxretry = 5
findtime = 10m
bantime = 1h
accountretry = 6
accountminfailures = 2
`;

const root = process.getuid?.() === 0;
const ATTACKERS = ['10.213.0.11', '10.213.0.12', '10.213.0.13', '10.213.0.14'];
let pair: NetnsPair;
let cfg: E2eConfig;
let daemon: Daemon | null = null;

// a UDP probe from a chosen source address of the attacker namespace
const PROBE_FROM = `
const dgram = require('node:dgram');
const [src, host, port] = process.argv.slice(1);
const done = (r) => { console.log(r); process.exit(0); };
setTimeout(() => done('timeout'), 1500);
const s = dgram.createSocket('udp4');
s.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : e.code));
s.on('message', () => done('reply'));
s.bind(0, src, () => s.connect(Number(port), host, () => s.send('ping')));`;

async function probeFrom(src: string): Promise<string> {
  const r = await execa('ip', ['netns', 'exec', pair.attacker, process.execPath, '-e', PROBE_FROM, src, pair.defender4, '5060'], { reject: false });
  return r.stdout.trim() || `exit ${r.exitCode}: ${r.stderr.trim()}`;
}

function stamp(d = new Date()): { text: string; tv: string } {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const local = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return { text: local, tv: d.toISOString().replace('Z', '+0000') };
}

function securityLine(event: string, ip: string, account: string, session: string): string {
  const s = stamp();
  const severity = event === 'SuccessfulAuth' ? 'Informational' : 'Error';
  const tail = event === 'SuccessfulAuth' ? ',UsingPassword="1"' : ',Challenge="n",Response="r",ExpectedResponse=""';
  return (
    `[${s.text}] SECURITY[4711] res_security_log.c: SecurityEvent="${event}",EventTV="${s.tv}",Severity="${severity}",Service="PJSIP",` +
    `EventVersion="1",AccountID="${account}",SessionID="${session}",LocalAddress="IPV4/UDP/${pair.defender4}/5060",` +
    `RemoteAddress="IPV4/UDP/${ip}/5060"${tail}\n`
  );
}

before(async () => {
  if (!root) return;
  build();
  pair = await createNetnsPair();
  const links = await pair.exec(pair.attacker, ['ip', '-o', 'link', 'show']);
  const dev = /^\d+: ([^:@]+)[@:]/m.exec(links.stdout.split('\n').find((l) => !/: lo:/.test(l)) ?? '')?.[1];
  assert.ok(dev, links.stdout);
  for (const a of ATTACKERS) await pair.exec(pair.attacker, ['ip', 'addr', 'add', `${a}/24`, 'dev', dev]);
  await pair.serve([5060]);
  cfg = makeConfig(JAIL);
});

after(async () => {
  if (!root) return;
  if (daemon && daemon.proc.exitCode === null) {
    daemon.proc.kill('SIGTERM');
    await daemon.exited;
  }
  await pair?.destroy();
  if (cfg) removeConfig(cfg);
});

test(
  'a distributed guess at one account (4 addresses × 2 tries, maxretry 5) is banned on packets; the phone logging in to its account still passes',
  { skip: !root && 'needs root for network namespaces' },
  async () => {
    appendFileSync(cfg.log, '');
    daemon = new Daemon(pair.defender, cfg);
    await waitFor('the daemon to answer ping', () => cli(cfg, ['ping']).code === 0 || daemon!.proc.exitCode !== null);
    assert.equal(daemon.proc.exitCode, null, `the daemon died: ${daemon.stderr}`);
    for (const a of ATTACKERS) assert.equal(await probeFrom(a), 'reply', `${a} passes before the attack`);
    const phone = pair.attacker4;

    // the phone registers to its own account: a successful login, never counted
    appendFileSync(cfg.log, securityLine('SuccessfulAuth', phone, '200', 'phone-1'));
    let n = 0;
    for (const a of ATTACKERS) for (let k = 0; k < 2; k++) appendFileSync(cfg.log, securityLine('ChallengeResponseFailed', a, '1001', `guess-${n++}`));

    const status = () => cli(cfg, ['status', 'asterisk']).out;
    await waitFor('four account-attack bans', () => field(status(), 'Currently banned') === '4');
    const st = status();
    assert.deepEqual(field(st, 'Banned IP list')!.split(' ').sort(), ATTACKERS, st);
    assert.match(field(st, 'Accounts under attack') ?? '', /^1: "1001" \(4 addresses, 4 banned\)/, st);
    const json = JSON.parse(cli(cfg, ['--json', 'status', 'asterisk']).out) as { accounts: { underAttack: number; list: { account: string }[] } };
    assert.equal(json.accounts.underAttack, 1);
    assert.equal(json.accounts.list[0]!.account, '1001');

    for (const a of ATTACKERS) {
      assert.equal(await waitFor(`${a} rejected`, async () => ((await probeFrom(a)) === 'refused' ? 'refused' : '')), 'refused');
    }
    assert.equal(await probeFrom(phone), 'reply', 'the phone is not touched');

    const facts = readFileSync(cfg.daemonLog, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const attack = facts.filter((f) => f.event === 'account-attack');
    assert.equal(attack.length, 1, 'one account-attack fact');
    assert.equal(attack[0]!.account, '1001');
    assert.equal(attack[0]!.jail, 'asterisk');
    assert.equal(typeof attack[0]!.addresses, 'number');
    const bans = facts.filter((f) => f.event === 'ban');
    assert.ok(bans.length === 4 && bans.every((b) => b.reason === 'account-attack'), JSON.stringify(bans));
    assert.equal(facts.filter((f) => f.event === 'compromise-suspected').length, 0);
  },
);
