// The checks one by one, on configs written in the test, where the fixture dirs would be clumsy:
// firewall order, tools, ignoreip, log files, AMI login outcomes, the database, broken config.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryReader } from '../../src/config/config-set.js';
import { runDoctorChecks } from '../../src/doctor/run-doctor.js';
import { renderChecklist } from '../../src/doctor/render-checklist.js';
import { probeDatabase } from '../../src/doctor/system-env.js';
import { actionFactsFor } from '../../src/doctor/action-facts.js';
import { doctorConfigFrom } from '../../src/doctor/doctor-config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { CONFIG_DIR, shippedFiles } from '../config/config-kit.js';
import { packageRoot } from '../../src/core/paths.js';
import { renderManagerSnippet } from '../../src/asterisk/snippets.js';
import { probeAmiLogin } from '../../src/doctor/ami-login-probe.js';
import type { DoctorConfig, DoctorEnv, DoctorJail, Finding } from '../../src/doctor/doctor-types.js';
import { FakeAmiServer } from '../helpers/fake-ami-server.js';
import { fakeEnv, inputChain, type FakeEnv, type FakeEnvOptions } from './fake-doctor-env.js';

const JUMP_TCP = /^-A INPUT .*-j f2b-asterisk-tcp$/;
const JUMP_UDP = /^-A INPUT .*-j f2b-asterisk-udp$/;

const JAIL: DoctorJail = {
  name: 'asterisk',
  logpaths: ['/var/log/asterisk/security.log', '/var/log/asterisk/messages.log'],
  ignoreip: ['127.0.0.1/8', '::1', '192.0.2.10', '2001:db8::10'],
  ignoreself: false,
  ami: false,
  firewallTools: ['ip6tables', 'iptables'],
  hooks: [
    { action: 'iptables[asterisk-tcp]', family: 'inet4', list: ['iptables', '-w', '-S', 'INPUT'], jump: JUMP_TCP },
    { action: 'iptables[asterisk-udp]', family: 'inet4', list: ['iptables', '-w', '-S', 'INPUT'], jump: JUMP_UDP },
    { action: 'iptables[asterisk-tcp]', family: 'inet6', list: ['ip6tables', '-w', '-S', 'INPUT'], jump: JUMP_TCP },
  ],
};

function config(over: Partial<DoctorConfig> = {}, jail: Partial<DoctorJail> = {}): DoctorConfig {
  return {
    configDir: '/etc/voipguard',
    jails: [{ ...JAIL, ...jail }],
    ami: null,
    dbfile: '/var/lib/voipguard/db',
    cluster: null,
    errors: [],
    warnings: [],
    ...over,
  };
}

// Asterisk's side is not under test here: an empty dir (the logger checks never read a date)
const noDateProbe = (): number | null => {
  throw new Error('no logger.conf: the date probe is not used');
};

async function run(cfg: DoctorConfig, env: DoctorEnv = fakeEnv(), asteriskDir = '/nonexistent/asterisk'): Promise<Record<string, Finding>> {
  const r = await runDoctorChecks({ asteriskDir, config: cfg, env, timeProbe: noDateProbe, amiTimeoutMs: 1000 });
  return Object.fromEntries(r.checks.map((c) => [c.id, c]));
}

function envWith(opts: FakeEnvOptions, setup: (env: FakeEnv) => void): FakeEnv {
  const env = fakeEnv(opts);
  setup(env);
  return env;
}

test('ban jumps before the ESTABLISHED accept: ok, one listing per command', async () => {
  const env = fakeEnv();
  const f = await run(config(), env);
  assert.equal(f['established-v4']!.status, 'ok');
  assert.equal(f['established-v6']!.status, 'ok');
  assert.equal(env.runner.lines().filter((l) => l === 'iptables -w -S INPUT').length, 1);
});

