import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ServiceControl } from '../../src/daemon/control-handler.js';
import { serviceStatus, jailStatus } from '../../src/daemon/service-status.js';
import { renderServiceStatus } from '../../src/cli/render-status.js';
import { files, JAIL, kit, T0 } from './daemon-kit.js';

const s = (ms: number) => Math.floor(ms / 1000);

test('the maxretry-th failure from one address bans it: store first, a fact in the log, then the firewall', async () => {
  const k = kit(files(JAIL));
  await k.svc.start(k.load());
  const { source, actions } = k.latest('asterisk');
  assert.equal(source.running, true);
  for (let i = 0; i < 3; i++) source.push(`FAIL 203.0.113.5 ${s(T0) - 10 + i}`, k.clock);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    k.store.activeBans('asterisk').map((b) => [b.ip, b.until, b.applied]),
    [['203.0.113.5', T0 + 3_600_000, false]],
  );
  assert.deepEqual(
    actions.applied.map((d) => [d.type, d.ip]),
    [['ban', '203.0.113.5']],
  );
  const fact = k.records.find((r) => r.event === 'ban');
  assert.deepEqual([fact?.jail, fact?.ip, fact?.banCount, fact?.reason], ['asterisk', '203.0.113.5', 1, 'detected']);
});

test('bans decided while the firewall is busy go to it together, in one call', async () => {
  const k = kit(files(JAIL.replace('maxretry = 3', 'maxretry = 1')));
  await k.svc.start(k.load());
  const { source, actions } = k.latest('asterisk');
  let release!: () => void;
  actions.gate = new Promise((r) => (release = r));
  source.push(`FAIL 198.18.0.1 ${s(T0)}`, k.clock);
  await new Promise((r) => setImmediate(r)); // its flush is now held at the gate
  for (let i = 2; i <= 50; i++) source.push(`FAIL 198.18.0.${i} ${s(T0)}`, k.clock);
  await null; // the store's write waits one microtask, so one read's bans share a transaction
  assert.equal(k.store.activeBans().length, 50, 'every ban is in the store while the firewall is busy');
  release();
  await k.svc.stop();
  assert.deepEqual(actions.calls, [1, 49]);
  assert.equal(actions.applied.length, 50);
});

test('failures older than findtime (read back from a file at start) are not counted', async () => {
  const k = kit(files(JAIL));
  await k.svc.start(k.load());
  const { source, actions } = k.latest('asterisk');
  for (let i = 0; i < 5; i++) source.push(`FAIL 203.0.113.5 ${s(T0) - 3600 + i}`, k.clock);
  assert.equal(actions.applied.length, 0);
  const r = k.svc.jail('asterisk');
  assert.equal(r.counters.stale, 5);
  assert.equal(r.engine.status(T0).totalFailed, 0);
});

test('signals of one attempt count once (the correlator decides), separate attempts each count', async () => {
  const k = kit(files(JAIL));
  await k.svc.start(k.load());
  const { source, actions } = k.latest('asterisk');
  for (const sid of ['a', 'a', 'a', 'b', 'b']) source.push(`FAIL 198.51.100.7 ${s(T0)} ${sid}`, k.clock);
  assert.equal(actions.applied.length, 0, 'two attempts, five signals: no ban at maxretry 3');
  const st = jailStatus(k.svc, k.svc.jail('asterisk'), T0, false);
  assert.equal(st.filter.totalFailed, 2);
  source.push(`FAIL 198.51.100.7 ${s(T0)} c`, k.clock);
  await new Promise((r) => setImmediate(r));
  assert.equal(actions.applied.length, 1);
});

test('at start, stored bans come back into the jail and are reconciled with the kernel; expiry lifts them', async () => {
  const k = kit(files(JAIL));
  k.store.addBan({ jail: 'asterisk', ip: '192.0.2.44', start: T0 - 60_000, until: T0 + 60_000, banCount: 1, reason: 'detected' }, true);
  k.store.addBan({ jail: 'asterisk', ip: '10.9.1.1', start: T0 - 60_000, until: T0 + 60_000, banCount: 1, reason: 'detected' }, true);
  await k.svc.start(k.load());
  await k.svc.jail('asterisk').restored(); // the kernel refill runs after the start (ready first)
  const { actions } = k.latest('asterisk');
  assert.equal(actions.started, 1);
  assert.deepEqual(actions.reconciled[0]!.map((b) => b.ip).sort(), ['10.9.1.1', '192.0.2.44']);
  // 10.9.1.1 is in ignoreip now: the restore says to lift it
  assert.deepEqual(
    actions.applied.map((d) => [d.type, d.ip]),
    [['unban', '10.9.1.1']],
  );
  assert.deepEqual(
    k.store.activeBans().map((b) => b.ip),
    ['192.0.2.44'],
  );
  const control = new ServiceControl(k.svc, { version: '0.1.0', pid: 1, requestStop: () => undefined });
  assert.deepEqual(await control.handle({ cmd: 'banned', ips: [] }), { asterisk: ['192.0.2.44'] });
  k.clock.advance(61_000);
  await k.svc.tick();
  assert.deepEqual(k.store.activeBans(), []);
  assert.deepEqual(actions.applied.at(-1), { type: 'unban', jail: 'asterisk', ip: '192.0.2.44', time: T0 + 61_000, reason: 'expired' });
  assert.equal(actions.checks, 1, 'the first tick also checks the actions');
});

