import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/core/clock.js';
import { VoipguardError } from '../../src/core/errors.js';
import { headerText, mailAddress, mailAddressList, renderMail } from '../../src/notify/mail-message.js';
import { MailSink } from '../../src/notify/mail-sink.js';
import { ExecaRunner } from '../../src/exec/execa-runner.js';
import { SendmailMailer } from '../../src/notify/mailer.js';
import { MemoryMailer } from '../fakes/memory-mailer.js';
import type { Digest } from '../../src/notify/notice.js';
import { ExecWhois } from '../../src/notify/whois.js';
import { MemoryWhois } from '../fakes/memory-whois.js';
import { makeStandIns, splitMail } from './stand-ins.js';

const T0 = Date.UTC(2026, 10, 21, 9, 43, 47);
const place = { file: 'jail.local', section: 'asterisk', key: 'action' };

function digest(ips: string[], extra: Partial<Digest> = {}): Digest {
  return {
    name: 'SSH',
    host: 'pbx.example',
    dropped: 0,
    bans: ips.map((ip, i) => ({ jail: 'asterisk', ip, time: T0 + i, until: T0 + 600_000, banCount: 1, reason: 'detected' as const, failures: 5 })),
    ...extra,
  };
}

test('CVE-2021-32749: a hostile whois answer reaches sendmail only as body text and runs nothing', async () => {
  const hostile = [
    '% This is a whois record written by the attacker',
    `~! touch PWNED1`,
    '~| touch PWNED2',
    '.',
    'Bcc: evil@attacker.example',
    'To: evil@attacker.example',
    'netname: X\r\nSubject: injected',
    '$(touch PWNED3) `touch PWNED4`; touch PWNED5 && echo',
    '\u001b[31mred\u001b[0m \u0000nul',
  ].join('\n');
  const marks = mkdtempSync(join(tmpdir(), 'vg-pwned-'));
  const s = makeStandIns(hostile.replace(/PWNED(\d)/g, (_, n: string) => join(marks, n)));
  try {
    const sink = new MailSink(
      { dest: ['admin@pbx.example'], sender: 'voipguard@pbx.example', senderName: 'Fail2Ban', whoisMax: 10, linesMax: 0 },
      new SendmailMailer({ path: s.sendmail }, new ExecaRunner()),
      new ExecWhois({ path: s.whois }, new ExecaRunner()),
      new ManualClock(T0),
    );
    await sink.send(digest(['203.0.113.5']));

    assert.deepEqual(
      s.whoisCalls().map((c) => c.argv),
      [['203.0.113.5']],
      'whois got the canonical IP as its only argument',
    );
    const calls = s.sendmailCalls();
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.argv, ['-t', '-oi', '-f', 'voipguard@pbx.example']);
    const { headers, body } = splitMail(calls[0]!.stdin);
    assert.deepEqual(
      headers.map((h) => h.slice(0, h.indexOf(':'))),
      ['Date', 'From', 'To', 'Subject', 'MIME-Version', 'Content-Type', 'Content-Transfer-Encoding', 'Auto-Submitted'],
    );
    assert.ok(headers.includes('To: admin@pbx.example'), 'the only recipient is the configured one');
    assert.ok(headers.includes('Subject: [voipguard] SSH: banned 203.0.113.5 on pbx.example'));
    assert.ok(headers.includes('From: "Fail2Ban" <voipguard@pbx.example>'));
    assert.ok(body.includes('~! touch '), 'the text arrives, as text');
    assert.ok(body.includes('\nnetname: X\nSubject: injected\n'), 'CR LF in the record became a body line break');
    assert.doesNotMatch(calls[0]!.stdin, /\r|\u001b|\u0000/, 'no CR, escape or NUL reaches the MTA');
    assert.deepEqual(readdirSync(marks), [], 'none of the commands in the record ran');
  } finally {
    s.cleanup();
    rmSync(marks, { recursive: true, force: true });
  }
});

test('whois is never asked about anything but a canonical address', async () => {
  const s = makeStandIns('x');
  try {
    const w = new ExecWhois({ path: s.whois }, new ExecaRunner());
    for (const bad of ['-h evil.example 203.0.113.5', '203.0.113.5; touch x', '--help', '2001:DB8::1', '203.0.113.005', '']) {
      assert.equal(await w.lookup(bad), null, bad);
    }
    assert.equal(s.whoisCalls().length, 0);
    assert.equal(await w.lookup('2001:db8::1'), 'x');
  } finally {
    s.cleanup();
  }
});

