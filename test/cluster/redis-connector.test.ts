// The socket ioredis gets keeps an 'error' listener for its whole life: a second error (a TLS
// handshake that fails twice over) is never an uncaught exception.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { GuardedConnector } from '../../src/cluster/redis-connector.js';

test('a second error on the socket is kept, not thrown: the daemon survives a handshake that fails twice', async () => {
  const c = new GuardedConnector({ path: '/nonexistent/voipguard-test/redis.sock' });
  const stream = await c.connect();
  const [first] = (await once(stream, 'error')) as [Error];
  assert.match(first.message, /ENOENT/);
  // what ioredis does: one `once` listener, already used up by the first error
  assert.doesNotThrow(() => stream.emit('error', new Error('tlsv1 alert decode error')));
  assert.equal(c.firstError, first);
  c.disconnect();
});

test('a disconnect before the socket is made refuses the connect, as ioredis expects', async () => {
  const c = new GuardedConnector({ host: '127.0.0.1', port: 9 });
  const p = c.connect();
  c.disconnect();
  await assert.rejects(p, /Connection is closed/);
});
