import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryReader } from '../../src/config/config-set.js';
import { loadConfig, type LoadedConfig } from '../../src/config/load-config.js';
import { packageRoot } from '../../src/core/paths.js';
import { CONFIG_DIR, fixtureReader } from './config-kit.js';

const load = (fixture: string | null, extra: Record<string, string> = {}): LoadedConfig => loadConfig(CONFIG_DIR, { reader: fixtureReader(fixture, extra) });
const jail = (c: LoadedConfig, name: string) => c.jails.find((j) => j.name === name);
const codes = (c: LoadedConfig) => c.errors.map((e) => e.code);

test('the shipped config loads without errors or warnings; asterisk and blacklist are off until enabled', () => {
  const c = loadConfig(packageRoot());
  assert.deepEqual(
    c.errors.map((e) => e.describe()),
    [],
  );
  assert.deepEqual(c.warnings, []);
  assert.deepEqual(
    c.jails.map((j) => [j.name, j.enabled]),
    [
      ['asterisk', false],
      ['blacklist', false],
      ['sshd', false],
    ],
  );
  assert.equal(c.service.socket, '/run/voipguard/voipguard.sock');
  assert.equal(c.service.dbfile, '/var/lib/voipguard/voipguard.sqlite3');
  assert.equal(c.service.pidfile, '/run/voipguard/voipguard.pid');
  assert.equal(c.service.logtarget, 'stdout');
  assert.equal(c.service.loglevel, 'info');
  assert.equal(c.service.dbpurgeage, 86_400_000);
  assert.deepEqual(c.service.ami, { enabled: false, host: '127.0.0.1', port: 5038, username: 'voipguard', secret: null, secretfile: null });
  assert.equal(c.service.metrics.listen, null);
});

test('the shipped [asterisk] jail bans in f2b-asterisk-tcp and f2b-asterisk-udp on 5060,5061, reading both log namings', () => {
  const a = jail(loadConfig(packageRoot()), 'asterisk')!;
  assert.deepEqual(a.actions, [
    { name: 'iptables', args: { name: 'asterisk-tcp', port: '5060,5061', protocol: 'tcp', chain: 'INPUT' } },
    { name: 'iptables', args: { name: 'asterisk-udp', port: '5060,5061', protocol: 'udp', chain: 'INPUT' } },
  ]);
  assert.deepEqual(a.filter, { name: 'asterisk', args: {} });
  assert.deepEqual(a.logpath, ['/var/log/asterisk/security', '/var/log/asterisk/messages', '/var/log/asterisk/security.log', '/var/log/asterisk/messages.log']);
  assert.equal(a.maxretry, 5);
  assert.equal(a.findtime, 600_000);
  assert.equal(a.bantime, 600_000);
  assert.deepEqual(a.ignoreip, ['127.0.0.0/8', '::1']);
  assert.equal(a.ignoreself, true);
});

test('the shipped [blacklist] jail has no source and bans permanently', () => {
  const b = jail(loadConfig(packageRoot()), 'blacklist')!;
  assert.equal(b.filter, null);
  assert.deepEqual(b.logpath, []);
  assert.equal(b.ami, false);
  assert.equal(b.bantime, -1);
  // through action_ and banaction (so a user's banaction replaces it); port 0:65535 is every port
  assert.deepEqual(b.actions, [{ name: 'iptables-allports', args: { name: 'blacklist', port: '0:65535', protocol: 'all', chain: 'INPUT' } }]);
});

test("a Japanese tutorial's jail.local loads unchanged: `bantime = 3600 ; 1hour`, empty ignoreip, backend = polling gets the watcher", () => {
  const c = load('fail2ban-tutorial-jp');
  assert.deepEqual(
    c.errors.map((e) => e.describe()),
    [],
  );
  const a = jail(c, 'asterisk')!;
  assert.equal(a.enabled, true);
  assert.equal(a.bantime, 3_600_000);
  assert.equal(a.maxretry, 5);
  // fail2ban's polling backend means voipguard's watcher (inotify with polling as a safety net)
  assert.equal(a.backend, 'auto');
  assert.deepEqual(a.ignoreip, []);
  assert.equal(a.usedns, 'no');
});

