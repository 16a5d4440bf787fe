import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.js';
import { packageRoot } from '../../src/core/paths.js';
import { feedContext } from '../../src/daemon/feed-service.js';
import { CONFIG_DIR, fixtureReader } from '../config/config-kit.js';

const load = (extra: Record<string, string>) => loadConfig(CONFIG_DIR, { reader: fixtureReader(null, extra) });

test('feed.d/NAME.conf with a .local override: keys in [Definition], defaults as documented', () => {
  const cfg = load({
    'feed.d/spam.conf': '[Definition]\nurl = https://lists.example/drop.txt\nrefresh = 2h\n',
    'feed.d/spam.local': '[Definition]\nblocktype = reject\nports = 5060, 5061, 10000:20000\n',
  });
  assert.deepEqual(cfg.errors, []);
  const f = cfg.feeds!.find((x) => x.name === 'spam')!;
  assert.equal(f.enabled, true);
  assert.equal(f.url, 'https://lists.example/drop.txt');
  assert.equal(f.format, 'plain');
  assert.equal(f.refresh, 7_200_000);
  assert.equal(f.blocktype, 'REJECT', 'the .local wins');
  assert.deepEqual(f.ports, [
    { lo: 5060, hi: 5061 },
    { lo: 10000, hi: 20000 },
  ]);
  assert.equal(f.maxentries, 200_000);
  assert.deepEqual(f.jails, []);
});

test('defaults: DROP, 1h, every port without jails; the ports and ignoreip of the named jails', () => {
  const cfg = load({
    'feed.d/a.conf': '[Definition]\nfile = /var/lib/lists/a.txt\n',
    'feed.d/b.conf': '[Definition]\nfile = /var/lib/lists/b.txt\njails = asterisk\n',
    'jail.local': '[asterisk]\nenabled = true\nignoreip = 192.0.2.0/24\n',
  });
  assert.deepEqual(cfg.errors, []);
  const a = cfg.feeds!.find((x) => x.name === 'a')!;
  assert.equal(a.blocktype, 'DROP');
  assert.equal(a.refresh, 3_600_000);
  assert.equal(feedContext(a, cfg.jails).ports, null, 'no jails named: every port');
  const b = cfg.feeds!.find((x) => x.name === 'b')!;
  const ctx = feedContext(b, cfg.jails);
  assert.deepEqual(ctx.ports, [{ lo: 5060, hi: 5061 }], "the [asterisk] jail's SIP ports");
  assert.ok(ctx.ignore.includes('192.0.2.0/24'));
  assert.equal(ctx.firewall, 'iptables');
});

test('bad feeds are errors naming file, section and key; the other feeds load', () => {
  const cfg = load({
    'feed.d/good.conf': '[Definition]\nurl = http://lists.example/x\n',
    'feed.d/scheme.conf': '[Definition]\nurl = ftp://lists.example/x\n',
    'feed.d/both.conf': '[Definition]\nurl = https://a.example/x\nfile = /tmp/x\n',
    'feed.d/none.conf': '[Definition]\nformat = plain\n',
    'feed.d/csv.conf': '[Definition]\nfile = /tmp/x.csv\nformat = csv-column\n',
    'feed.d/typo.conf': '[Definition]\nfile = /tmp/x\nrefesh = 1h\n',
    'feed.d/block.conf': '[Definition]\nfile = /tmp/x\nblocktype = ACCEPT\n',
    'feed.d/this-name-is-far-too-long-for-ipset.conf': '[Definition]\nfile = /tmp/x\n',
  });
  assert.deepEqual(
    cfg.feeds!.map((f) => f.name),
    ['good'],
  );
  const text = cfg.errors.map((e) => e.describe()).join('\n');
  assert.match(text, /scheme\.conf.*\[Definition\] url.*ftp: is not http: or https:/);
  assert.match(text, /both\.conf.*set url or file, not both/);
  assert.match(text, /none\.conf.*needs url or file/);
  assert.match(text, /csv\.conf.*column.*csv-column needs column/);
  assert.match(text, /typo\.conf.*unknown feed key "refesh"/);
  assert.match(text, /block\.conf.*"ACCEPT" is not DROP or REJECT/);
  assert.match(text, /1 to 20 letters/);
});

test('the shipped example feed.d/apiban.conf loads, disabled', () => {
  const cfg = loadConfig(packageRoot());
  const f = cfg.feeds!.find((x) => x.name === 'apiban')!;
  assert.equal(f.enabled, false);
  assert.equal(f.format, 'apiban');
  assert.deepEqual(
    cfg.errors.filter((e) => e.place.file?.includes('feed.d')),
    [],
  );
});
