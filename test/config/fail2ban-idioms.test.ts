// What fail2ban tutorials tell people to write, loading unchanged: the action shortcuts of
// fail2ban's jail.conf, a banaction naming the user's own action.d file, a filter that includes
// common.conf, fail2ban's own filter files (common.local missing), and the backend names.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type LoadedConfig } from '../../src/config/load-config.js';
import { loadActionDefinition } from '../../src/firewall/action-definition.js';
import { loadFilter } from '../../src/filters/load-filter.js';
import { CONFIG_DIR, fixtureReader } from './config-kit.js';

const load = (extra: Record<string, string>): LoadedConfig => loadConfig(CONFIG_DIR, { reader: fixtureReader(null, extra) });
const jail = (c: LoadedConfig, name: string) => c.jails.find((j) => j.name === name)!;
const describe = (c: LoadedConfig) => c.errors.map((e) => e.describe());

test('action = %(action_mwl)s: the ban in both asterisk chains, then a mail with whois and log lines', () => {
  const c = load({
    'jail.local': '[DEFAULT]\ndestemail = pbx-admin@example.com\nsender = voipguard@example.com\n\n[asterisk]\nenabled = true\naction = %(action_mwl)s\n',
  });
  assert.deepEqual(describe(c), []);
  const a = jail(c, 'asterisk');
  assert.deepEqual(
    a.actions.map((x) => [x.name, x.args.name ?? null]),
    [
      ['iptables', 'asterisk-tcp'],
      ['iptables', 'asterisk-udp'],
      ['sendmail-whois-lines', null],
    ],
  );
  assert.equal(a.actions[2]!.args.dest, 'pbx-admin@example.com');
  assert.equal(a.actions[2]!.args.sender, 'voipguard@example.com');
  assert.deepEqual(c.warnings, []);
});

test('action = %(action_mw)s in [DEFAULT] reaches every jail, the blacklist (no logpath) included', () => {
  const c = load({ 'jail.local': '[DEFAULT]\naction = %(action_mw)s\n\n[asterisk]\nenabled = true\n\n[blacklist]\nenabled = true\n' });
  assert.deepEqual(describe(c), []);
  assert.deepEqual(
    jail(c, 'asterisk').actions.map((x) => x.name),
    ['iptables', 'iptables', 'sendmail-whois'],
  );
  assert.deepEqual(
    jail(c, 'blacklist').actions.map((x) => x.name),
    ['iptables-allports', 'sendmail-whois'],
  );
  assert.deepEqual(
    jail(c, 'sshd').actions.map((x) => x.name),
    ['iptables', 'sendmail-whois'],
  );
});

test('action = %(action_xarf)s is refused with a way out, not only "not defined"', () => {
  const c = load({ 'jail.local': '[asterisk]\nenabled = true\naction = %(action_xarf)s\n' });
  assert.equal(
    c.jails.some((j) => j.name === 'asterisk'),
    false,
  );
  const [e] = c.errors;
  assert.equal(e!.code, 'VG_CONFIG_INTERPOLATION');
  assert.match(e!.message, /action_mw and action_mwl/);
  assert.match(e!.message, /name your own action\.d file/);
  assert.equal(e!.place.section, 'asterisk');
});

const DROP_ACTION = `[Definition]
actionstart = iptables -w -N f2b-<name>
              iptables -w -A f2b-<name> -j RETURN
              iptables -w -I <chain> -j f2b-<name>
actionstop = iptables -w -D <chain> -j f2b-<name>
             iptables -w -F f2b-<name>
             iptables -w -X f2b-<name>
actioncheck = iptables -w -n -L <chain>
actionban = iptables -w -I f2b-<name> 1 -s <ip> -j DROP
actionunban = iptables -w -D f2b-<name> -s <ip> -j DROP

[Init]
chain = INPUT
`;

test("the blacklist tutorial's banaction = blacklist uses the user's DROP action, not the shipped REJECT", () => {
  const c = load({
    'jail.d/blacklist.conf': '[blacklist]\nenabled = true\nbanaction = blacklist\nbantime = 2592000\n',
    'action.d/blacklist.conf': DROP_ACTION,
  });
  assert.deepEqual(describe(c), []);
  const b = jail(c, 'blacklist');
  assert.deepEqual(
    b.actions.map((x) => x.name),
    ['blacklist'],
  );
  const def = loadActionDefinition('blacklist', b.actions[0]!.args, {
    jail: 'blacklist',
    configDir: CONFIG_DIR,
    params: b.raw,
    reader: fixtureReader(null, { 'action.d/blacklist.conf': DROP_ACTION }),
  });
  assert.match(JSON.stringify(def), /DROP/);
  assert.doesNotMatch(JSON.stringify(def), /REJECT/);
});