test('manual bans enter through the jail like detected ones; ignored addresses are refused with a coded error', async () => {
  const k = kit(files(JAIL));
  await k.svc.start(k.load());
  const control = new ServiceControl(k.svc, { version: '0.1.0', pid: 1, requestStop: () => undefined });
  assert.deepEqual(await control.handle({ cmd: 'banip', jail: 'asterisk', ips: ['192.0.2.1', '192.0.2.2'] }), {
    banned: ['192.0.2.1', '192.0.2.2'],
    already: [],
  });
  assert.deepEqual(await control.handle({ cmd: 'banip', jail: 'asterisk', ips: ['192.0.2.1'] }), { banned: [], already: ['192.0.2.1'] });
  await assert.rejects(control.handle({ cmd: 'banip', jail: 'asterisk', ips: ['10.9.3.3'] }), { code: 'VG_IGNORED_IP' });
  await assert.rejects(control.handle({ cmd: 'banip', jail: 'blacklist', ips: ['192.0.2.9'] }), (e: Error) => /disabled/.test(e.message));
  const times = (await control.handle({ cmd: 'get', jail: 'asterisk', key: 'banip', withTime: true })) as { ip: string; until: number }[];
  assert.deepEqual(
    times.map((b) => [b.ip, b.until]),
    [
      ['192.0.2.1', T0 + 3_600_000],
      ['192.0.2.2', T0 + 3_600_000],
    ],
  );
  assert.deepEqual(await control.handle({ cmd: 'unbanip', jail: null, ips: [], all: true }), { unbanned: 2 });
  assert.deepEqual(k.store.activeBans(), []);
  assert.equal(await control.handle({ cmd: 'get', jail: 'asterisk', key: 'bantime', withTime: false }), 3600);
  assert.equal(await control.handle({ cmd: 'get', jail: 'asterisk', key: 'findtime', withTime: false }), 600);
  assert.deepEqual(await control.handle({ cmd: 'addignoreip', jail: 'asterisk', ips: ['192.0.2.0/24'] }), ['10.9.0.0/16', '192.0.2.0/24']);
  assert.equal(await control.handle({ cmd: 'set-loglevel', value: 'debug' }), 'DEBUG');
  assert.equal(k.level(), 'debug');
});

test('reload: an unchanged jail keeps running untouched, a changed one restarts with its bans, a removed one stops', async () => {
  const k = kit(files(JAIL + '\n[sip]\nenabled = true\nlogpath = /var/log/sip\n'));
  await k.svc.start(k.load());
  const asterisk = k.svc.jail('asterisk');
  const sip = k.latest('sip');
  const control = new ServiceControl(k.svc, { version: '0.1.0', pid: 1, requestStop: () => undefined });
  await control.handle({ cmd: 'banip', jail: 'sip', ips: ['192.0.2.7'] });
  k.setFiles(
    files(
      JAIL.replace('maxretry = 3', 'maxretry = 3') +
        '\n[sip]\nenabled = true\nmaxretry = 9\nlogpath = /var/log/sip\n\n[extra]\nenabled = true\nlogpath = /var/log/extra\n',
    ),
  );
  const r = await k.svc.reload(null);
  assert.deepEqual(r, { started: ['extra'], stopped: [], restarted: ['sip'], unchanged: ['asterisk'], errors: [] });
  assert.equal(k.svc.jail('asterisk'), asterisk, 'the same runtime object: nothing was touched');
  assert.deepEqual(sip.actions.stopped, [false]);
  assert.deepEqual(
    k.latest('sip').actions.reconciled[0]!.map((b) => b.ip),
    ['192.0.2.7'],
    'the ban came back',
  );
  k.setFiles(files(JAIL));
  const r2 = await k.svc.reload(null);
  assert.deepEqual([...r2.stopped].sort(), ['extra', 'sip']);
  assert.deepEqual([...k.svc.runtimes.keys()], ['asterisk']);
});

test('reload with a broken section keeps that jail on its old config and says why', async () => {
  const k = kit(files(JAIL));
  await k.svc.start(k.load());
  const before = k.svc.jail('asterisk');
  k.setFiles(files(JAIL.replace('bantime = 1h', 'bantime = 1h') + '\n[asterisk]\nmaxretry = lots\n'));
  const r = await k.svc.reload(null);
  assert.deepEqual(r.unchanged, ['asterisk']);
  assert.equal(k.svc.jail('asterisk'), before);
  assert.match(r.errors.join('\n'), /\[asterisk\] maxretry/);
});