test('an ESTABLISHED,RELATED accept before the jump fails without conntrack, warns with it (voipguard cuts the flows)', async () => {
  const without = envWith({}, (e) =>
    e.runner.when('iptables -w -S INPUT', { stdout: inputChain('established-first') }).when('conntrack --version', { exitCode: 127 }),
  );
  const f = await run(config(), without);
  assert.equal(f['established-v4']!.status, 'fail');
  assert.match(f['established-v4']!.message, /"-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" comes before/);
  assert.match(f['established-v4']!.fix!, /iptables -D INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT/);
  assert.equal(f['established-v6']!.status, 'ok');

  const withTool = envWith({}, (e) => e.runner.when('iptables -w -S INPUT', { stdout: inputChain('established-first') }));
  assert.equal((await run(config(), withTool))['established-v4']!.status, 'warn');
});

test('no jump in INPUT (voipguard stopped) and an unreadable chain are warnings', async () => {
  const env = envWith({}, (e) =>
    e.runner
      .when('iptables -w -S INPUT', { stdout: inputChain('no-jumps') })
      .when('ip6tables -w -S INPUT', { exitCode: 4, stderr: 'Permission denied (you must be root)' }),
  );
  const f = await run(config(), env);
  assert.equal(f['established-v4']!.status, 'warn');
  assert.match(f['established-v4']!.message, /no jump to the ban chain of iptables\[asterisk-tcp\], iptables\[asterisk-udp\]/);
  assert.equal(f['established-v6']!.status, 'warn');
  assert.match(f['established-v6']!.message, /Permission denied/);
});

test('a missing firewall program fails and names the package; no firewall action: skip', async () => {
  const env = envWith({}, (e) => e.runner.when('ip6tables --version', { exitCode: 127, stderr: 'ip6tables: command not found' }));
  const f = await run(config({}, { firewallTools: ['ip6tables', 'iptables', 'nft'] }), env);
  assert.equal(f['firewall-tools']!.status, 'fail');
  assert.match(f['firewall-tools']!.message, /run ip6tables, which is not installed/);
  assert.equal(f['firewall-tools']!.fix, 'apt-get install iptables');
  const none = await run(config({}, { firewallTools: [], hooks: [] }));
  assert.equal(none['firewall-tools']!.status, 'skip');
  assert.equal(none['established-v4'], undefined);
});

test("ignoreip without the host's own addresses warns and lists them (not link-local); ignoreself covers them", async () => {
  const f = await run(config({}, { ignoreip: ['127.0.0.1/8', '::1'] }));
  assert.equal(f['ignoreip:asterisk']!.status, 'warn');
  assert.match(f['ignoreip:asterisk']!.message, /address(es)? 192\.0\.2\.10 2001:db8::10:/);
  assert.doesNotMatch(f['ignoreip:asterisk']!.message, /fe80/);
  assert.match(f['ignoreip:asterisk']!.fix!, /ignoreip = 127\.0\.0\.1\/8 ::1 192\.0\.2\.10 2001:db8::10/);
  const ranges = await run(config({}, { ignoreip: ['127.0.0.0/8', '::1/128', '192.0.2.0/24', '2001:db8::/32'] }));
  assert.equal(ranges['ignoreip:asterisk']!.status, 'ok');
  const self = await run(config({}, { ignoreip: [], ignoreself: true }));
  assert.equal(self['ignoreip:asterisk']!.status, 'ok');
});

