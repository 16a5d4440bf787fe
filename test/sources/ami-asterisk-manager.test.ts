// The asterisk-manager 0.2.0 defects the wrapper (src/sources/ami-manager-session.ts, README § AMI)
// exists for. If a new version fixes them, these fail, and the wrapper can shrink.
import { test } from 'node:test';
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
  await server.write(amiBlock([['Event', 'InvalidAccountID'], ['RemoteAddress', 'IPV4/UDP/6.6.6.6/1'], ['SessionID', 'x'], ['RemoteAddress', 'IPV4/UDP/203.0.113.9/5060']]));
  await waitUntil(() => got.length === 1, 'event');
  assert.deepEqual(got[0]!.remoteaddress, ['IPV4/UDP/6.6.6.6/1', 'IPV4/UDP/203.0.113.9/5060']);
  assert.deepEqual(Object.keys(got[0]!), ['event', 'remoteaddress', 'sessionid']);
  m.disconnect();
  await server.close();
});

test('asterisk-manager 0.2.0 buffers an endless line without limit and stays connected', async () => {
  const server = new FakeAmiServer();
  const m = await managerOn(server);
  await server.pump(Array.from({ length: 256 }, () => 'A'.repeat(4096))); // 1 MiB, no newline
  await new Promise((r) => setTimeout(r, 50)); // a real socket: give a client that would drop it the chance
  assert.equal(m.isConnected(), true);
  assert.equal(server.liveConnections, 1);
  m.disconnect();
  await server.close();
});