test("a Taiwanese FAQ's jail.d/asterisk.conf loads unchanged: its logpath replaces ours, bantime in seconds", () => {
  const c = load('fail2ban-tutorial-tw');
  assert.deepEqual(
    c.errors.map((e) => e.describe()),
    [],
  );
  const a = jail(c, 'asterisk')!;
  assert.equal(a.enabled, true);
  assert.deepEqual(a.logpath, ['/var/log/asterisk/fail2ban']);
  assert.equal(a.bantime, 259_200_000);
});

test("fail2ban's own [DEFAULT] shape loads: helpers in use are silent, the rest warn once each", () => {
  const c = load('fail2ban-helpers');
  assert.deepEqual(
    c.errors.map((e) => e.describe()),
    [],
  );
  const a = jail(c, 'asterisk')!;
  assert.equal(a.enabled, true);
  assert.equal(a.maxretry, 10);
  assert.equal(a.maxmatches, 10);
  assert.equal(a.backend, 'auto');
  assert.equal(a.chain, 'INPUT');
  assert.equal(a.usedns, 'no');
  assert.deepEqual(a.filter, { name: 'asterisk', args: { mode: 'normal' } });
  assert.deepEqual(
    a.actions.map((x) => x.args),
    [
      // the tag stays for the action to resolve (its own default chain)
      { port: '5060,5061', protocol: 'tcp', chain: '<known/chain>', name: 'asterisk-tcp' },
      { port: '5060,5061', protocol: 'udp', chain: '<known/chain>', name: 'asterisk-udp' },
    ],
  );
  assert.deepEqual(a.increment, { enabled: true, factor: 1, multipliers: [], maxtime: 604_800_000, rndtime: 300_000, overalljails: false });
  const warned = (key: string) => c.warnings.filter((w) => new RegExp(`\\] ${key.replace('.', '\\.')}[: ]`).test(w)).length;
  for (const key of [
    'bantime.formula',
    'ignorecommand',
    'logencoding',
    'destemail',
    'sender',
    'mta',
    'action_mw',
    'action_mwl',
    'fail2ban_agent',
    'sshd_log',
  ]) {
    assert.equal(warned(key), 1, `one warning for ${key}: ${c.warnings.join('\n')}`);
  }
  // mode is used by the filter line, action_ by action, banaction_allports by the shipped [blacklist]
  assert.equal(warned('mode'), 0);
  assert.equal(warned('action_'), 0);
  assert.equal(warned('banaction_allports'), 0);
  assert.equal(c.warnings.filter((w) => w.includes('usedns = warn')).length, 1);
  assert.equal(c.warnings.filter((w) => w.includes('pyinotify')).length, 0, 'pyinotify is our watcher, silently');
});

test('every mistake is reported at once with file, section, key and line; the good jail still loads', () => {
  const c = load('many-errors');
  const file = `${CONFIG_DIR}/jail.local`;
  const find = (section: string, key: string) => c.errors.find((e) => e.place.section === section && e.place.key === key);
  assert.deepEqual(
    { code: find('DEFAULT', 'bantme')?.code, file: find('DEFAULT', 'bantme')?.place.file, line: find('DEFAULT', 'bantme')?.place.line },
    { code: 'VG_CONFIG_UNKNOWN_KEY', file, line: 2 },
  );
  assert.equal(find('asterisk', 'maxrety')?.code, 'VG_CONFIG_UNKNOWN_KEY');
  assert.equal(find('asterisk', 'maxrety')?.place.line, 6);
  assert.equal(find('asterisk', 'findtime')?.code, 'VG_CONFIG_DURATION');
  assert.equal(find('cidr', 'ignoreip')?.code, 'VG_CONFIG_CIDR');
  assert.match(find('cidr', 'ignoreip')!.message, /300\.1\.1\.1\/8/);
  assert.equal(find('cidr', 'maxretry')?.code, 'VG_CONFIG_TYPE');
  assert.ok(c.errors.some((e) => e.code === 'VG_CONFIG_INTERPOLATION' && e.place.section === 'loop'));
  assert.equal(find('args', 'action')?.code, 'VG_CONFIG_ARGS');
  assert.ok(c.errors.every((e) => e.place.file !== undefined && e.place.section !== undefined && e.place.key !== undefined));
  assert.deepEqual(c.jails.map((j) => j.name).sort(), ['blacklist', 'good', 'sshd']);
  assert.equal(jail(c, 'good')!.bantime, 604_800_000);
  // a problem in [DEFAULT] is said once, not once per jail
  assert.equal(c.errors.filter((e) => e.place.key === 'bantme').length, 1);
});

