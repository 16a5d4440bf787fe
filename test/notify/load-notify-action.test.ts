import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VoipguardError } from '../../src/core/errors.js';
import { parseNamedArgsList } from '../../src/config/named-args.js';
import { loadNotifyConfig } from '../../src/notify/load-notify-action.js';
import type { NotifyConfig } from '../../src/notify/notify-options.js';

type Mail = Extract<NotifyConfig, { kind: 'mail' }>;

function withConfigDir(files: Record<string, string>, fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'vg-notify-conf-'));
  try {
    mkdirSync(join(dir, 'action.d'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function load(line: string, dir: string, jail = 'ssh-iptables') {
  const errors: VoipguardError[] = [];
  const warnings: string[] = [];
  const out = parseNamedArgsList(line).map((a) =>
    loadNotifyConfig(a.name, a.args, { jail, configDir: dir, place: { file: 'jail.local' } }, (w) => warnings.push(w), errors),
  );
  return { out, errors, warnings };
}

test("the Japanese tutorial's action lines load: iptables is left to the firewall, sendmail-whois is a mail", () => {
  // a stand-in for the firewall engineer's shipped iptables.conf
  withConfigDir(
    {
      'action.d/iptables.conf':
        '[Definition]\nactionban = iptables -I f2b-<name> 1 -s <ip> -j REJECT\nactionunban = iptables -D f2b-<name> -s <ip> -j REJECT\n[Init]\nname = default\n',
    },
    (dir) => {
      const { out, errors } = load(
        'iptables[name=SSH, port=ssh, protocol=tcp]\nsendmail-whois[name=SSH, dest=foofoo@gamil.com, sender=fail2ban@bar.com, sendername="Fail2Ban"]',
        dir,
      );
      assert.deepEqual(errors, []);
      assert.equal(out[0], null, 'not a notification: the firewall loader takes it');
      const m = out[1] as Mail;
      assert.equal(m.kind, 'mail');
      assert.equal(m.action, 'sendmail-whois');
      assert.equal(m.name, 'SSH');
      assert.deepEqual(m.dest, ['foofoo@gamil.com']);
      assert.equal(m.sender, 'fail2ban@bar.com');
      assert.equal(m.senderName, 'Fail2Ban');
      assert.equal(m.whois, true);
    },
  );
});

test('sendmail-common.local sets dest and sender for every mail action, as the Italian tutorial does', () => {
  withConfigDir({ 'action.d/sendmail-common.local': '[Init]\ndest = postmaster@mydomain.tld\nsender = fail2ban@mydomain.tld\n' }, (dir) => {
    const { out, errors } = load('sendmail-whois-lines[name=SMTP, logpath="/var/log/maillog"] sendmail', dir);
    assert.deepEqual(errors, []);
    const [wl, plain] = out as [Mail, Mail];
    assert.deepEqual(wl.dest, ['postmaster@mydomain.tld']);
    assert.equal(wl.sender, 'fail2ban@mydomain.tld');
    assert.deepEqual([wl.whois, wl.lines], [true, true]);
    assert.deepEqual(plain.dest, ['postmaster@mydomain.tld']);
    assert.deepEqual([plain.whois, plain.lines, plain.name], [false, false, 'ssh-iptables']);
  });
});

test('webhook needs its url; a bad value in a .local names that file and key', () => {
  withConfigDir({ 'action.d/webhook.local': '[Init]\nformat = telegram\n' }, (dir) => {
    const { out, errors } = load('webhook[url="http://127.0.0.1:9/hook"]', dir);
    assert.equal(out[0], null);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 'VG_CONFIG_TYPE');
    assert.equal(errors[0]!.place.file, join(dir, 'action.d/webhook.local'));
    assert.equal(errors[0]!.place.key, 'format');
  });
  withConfigDir({}, (dir) => {
    const { errors } = load('webhook[format=teams]', dir);
    assert.deepEqual(
      errors.map((e) => [e.code, e.place.key]),
      [['VG_CONFIG_MISSING', 'action']],
    );
  });
});

test('a user action.d file with notify = webhook is a notification under its own name', () => {
  withConfigDir({ 'action.d/ops-chat.conf': '[Definition]\nnotify = webhook\n[Init]\nurl = https://chat.example/hooks/x\nformat = mattermost\n' }, (dir) => {
    const { out, errors } = load('ops-chat', dir, 'asterisk');
    assert.deepEqual(errors, []);
    const w = out[0] as Extract<NotifyConfig, { kind: 'webhook' }>;
    assert.equal(w.kind, 'webhook');
    assert.equal(w.format, 'mattermost');
    assert.equal(w.name, 'asterisk');
  });
});

test('an unknown action is VG_ACTION_NOT_FOUND, as for firewall actions', () => {
  withConfigDir({}, (dir) => {
    assert.throws(
      () => load('mail-whois[dest=x]', dir),
      (e: unknown) => e instanceof VoipguardError && e.code === 'VG_ACTION_NOT_FOUND',
    );
  });
});
