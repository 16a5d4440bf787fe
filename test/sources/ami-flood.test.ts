import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AmiClient } from '../../src/sources/ami-client.js';
import { AmiFailureFilter } from '../../src/filters/ami-failures.js';
import { SystemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/log/logger.js';
import { FakeAmiServer, amiBlock, waitUntil } from '../helpers/fake-ami-server.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const N = 50_000;

function* flood(): Generator<string> {
  let chunk = '';
  for (let i = 0; i < N; i++) {
    chunk += amiBlock([
      ['Event', 'InvalidPassword'],
      ['Privilege', 'security,all'],
      ['EventTV', '2026-03-01T10:18:40.771+0000'],
      ['Severity', 'Error'],
      ['Service', 'AMI'],
      ['EventVersion', '2'],
      ['AccountID', 'admin'],
      ['SessionID', `0x7f3a2c${i.toString(16).padStart(6, '0')}`],
      ['LocalAddress', 'IPV4/TCP/0.0.0.0/5038'],
      ['RemoteAddress', `IPV4/TCP/198.51.${(i >> 8) & 255}.${i & 255}/51514`],
      ['SessionTV', '1970-01-01T00:00:00.000+0000'],
    ]);
    if (chunk.length > 60_000) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

test('a flood of 50,000 events: every one becomes a failure, and the heap stays flat', async () => {
  const server = new FakeAmiServer();
  await server.listen();
  const log = silentLogger();
  const client = new AmiClient({ host: '127.0.0.1', port: server.port, username: 'voipguard', secret: 's3cret-Pa55' }, { log, clock: new SystemClock() });
  const filter = new AmiFailureFilter({ log });
  const seen = new Uint8Array(N);
  let failures = 0;
  const heap: number[] = [];
  client.onEvent((e) => {
    const f = filter.toFailure(e);
    if (f === null) return;
    failures++;
    const seq = parseInt(f.sessionId!.slice(8), 16);
    seen[seq] = (seen[seq] ?? 0) + 1;
    if (failures % 10_000 === 0) {
      gc();
      heap.push(process.memoryUsage().heapUsed);
    }
  });
  client.start();
  try {
    await waitUntil(() => client.state().status === 'connected', 'login');
    gc();
    const before = process.memoryUsage().heapUsed;
    await server.pump(flood());
    await waitUntil(() => failures === N, `${N} failures (have ${failures})`, 60_000);
    gc();
    const after = process.memoryUsage().heapUsed;
    assert.equal(client.state().eventsReceived, N);
    assert.ok(
      seen.every((x) => x === 1),
      'each event exactly once',
    );
    assert.equal(filter.stats().hostile, 0);
    // 50,000 events kept anywhere would be > 20 MB; what is retained must be a small constant
    const peak = Math.max(...heap) - before;
    console.log(`heap before ${(before / 1e6).toFixed(1)} MB, peak +${(peak / 1e6).toFixed(2)} MB, after +${((after - before) / 1e6).toFixed(2)} MB`);
    assert.ok(peak < 4e6, `peak growth ${peak}`);
    assert.ok(after - before < 2e6, `retained growth ${after - before}`);
  } finally {
    await client.stop();
    await server.close();
  }
});
