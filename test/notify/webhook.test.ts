import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { VoipguardError } from '../../src/core/errors.js';
import { nodeHttpPoster } from '../../src/notify/http-poster.js';
import type { Digest } from '../../src/notify/notice.js';
import { WebhookSink, webhookPayload } from '../../src/notify/webhook-sink.js';
import { startReceiver } from './receiver.js';

const T0 = Date.UTC(2026, 10, 21, 9, 43, 47);

const d: Digest = {
  name: 'asterisk <!channel>',
  host: 'pbx1',
  dropped: 2,
  bans: [
    { jail: 'asterisk', ip: '203.0.113.5', time: T0, until: T0 + 600_000, banCount: 1, reason: 'detected', failures: 10 },
    { jail: 'blacklist', ip: '2001:db8::7', time: T0 + 1, until: null, banCount: 3, reason: 'manual', failures: 0 },
  ],
};

test('json format carries every ban with its fields', () => {
  const p = webhookPayload(d, 'json') as { count: number; dropped: number; bans: { ip: string; until: string | null; reason: string }[] };
  assert.equal(p.count, 4);
  assert.equal(p.dropped, 2);
  assert.deepEqual(
    p.bans.map((b) => b.ip),
    ['203.0.113.5', '2001:db8::7'],
  );
  assert.equal(p.bans[0]!.until, '2026-11-21T09:53:47.000Z');
  assert.equal(p.bans[1]!.until, null);
  assert.equal(p.bans[1]!.reason, 'manual');
});

test('slack and mattermost get {text} with one line per ban, mentions escaped', () => {
  for (const f of ['slack', 'mattermost'] as const) {
    const p = webhookPayload(d, f) as Record<string, string>;
    assert.deepEqual(Object.keys(p), ['text']);
    const lines = p.text!.split('\n');
    assert.equal(lines[0], '*[voipguard] asterisk &lt;!channel&gt;: 4 addresses banned on pbx1*');
    assert.match(lines[1]!, /^203\.0\.113\.5 until 2026-11-21 09:53:47 UTC \(jail asterisk, ban #1, 10 failures\)$/);
    assert.match(lines[2]!, /^2001:db8::7 permanently \(jail blacklist, ban #3, manual\)$/);
    assert.match(lines[3]!, /2 more ban\(s\) not listed/);
  }
});

test('teams gets an Office 365 MessageCard', () => {
  const p = webhookPayload(d, 'teams') as Record<string, string>;
  assert.equal(p['@type'], 'MessageCard');
  assert.equal(p['@context'], 'https://schema.org/extensions');
  assert.equal(p.summary, p.title);
  assert.match(p.text!, /203\.0\.113\.5 until/);
  assert.match(p.text!, /\n\n2001:db8::7 permanently/);
});

test('a digest is POSTed as JSON to a local receiver', async () => {
  const r = await startReceiver();
  try {
    await new WebhookSink({ url: new URL(r.url), format: 'slack', timeoutMs: 2000 }, nodeHttpPoster).send(d);
    assert.equal(r.bodies.length, 1);
    const got = r.bodies[0] as { path: string; method: string; type: string; body: { text: string } };
    assert.equal(got.method, 'POST');
    assert.equal(got.path, '/hooks/T000/B000/secret-token');
    assert.equal(got.type, 'application/json');
    assert.match(got.body.text, /203\.0\.113\.5/);
  } finally {
    await r.close();
  }
});

test('HTTP 500, a refused connection and a receiver that never answers are VG_NOTIFY_SEND naming the host only', async () => {
  const r = await startReceiver();
  const isSendError = (why: RegExp) => (e: unknown) =>
    e instanceof VoipguardError && e.code === 'VG_NOTIFY_SEND' && why.test(e.message) && !e.message.includes('secret-token');
  try {
    r.mode = 'error';
    await assert.rejects(nodeHttpPoster.post(new URL(r.url), '{}', 2000), isSendError(/HTTP 500/));
    r.mode = 'hang';
    await assert.rejects(nodeHttpPoster.post(new URL(r.url), '{}', 200), isSendError(/no answer within 200 ms/));
  } finally {
    await r.close();
  }
  const free = createServer();
  await new Promise<void>((res) => free.listen(0, '127.0.0.1', res));
  const port = (free.address() as { port: number }).port;
  await new Promise<void>((res) => free.close(() => res()));
  await assert.rejects(nodeHttpPoster.post(new URL(`http://127.0.0.1:${port}/secret-token`), '{}', 2000), isSendError(/ECONNREFUSED/));
});
