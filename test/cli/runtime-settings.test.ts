import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClientArgs, renderReply } from '../../src/cli/client-command.js';
import { ServiceControl } from '../../src/daemon/control-handler.js';
import { files, JAIL, kit, T0 } from './daemon-kit.js';

const s = (ms: number) => Math.floor(ms / 1000);
const req = (argv: string[]) => {
  const a = parseClientArgs(argv).action;
  assert.equal(a.kind, 'request');
  return a.kind === 'request' ? a.req : null;
};

test('`set <jail> KEY VALUE` parses into a set request; a key that is not settable is a usage error', () => {
  assert.deepEqual(req(['set', 'asterisk', 'maxretry', '2']), { cmd: 'set', jail: 'asterisk', key: 'maxretry', value: '2' });
  assert.deepEqual(req(['set', 'asterisk', 'bantime.factor', '1.5']), { cmd: 'set', jail: 'asterisk', key: 'bantime.factor', value: '1.5' });
  assert.throws(() => req(['set', 'asterisk', 'logpath', '/x']), { code: 'VG_USAGE' });
  assert.throws(() => req(['set', 'asterisk', 'maxretry']), { code: 'VG_USAGE' });
  assert.throws(() => req(['set', 'asterisk', 'maxretry', '2', '3']), { code: 'VG_USAGE' });
  const r = req(['set', 'asterisk', 'bantime.increment', 'yes'])!;
  assert.equal(renderReply(r, true), 'True\n');
  assert.equal(renderReply(req(['get', 'asterisk', 'bantime.maxtime'])!, null), 'None\n');
});

test('set answers the new value as get reports it, checked by the config schema; a reload puts the file value back', async () => {
  const k = kit(files(JAIL));
  await k.svc.start(k.load());
  const control = new ServiceControl(k.svc, { version: '0.1.0', pid: 1, requestStop: () => undefined });
  const set = (key: string, value: string) => control.handle({ cmd: 'set', jail: 'asterisk', key, value } as never);
  const get = (key: string) => control.handle({ cmd: 'get', jail: 'asterisk', key, withTime: false } as never);
  assert.equal(await set('maxretry', '7'), 7);
  assert.equal(await get('maxretry'), 7);
  assert.equal(await set('bantime', '2h'), 7200);
  assert.equal(await set('findtime', '600'), 600);
  assert.equal(await set('bantime', '-1'), -1);
  assert.equal(await set('bantime.increment', 'on'), true);
  assert.equal(await set('bantime.factor', '2'), 2);
  assert.equal(await set('bantime.maxtime', '1d'), 86400);
  assert.equal(await get('bantime.maxtime'), 86400);
  await assert.rejects(set('maxretry', '0'), (e: Error & { code: string }) => e.code === 'VG_CONFIG_TYPE' && /out of range/.test(e.message));
  await assert.rejects(set('findtime', '-1'), { code: 'VG_CONFIG_TYPE' });
  await assert.rejects(set('bantime.factor', 'lots'), { code: 'VG_CONFIG_TYPE' });
  await assert.rejects(set('bantime.increment', 'maybe'), { code: 'VG_CONFIG_TYPE' });
  assert.equal(await get('maxretry'), 7, 'a refused value changes nothing');
  assert.equal(k.latest('asterisk').cfg.maxretry, 3, 'the file config itself is never changed');
  await k.svc.reload(null);
  assert.equal(await get('maxretry'), 3);
  assert.equal(await get('bantime'), 3600);
  assert.equal(await get('bantime.increment'), false);
  assert.equal(await get('bantime.maxtime'), null);
});

test('`set asterisk maxretry 2` makes the 2nd failure ban, at once; bantime set at runtime is the next ban length', async () => {
  const k = kit(files(JAIL));
  await k.svc.start(k.load());
  const control = new ServiceControl(k.svc, { version: '0.1.0', pid: 1, requestStop: () => undefined });
  const { source, actions } = k.latest('asterisk');
  source.push(`FAIL 203.0.113.5 ${s(T0) - 10}`, k.clock);
  assert.equal(await control.handle({ cmd: 'set', jail: 'asterisk', key: 'maxretry', value: '2' }), 2);
  assert.equal(await control.handle({ cmd: 'set', jail: 'asterisk', key: 'bantime', value: '5m' }), 300);
  source.push(`FAIL 203.0.113.5 ${s(T0) - 5}`, k.clock);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    actions.applied.map((d) => [d.type, d.ip]),
    [['ban', '203.0.113.5']],
  );
  assert.deepEqual(
    k.store.activeBans('asterisk').map((b) => [b.ip, b.until]),
    [['203.0.113.5', T0 + 300_000]],
  );
  // a reload returns to maxretry = 3: two failures of another address do not ban
  await k.svc.reload(null);
  const again = k.latest('asterisk');
  again.source.push(`FAIL 203.0.113.6 ${s(T0) - 3}`, k.clock);
  again.source.push(`FAIL 203.0.113.6 ${s(T0) - 2}`, k.clock);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    k.store.activeBans('asterisk').map((b) => b.ip),
    ['203.0.113.5'],
  );
});

test('a range ban goes through the jail to the actions as one entry, or is refused (VG_BAN_RANGE) when an action holds single addresses only', async () => {
  const k = kit(files(JAIL));
  await k.svc.start(k.load());
  const control = new ServiceControl(k.svc, { version: '0.1.0', pid: 1, requestStop: () => undefined });
  const { actions } = k.latest('asterisk');
  assert.deepEqual(await control.handle({ cmd: 'banip', jail: 'asterisk', ips: ['198.51.100.0/24'] }), { banned: ['198.51.100.0/24'], already: [] });
  assert.deepEqual(
    actions.applied.map((d) => [d.type, d.ip]),
    [['ban', '198.51.100.0/24']],
  );
  await assert.rejects(control.handle({ cmd: 'banip', jail: 'asterisk', ips: ['10.0.0.0/8'] }), { code: 'VG_IGNORED_IP' }, 'holds ignoreip 10.9.0.0/16');
  assert.deepEqual(await control.handle({ cmd: 'unbanip', jail: 'asterisk', ips: ['198.51.100.0/24'], all: false }), { unbanned: 1 });
  assert.deepEqual(k.store.activeBans(), []);
  Object.assign(actions, { rangesRefusedBy: () => ['iptables-ipset[asterisk-udp]'] });
  await assert.rejects(
    control.handle({ cmd: 'banip', jail: 'asterisk', ips: ['198.51.100.0/24'] }),
    (e: Error & { code: string }) => e.code === 'VG_BAN_RANGE' && /iptables-ipset\[asterisk-udp\] holds single addresses only/.test(e.message),
  );
  assert.deepEqual(await control.handle({ cmd: 'banip', jail: 'asterisk', ips: ['198.51.100.7'] }), { banned: ['198.51.100.7'], already: [] });
});
