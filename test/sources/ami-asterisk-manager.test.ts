// What asterisk-manager 0.2.0 does, pinned against the installed version: the AMI session
// (src/sources/ami-session.ts, docs/ami.md) is built on these behaviours and around these limits.
// If a new version changes one, its test fails, and docs/ami.md and the session are revisited.
import { test } from 'node:test';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import assert from 'node:assert/strict';
import Manager, { type ManagerMessage } from 'asterisk-manager';
import { FakeAmiServer, amiBlock, waitUntil } from '../helpers/fake-ami-server.js';

async function managerOn(server: FakeAmiServer) {
  await server.listen();
  const m = Manager(server.port, '127.0.0.1', 'voipguard', 's3cret-Pa55', true);
  let answered = false;
  m.on('response', () => (answered = true));
  await waitUntil(() => answered, 'login answered');
  return m;
}

test('asterisk-manager 0.2.0 logs in with `Event: on`, a header Asterisk ignores (it reads `Events:`)', async () => {
  const server = new FakeAmiServer();
  const m = await managerOn(server);
  const keys = server.actionsNamed('login')[0]!.fields.map(([k]) => k);
  assert.ok(keys.includes('Event') && !keys.includes('Events'), keys.join(','));
  m.disconnect();
  await server.close();
});

test('asterisk-manager 0.2.0 folds a repeated key into an array: the order against other keys is gone', async () => {
  const server = new FakeAmiServer();
  const m = await managerOn(server);
  const got: ManagerMessage[] = [];
  m.on('managerevent', (e: ManagerMessage) => got.push(e));
  await server.write(
    amiBlock([
      ['Event', 'InvalidAccountID'],
      ['RemoteAddress', 'IPV4/UDP/6.6.6.6/1'],
      ['SessionID', 'x'],
      ['RemoteAddress', 'IPV4/UDP/203.0.113.9/5060'],
    ]),
  );
  await waitUntil(() => got.length === 1, 'event');
  assert.deepEqual(got[0]!.remoteaddress, ['IPV4/UDP/6.6.6.6/1', 'IPV4/UDP/203.0.113.9/5060']);
  assert.deepEqual(Object.keys(got[0]!), ['event', 'remoteaddress', 'sessionid']);
  m.disconnect();
  await server.close();
});

test('asterisk-manager 0.2.0 buffers an endless line without limit and stays connected', async () => {
  // why the session watches the socket and drops a line past MAX_UNTERMINATED itself (docs/ami.md)
  const server = new FakeAmiServer();
  await server.listen();
  const seen: Socket[] = [];
  const grab = (msg: unknown) => seen.push((msg as { socket: Socket }).socket);
  subscribe('net.client.socket', grab);
  const m = Manager(server.port, '127.0.0.1', 'voipguard', 's3cret-Pa55', true);
  unsubscribe('net.client.socket', grab);
  await waitUntil(() => server.actionsNamed('login').length === 1, 'login sent');
  const read = seen[0]!.bytesRead;
  await server.pump(Array.from({ length: 512 }, () => 'A'.repeat(4096))); // 2 MiB, no newline
  await waitUntil(() => seen[0]!.bytesRead >= read + 512 * 4096, 'all of it read by the client');
  assert.equal(m.isConnected(), true);
  assert.equal(server.liveConnections, 1);
  m.disconnect();
  await server.close();
});

test('asterisk-manager 0.2.0 ends a block at a bare LF LF as well as CRLF CRLF: a blank line planted in a field cuts the event', async () => {
  const server = new FakeAmiServer();
  const m = await managerOn(server);
  const got: ManagerMessage[] = [];
  m.on('rawevent', (e: ManagerMessage) => got.push(e));
  await server.write('Event: InvalidAccountID\r\nAccountID: x\n\nx: y\r\nRemoteAddress: IPV4/UDP/203.0.113.9/5060\r\n\r\n');
  await waitUntil(() => got.length === 2, 'two blocks');
  assert.deepEqual(got, [
    { event: 'InvalidAccountID', accountid: 'x' },
    { x: 'y', remoteaddress: 'IPV4/UDP/203.0.113.9/5060' },
  ]);
  m.disconnect();
  await server.close();
});

test('asterisk-manager 0.2.0 turns a line without ": " into a key, and its own rawevent listener rewrites a repeated Event key', async () => {
  const server = new FakeAmiServer();
  const m = await managerOn(server);
  const first: ManagerMessage[] = [];
  m.on('rawevent', (e: ManagerMessage) => first.push({ ...e }));
  const later: ManagerMessage[] = [];
  m.on('managerevent', (e: ManagerMessage) => later.push(e));
  await server.write('Event: FailedACL\r\nnot a header\r\nKey:novalue\r\nEvent: InvalidAccountID\r\n\r\n');
  await waitUntil(() => later.length === 1, 'event');
  // the package's listener ran before ours (registered at construction): the repeat is already gone;
  // the session moves its own listener in front of the package's for this reason
  assert.deepEqual(first[0], { event: 'FailedACL', 'not a header': '', 'key:novalue': '' });
  assert.equal(later[0]!.event, 'FailedACL');
  m.disconnect();
  await server.close();
});

test('asterisk-manager 0.2.0 swallows every block after a "Response: Follows" until an END marker', async () => {
  const server = new FakeAmiServer();
  const m = await managerOn(server);
  const got: ManagerMessage[] = [];
  m.on('rawevent', (e: ManagerMessage) => got.push(e));
  const failed = amiBlock([
    ['Event', 'FailedACL'],
    ['RemoteAddress', 'IPV4/UDP/203.0.113.9/5060'],
  ]);
  await server.write('Response: Follows\r\n\r\n' + failed + amiBlock([['Event', 'InvalidPassword']]));
  await server.write('--END COMMAND--\r\n\r\n' + amiBlock([['Event', 'SuccessfulAuth']]));
  await waitUntil(() => got.length === 2, 'the Follows block and the event after its END');
  assert.equal(got[0]!.response, 'follows');
  assert.match(String(got[0]!.content), /FailedACL/);
  assert.equal(got[1]!.event, 'SuccessfulAuth');
  m.disconnect();
  await server.close();
});

test("asterisk-manager 0.2.0 creates its socket inside connect(), where node's net.client.socket channel publishes it", async () => {
  const server = new FakeAmiServer();
  await server.listen();
  const seen: Socket[] = [];
  const grab = (msg: unknown) => seen.push((msg as { socket: Socket }).socket);
  subscribe('net.client.socket', grab);
  const m = Manager();
  try {
    m.connect(server.port, '127.0.0.1');
  } finally {
    unsubscribe('net.client.socket', grab);
  }
  assert.equal(seen.length, 1);
  await waitUntil(() => seen[0]!.bytesRead > 0, 'the banner read on that socket');
  assert.equal(m.isConnected(), true);
  seen[0]!.destroy();
  await waitUntil(() => m.isConnected() === false, 'the package sees the socket gone');
  await server.close();
});