test('a whois that is missing or slow gives no text but still a mail', async () => {
  const missing = new ExecWhois({ path: '/nonexistent/whois' }, new ExecaRunner());
  assert.equal(await missing.lookup('203.0.113.5'), null);
  const mailer = new MemoryMailer();
  const sink = new MailSink({ dest: ['root'], sender: 'root', senderName: 'voipguard', whoisMax: 1, linesMax: 0 }, mailer, missing, new ManualClock(T0));
  await sink.send(digest(['203.0.113.5', '203.0.113.6']));
  assert.equal(mailer.sent.length, 1);
  assert.match(mailer.sent[0]!.body, /\(no whois answer\)/);
  assert.match(mailer.sent[0]!.body, /whois shown for the first 1 addresses only/);
});

test('sendmail failing (exit 75) is VG_NOTIFY_SEND with its stderr', async () => {
  const s = makeStandIns('');
  try {
    s.failSendmail(1);
    const m = new SendmailMailer({ path: s.sendmail }, new ExecaRunner());
    const msg = { from: { name: 'v', address: 'root' }, to: ['root'], subject: 's', date: T0, body: 'b' };
    await assert.rejects(m.send(msg), (e: unknown) => e instanceof VoipguardError && e.code === 'VG_NOTIFY_SEND' && /exit 75: 451 4\.3\.0/.test(e.message));
    await m.send(msg);
    assert.equal(s.sendmailCalls().length, 2);
  } finally {
    s.cleanup();
  }
});

test('a digest mail lists every address, the dropped count, whois and matched lines in the body', async () => {
  const mailer = new MemoryMailer();
  const whois = new MemoryWhois({ '203.0.113.5': 'netname: EXAMPLE-NET' });
  const sink = new MailSink(
    { dest: ['a@x.example', 'b@x.example'], sender: 'vg@x.example', senderName: 'voipguard', whoisMax: 10, linesMax: 2 },
    mailer,
    whois,
    new ManualClock(T0),
  );
  const d = digest(['203.0.113.5', '203.0.113.6'], { dropped: 3 });
  const withLines = {
    ...d,
    bans: [
      {
        ...d.bans[0]!,
        lines: ['old', "NOTICE[1] chan_sip.c: Registration from '\"x\" <sip:1@x>' failed for '203.0.113.5:5060' - Wrong password", 'last\r\nBcc: evil@x'],
      },
      d.bans[1]!,
    ],
  };
  await sink.send(withLines);
  const m = mailer.sent[0]!;
  assert.equal(m.subject, '[voipguard] SSH: 5 addresses banned on pbx.example');
  assert.deepEqual(m.to, ['a@x.example', 'b@x.example']);
  assert.match(m.body, /^203\.0\.113\.5 until 2026-11-21 09:53:47 UTC \(jail asterisk, ban #1, 5 failures\)$/m);
  assert.match(m.body, /^203\.0\.113\.6 until/m);
  assert.match(m.body, /3 more ban\(s\) arrived while the notification queue was full/);
  assert.match(m.body, /netname: EXAMPLE-NET/);
  assert.doesNotMatch(m.body, /^old$/m, 'only the last linesMax lines');
  assert.match(m.body, /^last Bcc: evil@x$/m, 'a line with a newline in it stays one body line');
  assert.deepEqual(whois.asked, ['203.0.113.5', '203.0.113.6']);
});

test('headers carry no line breaks and non-ASCII names are encoded', () => {
  assert.equal(headerText('a\r\nBcc: evil@x'), 'a Bcc: evil@x');
  assert.equal(headerText('Zürich PBX'), `=?UTF-8?B?${Buffer.from('Zürich PBX').toString('base64')}?=`);
  const text = renderMail({ from: { name: 'Ops "night"', address: 'vg@x.example' }, to: ['root'], subject: 'x\ny', date: T0, body: 'a'.repeat(2000) });
  const { headers, body } = splitMail(text);
  assert.ok(headers.includes('From: "Ops \\"night\\"" <vg@x.example>'));
  assert.ok(headers.includes('Subject: x y'));
  assert.ok(headers.includes('Date: Sat, 21 Nov 2026 09:43:47 +0000'));
  assert.ok(
    body.split('\n').every((l) => Buffer.byteLength(l) <= 998),
    'no body line over 998 octets',
  );
  assert.equal(body.replace(/\n/g, ''), 'a'.repeat(2000));
});

test('configured addresses that could inject headers or sendmail options are refused', () => {
  for (const bad of ['-oQ/tmp/x', 'a@b\nBcc: evil@x', 'a b@x', '"x"@y', 'a@b,c@d', '<a@b>', 'a@-b', '']) {
    assert.throws(
      () => mailAddress(bad, place),
      (e: unknown) => e instanceof VoipguardError && e.code === 'VG_CONFIG_TYPE',
      JSON.stringify(bad),
    );
  }
  assert.equal(mailAddress('root', place), 'root');
  assert.deepEqual(mailAddressList('a@x.example, b@x.example  root', place), ['a@x.example', 'b@x.example', 'root']);
  assert.throws(
    () => mailAddressList(' , ', place),
    (e: unknown) => e instanceof VoipguardError && e.code === 'VG_CONFIG_MISSING',
  );
});