test('a banaction whose action.d file uses the shell (pipes, >>) is refused loudly, never replaced', () => {
  const shelly = DROP_ACTION.replace(
    'actionban = iptables -w -I f2b-<name> 1 -s <ip> -j DROP',
    "actionban = iptables -w -I f2b-<name> 1 -s <ip> -j DROP\n            echo '<ip>' >> /etc/fail2ban/ip.blacklist",
  );
  const files = { 'jail.d/blacklist.conf': '[blacklist]\nenabled = true\nbanaction = blacklist\n', 'action.d/blacklist.conf': shelly };
  const c = load(files);
  const b = jail(c, 'blacklist');
  assert.deepEqual(
    b.actions.map((x) => x.name),
    ['blacklist'],
  );
  assert.throws(
    () =>
      loadActionDefinition('blacklist', b.actions[0]!.args, { jail: 'blacklist', configDir: CONFIG_DIR, params: b.raw, reader: fixtureReader(null, files) }),
    (e: Error & { code?: string }) => typeof e.code === 'string' && /blacklist\.conf/.test(`${e.message} ${JSON.stringify(e)}`),
  );
});

function tempDir(t: { after(fn: () => void): void }): string {
  const d = mkdtempSync(join(tmpdir(), 'vg-idiom-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const LINE = "[2026-03-01 10:15:30] NOTICE[456] chan_sip.c: Registration from '<sip:100@pbx>' failed for '192.0.2.7:5060' - Wrong password";
const SYSLOG_LINE = "Mar  1 10:15:30 pbx asterisk[123]: NOTICE[456] chan_sip.c: Registration from '<sip:100@pbx>' failed for '192.0.2.7:5060' - Wrong password";

test("a user's filter with before = common.conf loads from /etc/voipguard/filter.d and its %(__prefix_line)s matches syslog lines", (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'filter.d'));
  writeFileSync(
    join(dir, 'filter.d', 'my-asterisk.conf'),
    "[INCLUDES]\nbefore = common.conf\n\n[Definition]\n_daemon = asterisk\nfailregex = ^%(__prefix_line)sNOTICE%(__pid_re)s chan_sip\\.c: Registration from '[^']*' failed for '<HOST>:\\d+' - Wrong password$\n",
  );
  const f = loadFilter('my-asterisk', { configDir: dir, timezone: 'UTC' });
  assert.equal(f.match({ source: 'x', text: SYSLOG_LINE, readAt: Date.UTC(2026, 2, 1, 11) }).failure?.ip, '192.0.2.7');
});

test("voipguard regex on fail2ban's own filter dir: common.conf's missing common.local is fine", (t) => {
  const dir = tempDir(t);
  const fd = join(dir, 'fail2ban', 'filter.d');
  mkdirSync(fd, { recursive: true });
  // the shape of fail2ban's files: common.conf includes common.local after itself; nobody writes one
  writeFileSync(join(fd, 'common.conf'), '[INCLUDES]\nafter = common.local\n\n[DEFAULT]\n__pid_re = (?:\\[\\d+\\])\n');
  writeFileSync(
    join(fd, 'asterisk.conf'),
    "[INCLUDES]\nbefore = common.conf\n\n[Definition]\nfailregex = ^\\[\\]\\s*NOTICE%(__pid_re)s chan_sip\\.c: Registration from '[^']*' failed for '<HOST>:\\d+' - Wrong password$\n",
  );
  const f = loadFilter(join(fd, 'asterisk.conf'), { configDir: CONFIG_DIR, timezone: 'UTC' });
  assert.equal(f.match({ source: 'x', text: LINE, readAt: Date.UTC(2026, 2, 1, 11) }).failure?.ip, '192.0.2.7');
});

test('backend = polling, pyinotify, gamin and auto all get the watcher (inotify + polling net); polling-only is ours', () => {
  for (const b of ['polling', 'pyinotify', 'gamin', 'auto']) {
    const c = load({ 'jail.local': `[asterisk]\nenabled = true\nbackend = ${b}\n` });
    assert.deepEqual(describe(c), [], b);
    assert.equal(jail(c, 'asterisk').backend, 'auto', b);
  }
  assert.equal(jail(load({ 'jail.local': '[asterisk]\nenabled = true\nbackend = polling-only\n' }), 'asterisk').backend, 'polling');
  assert.equal(jail(load({ 'jail.local': '[asterisk]\nenabled = true\nbackend = inotify\n' }), 'asterisk').backend, 'inotify');
});
