import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VoipguardError } from '../../src/core/errors.js';
import { checkIps, decodeRequest, parseRequest } from '../../src/control/protocol.js';

test('addresses in requests come out canonical, ranges only where ranges make sense', () => {
  assert.deepEqual(parseRequest({ cmd: 'banip', jail: 'asterisk', ips: ['2001:DB8:0:0::1', '[::ffff:198.51.100.2]'] }), {
    cmd: 'banip',
    jail: 'asterisk',
    ips: ['2001:db8::1', '198.51.100.2'],
  });
  assert.deepEqual(parseRequest({ cmd: 'addignoreip', jail: 'asterisk', ips: ['10.1.2.3/8'] }), { cmd: 'addignoreip', jail: 'asterisk', ips: ['10.0.0.0/8'] });
  // a ban's range is written as its network (host bits refused): docs/service.md, "Runtime settings and range bans"
  assert.deepEqual(parseRequest({ cmd: 'banip', jail: 'asterisk', ips: ['10.0.0.0/8'] }), { cmd: 'banip', jail: 'asterisk', ips: ['10.0.0.0/8'] });
  assert.throws(() => parseRequest({ cmd: 'banip', jail: 'asterisk', ips: ['10.1.2.3/8'] }), { code: 'VG_BAN_RANGE' });
  assert.throws(() => parseRequest({ cmd: 'banip', jail: 'asterisk', ips: ['example.com'] }), { code: 'VG_BAD_IP' });
  assert.throws(() => parseRequest({ cmd: 'banip', jail: 'asterisk', ips: [] }), { code: 'VG_BAD_REQUEST' });
});

test('unban needs addresses or --all; a missing jail means every jail', () => {
  assert.deepEqual(parseRequest({ cmd: 'unbanip', all: true }), { cmd: 'unbanip', jail: null, ips: [], all: true });
  assert.throws(() => parseRequest({ cmd: 'unbanip', jail: 'asterisk' }), { code: 'VG_BAD_REQUEST' });
});

test('unknown keys and commands, and values with newlines, are refused', () => {
  assert.throws(() => parseRequest({ cmd: 'get', jail: 'asterisk', key: 'secret' }), { code: 'VG_BAD_REQUEST' });
  assert.throws(() => parseRequest({ cmd: 'exec' }), { code: 'VG_BAD_REQUEST' });
  assert.throws(() => parseRequest({ cmd: 'set-logtarget', value: '/tmp/x\n' }), { code: 'VG_BAD_REQUEST' });
  assert.throws(() => parseRequest(null), { code: 'VG_BAD_REQUEST' });
  assert.throws(() => parseRequest({ cmd: 'jail-status', jail: 'a b' }), { code: 'VG_BAD_REQUEST' });
});

test('an error keeps the request id when it could be read', () => {
  assert.equal(decodeRequest('{"id":4,"req":{"cmd":"nope"}}').id, 4);
  assert.equal(decodeRequest('{"id":4').id, null);
  assert.deepEqual(decodeRequest('{"id":5,"req":{"cmd":"ping"}}'), { id: 5, req: { cmd: 'ping' } });
});

test('a manual ban of a scoped address is refused with the reason, not banned on every interface', () => {
  assert.throws(
    () => checkIps(['fe80::1%eth0']),
    (e: VoipguardError) => e.code === 'VG_BAD_IP' && /scoped address is refused/.test(e.message),
  );
  assert.throws(
    () => checkIps(['fe80::1%eth0/64'], true),
    (e: VoipguardError) => e.code === 'VG_BAD_IP' && /scoped address is refused/.test(e.message),
  );
  assert.deepEqual(checkIps(['fe80::1']), ['fe80::1']);
});

test('set <jail> KEY VALUE: only the runtime keys, the value as a one-line text for the daemon to parse', () => {
  assert.deepEqual(parseRequest({ cmd: 'set', jail: 'asterisk', key: 'maxretry', value: '2' }), { cmd: 'set', jail: 'asterisk', key: 'maxretry', value: '2' });
  assert.deepEqual(parseRequest({ cmd: 'set', jail: 'asterisk', key: 'bantime.increment', value: 'true' }).cmd, 'set');
  assert.throws(() => parseRequest({ cmd: 'set', jail: 'asterisk', key: 'logpath', value: '/x' }), { code: 'VG_BAD_REQUEST' });
  assert.throws(() => parseRequest({ cmd: 'set', jail: 'asterisk', key: 'maxretry', value: '2\n3' }), { code: 'VG_BAD_REQUEST' });
  assert.throws(() => parseRequest({ cmd: 'set', jail: 'asterisk', key: 'maxretry' }), { code: 'VG_BAD_REQUEST' });
  assert.equal(parseRequest({ cmd: 'get', jail: 'asterisk', key: 'bantime.maxtime' }).cmd, 'get');
});
