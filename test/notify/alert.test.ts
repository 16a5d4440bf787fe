// The compromise alarm (docs/beyond-one-address.md) goes out at once, outside the digest: by mail
// (the attacker's account name in the body only, quoted) and by webhook (every format).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../src/core/clock.js';
import { MailSink } from '../../src/notify/mail-sink.js';
import { alertPayload, WebhookSink } from '../../src/notify/webhook-sink.js';
import type { Alert } from '../../src/notify/notice.js';
import { MemoryMailer } from '../fakes/memory-mailer.js';
import { MemoryPoster } from '../fakes/memory-poster.js';

const T0 = Date.UTC(2026, 10, 21, 9, 0, 0);
const hostile = '300"\nSubject: pwned <!channel>';
const alert: Alert = { name: 'asterisk', host: 'pbx1', jail: 'asterisk', ip: '203.0.113.20', account: hostile, failures: 3, time: T0, banned: false };

test('mail: the subject names the address and host only; the body has the account JSON-quoted and says it is not banned', async () => {
  const mailer = new MemoryMailer();
  await new MailSink({ dest: ['root'], sender: 'root', senderName: 'voipguard', whoisMax: 0, linesMax: 0 }, mailer, null, new ManualClock(T0)).alert(alert);
  assert.equal(mailer.sent.length, 1);
  const m = mailer.sent[0]!;
  assert.equal(m.subject, '[voipguard] asterisk: compromise suspected, login from 203.0.113.20 on pbx1');
  assert.ok(m.body.includes(JSON.stringify(hostile)), m.body);
  assert.ok(!m.body.includes('\nSubject: pwned'), 'the newline stays escaped inside the quotes');
  assert.match(m.body, /NOT banned \(bansuspected = no\)/);
});

test('webhook: json carries every field; slack escapes the account; one POST at once', async () => {
  const poster = new MemoryPoster();
  await new WebhookSink({ url: new URL('http://127.0.0.1:9/hook'), format: 'json', timeoutMs: 1000 }, poster).alert({ ...alert, banned: true });
  assert.equal(poster.posts.length, 1);
  const body = poster.posts[0]!.body as Record<string, unknown>;
  assert.deepEqual([body.event, body.ip, body.account, body.failures, body.banned], ['compromise-suspected', '203.0.113.20', hostile, 3, true]);
  const slack = alertPayload(alert, 'slack') as { text: string };
  assert.ok(!slack.text.includes('<!channel>'), slack.text);
  assert.ok(slack.text.includes('&lt;!channel&gt;'));
});