test('a jail that cannot be built is reported and skipped; the others start', async () => {
  const k = kit(files(JAIL + '\n[sip]\nenabled = true\nlogpath = /var/log/sip\n'), { failOn: 'sip' });
  await k.svc.start(k.load());
  assert.deepEqual([...k.svc.runtimes.keys()], ['asterisk']);
  const st = serviceStatus(k.svc, '0.1.0', 1);
  assert.deepEqual(st.broken, [{ jail: 'sip', error: 'Error: cannot build sip' }]);
  await assert.rejects(
    Promise.resolve().then(() => k.svc.jail('sip')),
    (e: Error) => /failed to start/.test(e.message),
  );
});

test('on a config with every jail off, status says what the service waits for', async () => {
  const k = kit(files(JAIL.replace('enabled = true', 'enabled = false')));
  await k.svc.start(k.load());
  const text = renderServiceStatus(serviceStatus(k.svc, '0.1.0', 1));
  assert.equal(
    text,
    'Status\n' +
      '|- Number of jail:\t0\n' +
      '|- Jail list:\t\n' +
      '|- Disabled jails:\tasterisk, blacklist\n' +
      '`- Waiting for\n' +
      '   |- a jail to enable: no jail is enabled (set enabled = true for [asterisk] in jail.local)\n' +
      '   `- AMI: not configured ([ami] enabled = no in voipguard.conf): security events come from log files only\n',
  );
});

test('status names log files that do not exist yet', async () => {
  const k = kit(files(JAIL));
  await k.svc.start(k.load());
  const st = serviceStatus(k.svc, '0.1.0', 1);
  assert.deepEqual(st.waiting[0], '/var/log/asterisk/missing.log: does not exist yet (jail asterisk)');
  const js = jailStatus(k.svc, k.svc.jail('asterisk'), T0, false);
  assert.deepEqual(js.filter.waitingFor, ['/var/log/asterisk/missing.log']);
});

test('stop: sources stop first, then the actions, which remove their rules unless told to keep them', async () => {
  const k = kit(files(JAIL));
  await k.svc.start(k.load());
  const { source, actions } = k.latest('asterisk');
  await k.svc.stop();
  assert.equal(source.running, false);
  assert.deepEqual(actions.stopped, [false]);
});

test("the daemon's default stop leaves the rules (a restart leaves no opening); `stop --flush` removes them at that stop", async () => {
  const kept = kit(files(JAIL), { keepRules: true });
  await kept.svc.start(kept.load());
  await kept.svc.stop();
  assert.deepEqual(kept.latest('asterisk').actions.stopped, [true]);
  const flushed = kit(files(JAIL), { keepRules: true });
  await flushed.svc.start(flushed.load());
  flushed.svc.flushRulesAtStop();
  await flushed.svc.stop();
  assert.deepEqual(flushed.latest('asterisk').actions.stopped, [false]);
});

test('set logtarget answers a file path exactly as given; flushlogs reopens a file and only flushes a stream', async () => {
  const k = kit(files(JAIL));
  await k.svc.start(k.load());
  const control = new ServiceControl(k.svc, { version: '0.1.0', pid: 1, requestStop: () => undefined });
  assert.equal(await control.handle({ cmd: 'flushlogs' }), 'flushed', 'STDOUT: nothing to reopen');
  assert.equal(k.reopens(), 0);
  assert.equal(await control.handle({ cmd: 'set-logtarget', value: '/var/log/VoipGuard/voipguard.log' }), '/var/log/VoipGuard/voipguard.log');
  assert.equal(await control.handle({ cmd: 'get-logtarget' }), '/var/log/VoipGuard/voipguard.log');
  assert.equal(await control.handle({ cmd: 'flushlogs' }), 'rolled over');
  assert.equal(k.reopens(), 1, "logrotate's flushlogs reopened the file");
  assert.equal(await control.handle({ cmd: 'set-logtarget', value: 'stderr' }), 'STDERR');
});

test('a jail with a config error (maxretry = five) is listed as broken with file, section and key; the others run', async () => {
  const k = kit(files(JAIL + '\n[voip2]\nenabled = true\nlogpath = /var/log/asterisk/other\nmaxretry = five\n'));
  await k.svc.start(k.load());
  const s = serviceStatus(k.svc, '0.1.0', 1);
  assert.deepEqual(s.jails, ['asterisk']);
  assert.equal(s.broken.length, 1);
  const [b] = s.broken;
  assert.equal(b!.jail, 'voip2');
  assert.equal(b!.section, 'voip2');
  assert.equal(b!.key, 'maxretry');
  assert.equal(b!.file, '/cfg/jail.conf');
  assert.match(b!.error, /maxretry/);
  assert.match(renderServiceStatus(s), /Jails not started\n.*voip2:\t\/cfg\/jail.conf:\d+ \[voip2\] maxretry/);
});