test('keys a value refers to are accepted: action parameters kept in [DEFAULT] for interpolation', () => {
  const c = load(null, {
    'jail.local':
      '[DEFAULT]\nsipports = 5060,5061,5080\nmyblock = REJECT\n[asterisk]\nenabled = true\nport = %(sipports)s\naction = iptables[name=sip, port="%(port)s", blocktype=%(myblock)s]\n',
  });
  assert.deepEqual(
    c.errors.map((e) => e.describe()),
    [],
  );
  assert.deepEqual(c.warnings, []);
  const a = jail(c, 'asterisk')!;
  assert.equal(a.port, '5060,5061,5080');
  assert.deepEqual(a.actions, [{ name: 'iptables', args: { name: 'sip', port: '5060,5061,5080', blocktype: 'REJECT' } }]);
  assert.equal(a.raw['sipports'], '5060,5061,5080');
});

test('a key nothing refers to and fail2ban does not know is an error, with a hint for action parameters', () => {
  const c = load(null, { 'jail.local': '[asterisk]\nenabled = true\nblocktype = DROP\n' });
  assert.deepEqual(codes(c), ['VG_CONFIG_UNKNOWN_KEY']);
  assert.match(c.errors[0]!.message, /action = iptables\[blocktype=/);
  assert.deepEqual(
    c.jails.map((j) => j.name),
    ['blacklist', 'sshd'],
  );
});

test('ignoreip: IPs, CIDR, IPv6, space and comma separated, canonical; host names warn and are skipped', () => {
  const c = load(null, { 'jail.local': '[asterisk]\nignoreip = 192.168.9.0/24,192.168.31.7  2001:DB8:0:0::1/64\n  ::ffff:10.1.2.3 pbx.example.com\n' });
  assert.deepEqual(
    c.errors.map((e) => e.describe()),
    [],
  );
  assert.deepEqual(jail(c, 'asterisk')!.ignoreip, ['192.168.9.0/24', '192.168.31.7', '2001:db8::/64', '10.1.2.3']);
  assert.equal(c.warnings.filter((w) => w.includes('pbx.example.com')).length, 1);
});

test('filter arguments, several logpaths with globs, journalmatch, timezone, ami events and increment keys', () => {
  const c = load(null, {
    'jail.local': [
      '[asterisk]',
      'filter = asterisk[mode=aggressive]',
      'logpath = /var/log/asterisk/security*',
      '          /var/log/asterisk/messages.log tail',
      'backend = systemd',
      'journalmatch = _SYSTEMD_UNIT=asterisk.service + _COMM=asterisk',
      'logtimezone = UTC+0200',
      'ami = yes',
      'amievents = InvalidPassword, ChallengeResponseFailed',
      'bantime.increment = yes',
      'bantime.multipliers = 1 5 30 60',
      'bantime.overalljails = true',
    ].join('\n'),
  });
  assert.deepEqual(
    c.errors.map((e) => e.describe()),
    [],
  );
  const a = jail(c, 'asterisk')!;
  assert.deepEqual(a.filter, { name: 'asterisk', args: { mode: 'aggressive' } });
  assert.deepEqual(a.logpath, ['/var/log/asterisk/security*', '/var/log/asterisk/messages.log']);
  assert.deepEqual(a.journalmatch, ['_SYSTEMD_UNIT=asterisk.service', '+', '_COMM=asterisk']);
  assert.equal(a.timezone, 'UTC+0200');
  assert.equal(a.ami, true);
  assert.deepEqual(a.amievents, ['InvalidPassword', 'ChallengeResponseFailed']);
  assert.deepEqual(a.increment.multipliers, [1, 5, 30, 60]);
  assert.equal(a.increment.overalljails, true);
  assert.ok(c.warnings.some((w) => w.includes('tail')));
});

test('wrong values are coded errors: never-failure AMI events, relative logpath, zero findtime, bad time zone', () => {
  const c = load(null, {
    'jail.local': '[asterisk]\namievents = SuccessfulAuth\nlogpath = var/log/x\nfindtime = 0\ntimezone = Mars/Olympus\nignoreself = maybe\n',
  });
  const byKey = Object.fromEntries(c.errors.map((e) => [e.place.key, e.code]));
  assert.deepEqual(byKey, {
    amievents: 'VG_CONFIG_TYPE',
    logpath: 'VG_CONFIG_TYPE',
    findtime: 'VG_CONFIG_DURATION',
    timezone: 'VG_CONFIG_TYPE',
    ignoreself: 'VG_CONFIG_TYPE',
  });
});

test('correlate keys: defaults are the documented rule; each window can be set, and correlate = no counts every signal', () => {
  const d = jail(load(null), 'asterisk')!;
  assert.deepEqual(d.correlate, { enabled: true, idWindowMs: 10_000, pointerWindowMs: 10, crossWindowMs: 2000, retainMs: 30_000 });
  const c = load(null, {
    'jail.local':
      '[DEFAULT]\ncorrelate.crosswindow = 3s\n[asterisk]\ncorrelate = no\ncorrelate.idwindow = 20\ncorrelate.pointerwindow = 25ms\ncorrelate.retain = 1m\n',
  });
  assert.deepEqual(
    c.errors.map((e) => e.describe()),
    [],
  );
  assert.deepEqual(c.warnings, []);
  assert.deepEqual(jail(c, 'asterisk')!.correlate, { enabled: false, idWindowMs: 20_000, pointerWindowMs: 25, crossWindowMs: 3000, retainMs: 60_000 });
  assert.equal(jail(c, 'blacklist')!.correlate.crossWindowMs, 3000, '[DEFAULT] reaches every jail');
});

test('correlate windows wide enough to merge separate attempts are refused, naming the key', () => {
  const c = load(null, {
    'jail.local': '[asterisk]\ncorrelate = perhaps\ncorrelate.idwindow = 5m\ncorrelate.pointerwindow = 2s\ncorrelate.crosswindow = 0\n',
  });
  const byKey = Object.fromEntries(c.errors.map((e) => [e.place.key, [e.code, e.place.section, e.place.file]]));
  assert.deepEqual(byKey, {
    correlate: ['VG_CONFIG_TYPE', 'asterisk', '/etc/voipguard/jail.local'],
    'correlate.idwindow': ['VG_CONFIG_TYPE', 'asterisk', '/etc/voipguard/jail.local'],
    'correlate.pointerwindow': ['VG_CONFIG_TYPE', 'asterisk', '/etc/voipguard/jail.local'],
    'correlate.crosswindow': ['VG_CONFIG_DURATION', 'asterisk', '/etc/voipguard/jail.local'],
  });
  assert.match(c.errors.find((e) => e.place.key === 'correlate.idwindow')!.message, /out of range \(100ms to 60s\)/);
  const short = load(null, { 'jail.local': '[asterisk]\ncorrelate.retain = 5s\n' });
  assert.deepEqual(
    short.errors.map((e) => [e.code, e.place.key]),
    [['VG_CONFIG_TYPE', 'correlate.retain']],
  );
  assert.equal(jail(short, 'asterisk'), undefined, 'a jail with an error is skipped');
});

test('an enabled jail with a filter but nowhere to read from is refused', () => {
  const c = load(null, { 'jail.local': '[asterisk]\nenabled = true\nlogpath =\n' });
  assert.deepEqual(codes(c), ['VG_CONFIG_MISSING']);
});

test('syntax errors in two files are both reported, and no jail loads from a broken file set', () => {
  const c = load(null, { 'jail.local': '[asterisk]\nthis is not a key\n', 'jail.d/x.conf': 'orphan = 1\n' });
  assert.deepEqual(codes(c).sort(), ['VG_CONFIG_SYNTAX', 'VG_CONFIG_SYNTAX']);
  assert.deepEqual(c.jails, []);
});

test('a directory without jail files is a VG_CONFIG_MISSING error; voipguard.conf is optional', () => {
  const c = loadConfig('/nowhere', { reader: memoryReader({}) });
  assert.deepEqual(codes(c), ['VG_CONFIG_MISSING']);
  assert.equal(c.service.dbfile, '/var/lib/voipguard/voipguard.sqlite3');
});

test('voipguard.local: fail2ban.conf keys, [ami], [metrics]; mistakes are named', () => {
  const ok = load(null, {
    'voipguard.local':
      '[Definition]\nloglevel = NOTICE\nlogtarget = SYSLOG\nallowipv6 = auto\ndbfile = None\n[Thread]\nstacksize = 0\n[ami]\nenabled = yes\nsecretfile = /etc/voipguard/ami.secret\n[metrics]\nlisten = 127.0.0.1:9469\n',
  });
  assert.deepEqual(
    ok.errors.map((e) => e.describe()),
    [],
  );
  assert.equal(ok.service.loglevel, 'info');
  assert.equal(ok.service.logtarget, 'stdout');
  assert.equal(ok.service.dbfile, ':memory:');
  assert.equal(ok.service.ami.secretfile, '/etc/voipguard/ami.secret');
  assert.deepEqual(ok.service.metrics.listen, { host: '127.0.0.1', port: 9469 });
  assert.equal(ok.warnings.length, 4, ok.warnings.join('\n'));

  const bad = load(null, {
    'voipguard.local': '[Definition]\ndbpurgeage = soon\nsokcet = /x\n[ami]\nenabled = yes\nport = 99999\n[metrics]\nlisten = 0.0.0.0:9469\n[extra]\na = 1\n',
  });
  assert.ok(
    bad.errors.every((e) => e.place.file !== undefined),
    'every error names its file',
  );
  const got = bad.errors.map((e) => `${e.code} ${e.place.section} ${e.place.key ?? ''}`).sort();
  assert.deepEqual(got, [
    'VG_CONFIG_DURATION Definition dbpurgeage',
    'VG_CONFIG_MISSING ami secret',
    'VG_CONFIG_TYPE ami port',
    'VG_CONFIG_UNKNOWN_KEY Definition sokcet',
    'VG_CONFIG_UNKNOWN_KEY extra ',
    'VG_METRICS_LISTEN metrics listen',
  ]);
});

test('[ami] client is gone (one AMI session implementation): the key is an unknown-key error naming it', () => {
  const bad = load(null, { 'voipguard.local': '[ami]\nclient = builtin\n' });
  assert.deepEqual(
    bad.errors.map((e) => [e.place.section, e.place.key, e.place.file]),
    [['ami', 'client', '/etc/voipguard/voipguard.local']],
  );
});

test('a jail that wants AMI events while [ami] is off gets a warning', () => {
  const c = load(null, { 'jail.local': '[asterisk]\nenabled = true\nami = yes\n' });
  assert.deepEqual(codes(c), []);
  assert.ok(c.warnings.some((w) => w.includes('[ami] enabled = no')));
});

test('the loaded config is deeply frozen', () => {
  const c = loadConfig(packageRoot());
  const a = c.jails[0]!;
  assert.ok(Object.isFrozen(c) && Object.isFrozen(c.jails) && Object.isFrozen(a) && Object.isFrozen(a.actions[0]!.args));
  assert.ok(Object.isFrozen(a.ignoreip) && Object.isFrozen(a.increment) && Object.isFrozen(a.raw) && Object.isFrozen(c.service.ami));
  assert.throws(() => {
    (a as { maxretry: number }).maxretry = 1;
  }, TypeError);
});

test('maxskew: 10m by default, settable per jail, refused outside 1s..1d naming the key', () => {
  assert.equal(jail(load(null), 'asterisk')!.maxskew, 600_000);
  const c = load(null, { 'jail.local': '[asterisk]\nmaxskew = 30s\n' });
  assert.deepEqual(
    c.errors.map((e) => e.describe()),
    [],
  );
  assert.equal(jail(c, 'asterisk')!.maxskew, 30_000);
  const bad = load(null, { 'jail.local': '[asterisk]\nmaxskew = 2d\n[blacklist]\nmaxskew = soon\n' });
  assert.deepEqual(
    bad.errors.map((e) => [e.place.section, e.place.key]),
    [
      ['asterisk', 'maxskew'],
      ['blacklist', 'maxskew'],
    ],
  );
  assert.match(bad.errors[0]!.message, /out of range \(1s to 86400s\)/);
});

test('a typo in a key gets "did you mean" the known key: enable = true → enabled', () => {
  const c = load(null, { 'jail.local': '[asterisk]\nenable = true\nmaxretries = 3\n' });
  const msgs = c.errors.map((e) => e.message);
  assert.ok(
    msgs.some((m) => /unknown key "enable" \(did you mean "enabled"\?\)/.test(m)),
    msgs.join('\n'),
  );
  assert.ok(
    msgs.some((m) => /unknown key "maxretries" \(did you mean "maxretry"\?\)/.test(m)),
    msgs.join('\n'),
  );
});
