// Secrets never reach a log line (log/redact.ts through the logger's formatters), and a line
// without one is written from the caller's own object, unchanged and uncopied.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createLogger } from '../../src/log/logger.js';
import { redactSecrets } from '../../src/log/redact.js';
import { memoryLogger } from '../fakes/memory-logger.js';

function lines(write: (log: ReturnType<typeof createLogger>) => void): Record<string, unknown>[] {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (c: Buffer) => chunks.push(c.toString()));
  const log = createLogger({ level: 'debug', target: out });
  write(log);
  return chunks
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('a secret at the top, one and two levels down, as a child binding and on an error is written as [redacted]', () => {
  const err = Object.assign(new Error('login refused'), { code: 'X', password: 'hunter2' });
  const [a, b] = lines((log) => {
    log.info({ event: 'ami-login', secret: 'SEKRET-s3', password: 'SEKRET-p4', credentials: { user: 'u' }, ami: { host: 'h', secret: 'SEKRET-s5' } });
    log
      .child({ feed: 'x', password: 'SEKRET-p6' })
      .warn({ event: 'e', deep: { one: { secret: 'SEKRET-s7', keep: 1 } }, list: [{ password: 'SEKRET-p8' }], err });
  });
  const text = JSON.stringify([a, b]);
  for (const s of ['SEKRET-s3', 'SEKRET-p4', 'SEKRET-s5', 'SEKRET-p6', 'SEKRET-s7', 'SEKRET-p8', 'hunter2', '"user"'])
    assert.ok(!text.includes(s), `${s} is not in ${text}`);
  assert.equal(a!['secret'], '[redacted]');
  assert.equal(a!['password'], '[redacted]');
  assert.equal(a!['credentials'], '[redacted]');
  assert.deepEqual(a!['ami'], { host: 'h', secret: '[redacted]' });
  assert.equal(b!['password'], '[redacted]');
  assert.deepEqual(b!['deep'], { one: { secret: '[redacted]', keep: 1 } });
  assert.deepEqual(b!['list'], [{ password: '[redacted]' }]);
  const e = b!['err'] as Record<string, unknown>;
  assert.equal(e['password'], '[redacted]');
  assert.equal(e['message'], 'login refused', 'the error is still serialized as an error');
  assert.equal(e['code'], 'X');
  assert.match(String(e['stack']), /login refused/);
});

test("the caller's objects are never changed; a line without a secret is the caller's object itself", () => {
  const inner = { secret: 's', host: 'h' };
  const obj = { event: 'x', ami: inner, password: 'p' };
  const copy = redactSecrets(obj);
  assert.notEqual(copy, obj);
  assert.deepEqual(obj, { event: 'x', ami: { secret: 's', host: 'h' }, password: 'p' });
  assert.equal(obj.ami, inner);
  const plain = { event: 'ban', ip: '192.0.2.1', until: 1, banCount: 1, reason: 'detected', failures: 5 };
  assert.equal(redactSecrets(plain), plain);
  // three levels down is past the search (as pino's paths were): left as it is
  const deep = { a: { b: { c: { password: 'x' } } } };
  assert.equal(redactSecrets(deep), deep);
});

test('the memory logger used by the tests redacts the same way', () => {
  const { log, records } = memoryLogger();
  log.info({ event: 'x', options: { password: 'p' } });
  assert.deepEqual(records[0]!['options'], { password: '[redacted]' });
});
