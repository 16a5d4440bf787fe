import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VoipguardError } from '../../src/core/errors.js';
import { isNotifyAction, NOTIFY_ACTIONS, readNotifyConfig, type NotifyConfig } from '../../src/notify/notify-options.js';

const place = { file: 'jail.local', section: 'ssh-iptables', key: 'action' };

function read(action: string, params: Record<string, string>, jail = 'asterisk') {
  const errors: VoipguardError[] = [];
  const warnings: string[] = [];
  const c = readNotifyConfig(
    NOTIFY_ACTIONS[action]!.kind,
    action,
    params,
    jail,
    (key) => ({ ...place, key }),
    (w) => warnings.push(w),
    errors,
  );
  return { c, errors, warnings };
}

test('the tutorial\'s sendmail-whois[name=SSH, dest=…, sender=…, sendername="Fail2Ban"] loads as a whois mail', () => {
  // the arguments as named-args hands them over: `sendmail-whois[name=SSH, dest=foofoo@gamil.com, sender=fail2ban@bar.com, sendername="Fail2Ban"]`
  const { c, errors } = read('sendmail-whois', { name: 'SSH', dest: 'foofoo@gamil.com', sender: 'fail2ban@bar.com', sendername: 'Fail2Ban' });
  assert.deepEqual(errors, []);
  assert.equal(c!.kind, 'mail');
  const m = c as Extract<NotifyConfig, { kind: 'mail' }>;
  assert.equal(m.name, 'SSH');
  assert.deepEqual(m.dest, ['foofoo@gamil.com']);
  assert.equal(m.sender, 'fail2ban@bar.com');
  assert.equal(m.senderName, 'Fail2Ban');
  assert.equal(m.whois, true);
  assert.equal(m.lines, false);
  assert.equal(m.sendmailPath, '/usr/sbin/sendmail');
  assert.equal(m.delayMs, 5000);
  assert.equal(m.intervalMs, 300_000);
  assert.ok(Object.isFrozen(m));
});

test('sendmail, sendmail-whois and sendmail-whois-lines differ only in what the body carries', () => {
  const plain = read('sendmail', {}).c as Extract<NotifyConfig, { kind: 'mail' }>;
  const lines = read('sendmail-whois-lines', { logpath: '/var/log/asterisk/messages' });
  const wl = lines.c as Extract<NotifyConfig, { kind: 'mail' }>;
  assert.deepEqual([plain.whois, plain.lines], [false, false]);
  assert.deepEqual([wl.whois, wl.lines], [true, true]);
  assert.equal(plain.name, 'asterisk', 'name defaults to the jail');
  assert.deepEqual(plain.dest, ['root']);
  assert.match(lines.warnings.join('\n'), /\[logpath=…\] means nothing/, 'fail2ban-only arguments warn');
  const off = read('sendmail-whois', { whois: 'no' }).c as Extract<NotifyConfig, { kind: 'mail' }>;
  assert.equal(off.whois, false, 'an explicit argument beats the name');
  assert.equal(isNotifyAction('sendmail-whois-lines'), true);
  assert.equal(isNotifyAction('iptables'), false);
});

test('webhook[url=…, format=slack] with timing arguments', () => {
  const { c, errors } = read('webhook', {
    url: 'https://hooks.slack.example/services/T/B/x',
    format: 'Slack',
    interval: '10m',
    delay: '0',
    maxbans: '500',
    timeout: '3s',
  });
  assert.deepEqual(errors, []);
  const w = c as Extract<NotifyConfig, { kind: 'webhook' }>;
  assert.equal(w.url.host, 'hooks.slack.example');
  assert.equal(w.format, 'slack');
  assert.equal(w.intervalMs, 600_000);
  assert.equal(w.delayMs, 0);
  assert.equal(w.maxPending, 500);
  assert.equal(w.timeoutMs, 3000);
});

test('every mistake is reported at once, naming the key', () => {
  const { c, errors } = read('webhook', { url: 'ftp://x.example/', format: 'xml', interval: 'soon', colour: 'red' });
  assert.equal(c, null);
  const byKey = Object.fromEntries(errors.map((e) => [e.place.key, e.code]));
  assert.deepEqual(byKey, { colour: 'VG_CONFIG_UNKNOWN_KEY', url: 'VG_CONFIG_TYPE', format: 'VG_CONFIG_TYPE', interval: 'VG_CONFIG_DURATION' });
  assert.ok(errors.every((e) => e.place.file === 'jail.local' && e.place.section === 'ssh-iptables'));
});

test('a webhook without url, and mail addresses that would inject, are refused', () => {
  assert.deepEqual(
    read('webhook', {}).errors.map((e) => [e.code, e.place.key]),
    [['VG_CONFIG_MISSING', 'url']],
  );
  const bad = read('sendmail', { dest: 'root\nBcc: evil@x', sender: '-oQ/tmp', sendername: 'x\ny', sendmail: 'sendmail -t' });
  assert.deepEqual(bad.errors.map((e) => e.place.key).sort(), ['dest', 'sender', 'sendername', 'sendmail']);
});
