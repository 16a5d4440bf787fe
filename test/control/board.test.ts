import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boardKey, boardRequests, statusAllOf } from '../../src/control/board.js';
import type { ControlRequest } from '../../src/control/protocol.js';

test('the board holds counts only: lists and changes are never answered from it', () => {
  assert.equal(boardKey({ cmd: 'status' }), 'status');
  assert.equal(boardKey({ cmd: 'jail-status', jail: 'asterisk', short: true }), 'jail-status asterisk');
  assert.equal(boardKey({ cmd: 'jail-status', jail: 'asterisk', short: false }), null, 'the long form lists every banned address');
  assert.equal(boardKey({ cmd: 'status-all', short: false }), null);
  assert.equal(boardKey({ cmd: 'get', jail: 'asterisk', key: 'banip', withTime: false }), null);
  for (const req of [
    { cmd: 'banip', jail: 'asterisk', ips: ['192.0.2.1'] },
    { cmd: 'unbanip', jail: null, ips: [], all: true },
    { cmd: 'reload', jail: null },
    { cmd: 'stop' },
    { cmd: 'set', jail: 'asterisk', key: 'maxretry', value: '3' },
    { cmd: 'addignoreip', jail: 'asterisk', ips: ['192.0.2.1'] },
    { cmd: 'flushlogs' },
  ] satisfies ControlRequest[])
    assert.equal(boardKey(req), null, req.cmd);
  // every request the board is made of has a key
  for (const req of boardRequests(['asterisk', 'sshd'])) assert.notEqual(boardKey(req), null, JSON.stringify(req));
});

test('status --all short is made from the service status and each jail short status; missing a part, it is left off', () => {
  const service = { jails: ['a', 'b'] };
  const board = new Map<string, unknown>([
    ['status', service],
    ['jail-status a', { jail: 'a' }],
    ['jail-status b', { jail: 'b' }],
  ]);
  assert.deepEqual(statusAllOf(board, ['a', 'b']), { service, jails: [{ jail: 'a' }, { jail: 'b' }] });
  board.delete('jail-status b'); // a jail gone with a reload
  assert.equal(statusAllOf(board, ['a', 'b']), null);
});