test('a missing, unreadable or unmatched logpath fails; a glob that matches is fine', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-doc-'));
  try {
    writeFileSync(join(dir, 'messages.log'), '');
    writeFileSync(join(dir, 'messages.log.1'), '');
    const env = fakeEnv({
      logFiles: { '/var/log/asterisk/security.log': 'unreadable', [join(dir, 'messages.log')]: 'readable', [join(dir, 'messages.log.1')]: 'readable' },
    });
    const bad = await run(config({}, { logpaths: ['/var/log/asterisk/security.log', '/var/log/asterisk/full', join(dir, 'none*')] }), env);
    assert.equal(bad['logpath:asterisk']!.status, 'fail');
    assert.equal(
      bad['logpath:asterisk']!.message,
      `jail asterisk: /var/log/asterisk/security.log cannot be read; /var/log/asterisk/full does not exist; ${join(dir, 'none*')} matches no file`,
    );
    const glob = await run(config({}, { logpaths: [join(dir, 'messages.log*')] }), env);
    assert.equal(glob['logpath:asterisk']!.status, 'ok');
    assert.match(glob['logpath:asterisk']!.message, /^2 log files readable/);
    const amiOnly = await run(config({}, { logpaths: [], ami: true }), env);
    assert.equal(amiOnly['logpath:asterisk'], undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const MANAGER = (snippet: string) => memoryReader({ '/ast/manager.conf': `[general]\nenabled = yes\nport = 5038\nbindaddr = 127.0.0.1\n\n${snippet}` });

test('the generated manager.conf snippet, read back, passes every AMI check, the login against a live AMI peer included', async () => {
  const snippet = renderManagerSnippet();
  const ami = new FakeAmiServer({ users: { voipguard: snippet.secret } });
  const port = await ami.listen();
  try {
    const env: DoctorEnv = { ...fakeEnv(), reader: MANAGER(snippet.text), amiLogin: probeAmiLogin };
    const f = await run(config({ ami: { host: '127.0.0.1', port, username: 'voipguard', secret: snippet.secret } }), env, '/ast');
    for (const id of ['ami-manager', 'ami-user', 'ami-privileges', 'ami-acl', 'ami-login']) assert.equal(f[id]!.status, 'ok', `${id}: ${f[id]!.message}`);
    const wrong = await run(config({ ami: { host: '127.0.0.1', port, username: 'voipguard', secret: 'not-the-secret' } }), env, '/ast');
    assert.equal(wrong['ami-login']!.status, 'fail');
    assert.match(wrong['ami-login']!.fix!, /must match/);
    assert.doesNotMatch(JSON.stringify(wrong), new RegExp(snippet.secret), 'the secret is never printed');
  } finally {
    await ami.close();
  }
});

test('the AMI secret can come from secretfile; an unreadable one fails before any login', async () => {
  const snippet = renderManagerSnippet({ secret: 'B'.repeat(24) });
  const reader = memoryReader({
    '/ast/manager.conf': `[general]\nenabled = yes\nbindaddr = 127.0.0.1\n${snippet.text}`,
    '/etc/voipguard/ami.secret': `${'B'.repeat(24)}\n`,
  });
  const env: FakeEnv = { ...fakeEnv({ amiUsers: { voipguard: 'B'.repeat(24) } }), reader };
  const ok = await run(config({ ami: { host: '127.0.0.1', port: 5038, username: 'voipguard', secretfile: '/etc/voipguard/ami.secret' } }), env, '/ast');
  assert.equal(ok['ami-login']!.status, 'ok');
  const missing = await run(config({ ami: { host: '127.0.0.1', port: 5038, username: 'voipguard', secretfile: '/etc/voipguard/none' } }), env, '/ast');
  assert.equal(missing['ami-login']!.status, 'fail');
  assert.equal(env.amiCalls.length, 1);
});

test('AMI off in voipguard: one skip line that says how to turn it on', async () => {
  const f = await run(config());
  assert.equal(f.ami!.status, 'skip');
  assert.match(f.ami!.fix!, /voipguard asterisk manager --write/);
});

test('database: writable ok, a failing probe fails, :memory: warns', async () => {
  assert.equal((await run(config()))['database']!.status, 'ok');
  const ro = await run(config(), fakeEnv({ database: { ok: false, message: 'attempt to write a readonly database' } }));
  assert.equal(ro['database']!.status, 'fail');
  assert.match(ro['database']!.message, /readonly/);
  assert.equal((await run(config({ dbfile: ':memory:' })))['database']!.status, 'warn');
});

test('a jail with a rule per ban is told to use a set action once it holds 10,000 bans', async () => {
  const many = fakeEnv({ database: { ok: true, bans: { asterisk: 12_345, other: 50_000 } } });
  const f = await run(config({}, { perRuleBans: true }), many);
  assert.equal(f['database']!.status, 'ok');
  assert.equal(f['ban-scale']!.status, 'warn');
  assert.match(f['ban-scale']!.message, /jail asterisk holds 12,345 bans with a firewall rule for each/);
  assert.match(f['ban-scale']!.fix!, /banaction = iptables-ipset .*\[asterisk\] of jail\.local/);
  // below the line, with a set action, or with no count: nothing to say
  assert.equal((await run(config({}, { perRuleBans: true }), fakeEnv({ database: { ok: true, bans: { asterisk: 9_999 } } })))['ban-scale'], undefined);
  assert.equal((await run(config({}, { perRuleBans: false }), many))['ban-scale'], undefined);
  assert.equal((await run(config({}, { perRuleBans: true }), fakeEnv({ database: { ok: true } })))['ban-scale'], undefined);
});

/** action.d as the package ships it, where the config loader looks for it beside /etc/voipguard's. */
function shippedActions(): Record<string, string> {
  const dir = join(packageRoot(), 'action.d');
  return Object.fromEntries(readdirSync(dir).map((f) => [join(dir, f), readFileSync(join(dir, f), 'utf8')]));
}

test('the shipped actions: iptables, -multiport and -allports write a rule per ban; iptables-ipset and nftables do not', () => {
  for (const [banaction, perRule] of [
    ['iptables', true],
    ['iptables-multiport', true],
    ['iptables-allports', true],
    ['iptables-ipset', false],
    ['nftables', false],
  ] as const) {
    const jailLocal = `[DEFAULT]\nbanaction = ${banaction}\n\n[asterisk]\nenabled = true\nlogpath = /var/log/asterisk/messages\n`;
    const reader = memoryReader({ ...shippedFiles(), ...shippedActions(), [join(CONFIG_DIR, 'jail.local')]: jailLocal });
    const cfg = doctorConfigFrom(CONFIG_DIR, loadConfig(CONFIG_DIR, { reader }), actionFactsFor(CONFIG_DIR, reader));
    assert.deepEqual(cfg.errors, [], banaction);
    assert.equal(cfg.jails.find((j) => j.name === 'asterisk')?.perRuleBans, perRule, banaction);
  }
});

test('the real database probe counts the bans each jail holds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-db-'));
  try {
    const path = join(dir, 'v.sqlite3');
    const store = SqliteStore.open(path);
    store.batch(() => {
      for (let i = 0; i < 3; i++) store.addBan({ jail: 'asterisk', ip: `192.0.2.${i + 1}`, start: 1, until: null, banCount: 1, reason: 'detected' }, true);
      store.addBan({ jail: 'asterisk-ami', ip: '198.51.100.1', start: 1, until: null, banCount: 1, reason: 'manual' }, true);
    });
    store.close();
    assert.deepEqual(probeDatabase(path), { ok: true, bans: { asterisk: 3, 'asterisk-ami': 1 } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the real database probe takes a write lock on an existing file and checks the directory of a new one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-db-'));
  try {
    assert.deepEqual(probeDatabase(join(dir, 'new.sqlite3')), { ok: true });
    assert.equal(existsSync(join(dir, 'new.sqlite3')), false, 'the probe creates nothing');
    const real = join(dir, 'real.sqlite3');
    const db = new Database(real);
    db.exec('CREATE TABLE t (x)');
    db.close();
    assert.deepEqual(probeDatabase(real), { ok: true });
    const junk = join(dir, 'junk.sqlite3');
    writeFileSync(junk, 'not a database at all, and long enough to be read as one........................................');
    const r = probeDatabase(junk);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /not a database/);
    assert.deepEqual(probeDatabase(join(dir, 'missing-dir', 'x.sqlite3')), { ok: true }, 'a missing directory is created at start');
    assert.equal(probeDatabase(join(junk, 'x.sqlite3')).ok, false, 'a file where the directory should be');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config errors fail the config check; a check that throws becomes a fail line and the rest still run', async () => {
  const env: DoctorEnv = {
    ...fakeEnv(),
    networkInterfaces: () => {
      throw new Error('netlink unavailable');
    },
  };
  const r = await runDoctorChecks({
    asteriskDir: '/nonexistent',
    config: config({ errors: ['jail.local:3 [asterisk] maxretry: not a number (VG_CONFIG_TYPE)'] }),
    env,
    timeProbe: noDateProbe,
  });
  const f = Object.fromEntries(r.checks.map((c) => [c.id, c]));
  assert.equal(f.config!.status, 'fail');
  assert.match(f.config!.message, /maxretry: not a number/);
  assert.equal(f.ignoreip!.status, 'fail');
  assert.match(f.ignoreip!.message, /the check itself failed: netlink unavailable/);
  assert.equal(f.database!.status, 'ok');
  assert.equal(f['asterisk-config']!.status, 'fail');
});

test('the checklist prints one line per check, the fix indented below, and the counts', async () => {
  const r = await runDoctorChecks({ asteriskDir: '/nonexistent', config: config({ dbfile: ':memory:' }), env: fakeEnv(), timeProbe: noDateProbe });
  const text = renderChecklist(r);
  assert.match(text, /^warn  database +dbfile = :memory:: bans and ban history are lost when voipguard restarts$/m);
  assert.match(text, /^ {10,}fix: set dbfile to a file path in voipguard\.local$/m);
  assert.match(text, /^ok    established-v4 +the ban chain jumps/m);
  const lines = text.split('\n');
  lines.forEach((l, i) => {
    if (/^ +fix: /.test(l)) assert.doesNotMatch(lines[i - 1]!, /^ok /, 'an ok line carries no fix');
  });
  assert.match(text, new RegExp(`\\n${r.summary.ok} ok, ${r.summary.warn} warn, ${r.summary.fail} fail, ${r.summary.skip} skipped\\n$`));
});

test('an AMI jail whose keys read ChallengeSent or SuccessfulAuth: a warning names each event the eventfilter drops, and the jail and key that need it', async () => {
  const user = (filter: string) =>
    MANAGER(
      `[voipguard]\nsecret = ${'C'.repeat(24)}\ndeny = 0.0.0.0/0.0.0.0\npermit = 127.0.0.1/255.255.255.255\nread = security\nwrite =\neventfilter = ${filter}\n`,
    );
  const ami = { host: '127.0.0.1', port: 5038, username: 'voipguard', secret: 'C'.repeat(24) };
  const jail = {
    ami: true,
    amiSignals: [
      { event: 'ChallengeSent', key: 'challengetimeout' },
      { event: 'SuccessfulAuth', key: 'protectregistered' },
    ],
  };
  const check = async (filter: string, j: Partial<DoctorJail> = jail) =>
    (await run(config({ ami }, j), { ...fakeEnv({ amiUsers: { voipguard: 'C'.repeat(24) } }), reader: user(filter) }, '/ast'))['ami-signals'];

  const four = await check('Event: (FailedACL|InvalidAccountID|ChallengeResponseFailed|InvalidPassword)');
  assert.equal(four!.status, 'warn');
  assert.equal(
    four!.message,
    'the eventfilter of [voipguard] drops ChallengeSent, which asterisk (challengetimeout) reads; SuccessfulAuth, which asterisk (protectregistered) reads',
  );
  assert.match(four!.fix!, /eventfilter = Event: \(FailedACL\|InvalidAccountID\|ChallengeResponseFailed\|InvalidPassword\|ChallengeSent\|SuccessfulAuth\)/);

  const shipped = await check('Event: (FailedACL|InvalidAccountID|ChallengeResponseFailed|InvalidPassword|SuccessfulAuth)');
  assert.equal(shipped!.status, 'warn');
  assert.doesNotMatch(shipped!.message, /SuccessfulAuth/);

  const wide = await check('Event: (FailedACL|InvalidAccountID|ChallengeResponseFailed|InvalidPassword|SuccessfulAuth|ChallengeSent)');
  assert.equal(wide!.status, 'ok');
  // no filter at all lets everything through; a jail without such keys, or not on AMI, asks nothing
  assert.equal((await check('!Event: Nothing'))!.status, 'ok');
  assert.equal(await check('Event: (FailedACL)', { ami: true, amiSignals: [] }), undefined);
  assert.equal(await check('Event: (FailedACL)', { ...jail, ami: false }), undefined);
});
