// The doctor's AMI login attempt against a real TCP peer on loopback.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { probeAmiLogin } from '../../src/doctor/ami-login-probe.js';
import { FakeAmiServer, waitUntil } from '../helpers/fake-ami-server.js';

const req = (port: number, secret = 's3cret-Pa55', timeoutMs = 2000) => ({ host: '127.0.0.1', port, username: 'voipguard', secret, timeoutMs });

test('the right secret logs in (asking for no events) and the connection is closed', async () => {
  const ami = new FakeAmiServer();
  const port = await ami.listen();
  try {
    const r = await probeAmiLogin(req(port));
    assert.deepEqual(r, { ok: true, banner: 'Asterisk Call Manager/9.0.0' });
    const mask = ami.actionsNamed('Events')[0]?.fields.find(([k]) => k === 'Eventmask');
    assert.equal(mask?.[1], 'off');
    await waitUntil(() => ami.closedConnections === 1, 'the probe to close its connection');
  } finally {
    await ami.close();
  }
});

test('a wrong secret is "refused", with Asterisk\'s message', async () => {
  const ami = new FakeAmiServer();
  const port = await ami.listen();
  try {
    const r = await probeAmiLogin(req(port, 'wrong'));
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.reason, 'refused');
    assert.match(!r.ok ? r.message : '', /Authentication failed/);
  } finally {
    await ami.close();
  }
});

test('a secret with a line break never reaches the wire', async () => {
  const ami = new FakeAmiServer();
  const port = await ami.listen();
  try {
    const r = await probeAmiLogin(req(port, 's3cret-Pa55\r\nAction: Originate'));
    assert.equal(!r.ok && r.reason, 'protocol');
    assert.equal(ami.actions.length, 0);
  } finally {
    await ami.close();
  }
});

test('a closed port is "unreachable"; a silent peer times out; a non-AMI peer is "protocol"', async () => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
  const freePort = (closed.address() as { port: number }).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const down = await probeAmiLogin(req(freePort));
  assert.equal(!down.ok && down.reason, 'unreachable');

  const silent = new FakeAmiServer({ banner: null });
  const sp = await silent.listen();
  const http: Server = createServer((s) => s.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  try {
    const t0 = Date.now();
    const quiet = await probeAmiLogin(req(sp, 's3cret-Pa55', 300));
    assert.equal(!quiet.ok && quiet.reason, 'timeout');
    assert.ok(Date.now() - t0 < 2000);
    const wrong = await probeAmiLogin(req((http.address() as { port: number }).port));
    assert.equal(!wrong.ok && wrong.reason, 'protocol');
  } finally {
    await silent.close();
    await new Promise<void>((r) => http.close(() => r()));
  }
});
