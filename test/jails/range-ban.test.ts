import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Jail } from '../../src/jails/jail.js';
import { NO_INCREMENT } from '../../src/jails/ban-policy.js';
import type { IncrementConfig } from '../../src/config/jail-schema.js';
import { parseBanTarget } from '../../src/core/ip.js';
import { checkIps, parseRequest } from '../../src/control/protocol.js';
import { parseClientArgs } from '../../src/cli/client-command.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';

const T0 = 1_800_000_000_000;

function jail(ignoreip: string[] = ['192.0.2.0/25', '2001:db8::1'], self: string[] = ['203.0.113.9']): Jail {
  const increment = { ...NO_INCREMENT, overalljails: false } as IncrementConfig;
  return new Jail({ name: 'asterisk', maxretry: 3, findtime: 600_000, bantime: 600_000, increment, ignoreip, ignoreself: true }, { selfAddresses: self });
}

test('a ban target is an address or a network written as its network address; /0 and host bits are refused with the reason', () => {
  const ok = (s: string) => {
    const t = parseBanTarget(s);
    return t !== null && 'target' in t ? t.target.text : null;
  };
  assert.equal(ok('198.51.100.0/24'), '198.51.100.0/24');
  assert.equal(ok('198.51.100.7/32'), '198.51.100.7', 'a full-length prefix is the address');
  assert.equal(ok('2001:DB8:1::/48'), '2001:db8:1::/48');
  assert.equal(ok('::ffff:198.51.100.0/120'), '198.51.100.0/24');
  assert.match(String((parseBanTarget('0.0.0.0/0') as { refused: string }).refused), /every address/);
  assert.match(String((parseBanTarget('::/0') as { refused: string }).refused), /every address/);
  assert.match(String((parseBanTarget('198.51.100.7/24') as { refused: string }).refused), /host bits set: ban 198\.51\.100\.0\/24 .* or 198\.51\.100\.7/);
  assert.equal(parseBanTarget('198.51.100.0/33'), null);
  assert.equal(parseBanTarget('nonsense/24'), null);
});

test('banip/unbanip take ranges on the wire and on the command line; host bits are refused before anything is sent', () => {
  assert.deepEqual(checkIps(['198.51.100.0/24', '192.0.2.1'], 'ban'), ['198.51.100.0/24', '192.0.2.1']);
  assert.throws(() => checkIps(['198.51.100.1/24'], 'ban'), { code: 'VG_BAN_RANGE' });
  assert.throws(() => parseRequest({ cmd: 'banip', jail: 'asterisk', ips: ['0.0.0.0/0'] }), { code: 'VG_BAN_RANGE' });
  assert.deepEqual(parseRequest({ cmd: 'unbanip', jail: 'asterisk', ips: ['198.51.100.0/24'] }), {
    cmd: 'unbanip',
    jail: 'asterisk',
    ips: ['198.51.100.0/24'],
    all: false,
  });
  assert.deepEqual(parseClientArgs(['set', 'asterisk', 'banip', '198.51.100.0/24']).action, {
    kind: 'request',
    req: { cmd: 'banip', jail: 'asterisk', ips: ['198.51.100.0/24'] },
  });
  assert.throws(() => parseClientArgs(['set', 'asterisk', 'banip', '198.51.100.9/24']), { code: 'VG_BAN_RANGE' });
  assert.throws(() => checkIps(['198.51.100.0/24']), { code: 'VG_BAD_IP' }, '`banned` still takes addresses only');
});

test('a range holding an ignoreip address or range, loopback or a host address is refused (VG_IGNORED_IP); a disjoint one is banned as one entry', () => {
  const j = jail();
  const refused = (net: string, why: RegExp) =>
    assert.throws(
      () => j.ban(net, T0),
      (e: Error & { code: string }) => e.code === 'VG_IGNORED_IP' && why.test(e.message),
      net,
    );
  refused('192.0.2.0/24', /in ignoreip/); // holds the ignored /25
  refused('192.0.2.64/26', /in ignoreip/); // inside the ignored /25
  refused('2001:db8::/32', /in ignoreip/);
  refused('127.0.0.0/16', /loopback/);
  refused('96.0.0.0/3', /loopback/); // 96.0.0.0 - 127.255.255.255
  refused('::/1', /loopback/); // holds ::1
  refused('203.0.113.0/24', /host's own/);
  const d = j.ban('192.0.2.128/25', T0);
  assert.deepEqual(
    d.map((x) => [x.type, x.ip, x.reason]),
    [['ban', '192.0.2.128/25', 'manual']],
  );
  assert.deepEqual(j.ban('192.0.2.128/25', T0 + 1), [], 'already banned');
  assert.equal(j.isBanned('192.0.2.128/25'), true);
  assert.deepEqual(
    j.unban('192.0.2.128/25', T0 + 2).map((x) => [x.type, x.ip]),
    [['unban', '192.0.2.128/25']],
  );
  assert.throws(() => j.ban('192.0.2.129/25', T0), { code: 'VG_BAN_RANGE' });
});

test('a range ban is kept in SQLite and comes back at start; a range the new ignoreip overlaps is unbanned instead', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-range-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'voipguard.sqlite3');
  const j = jail();
  let store = SqliteStore.open(path);
  for (const d of [...j.ban('198.51.100.0/24', T0), ...j.ban('2001:db8:5::/48', T0)]) {
    store.addBan({ jail: d.jail, ip: d.ip, start: d.time, until: d.until, banCount: d.banCount, reason: d.reason }, false);
  }
  store.close();
  store = SqliteStore.open(path);
  const active = store.activeBans('asterisk');
  store.close();
  assert.deepEqual(active.map((b) => b.ip).sort(), ['198.51.100.0/24', '2001:db8:5::/48']);
  const back = jail().restore(active, T0 + 1000);
  assert.deepEqual(back.map((d) => [d.type, d.ip, d.reason]).sort(), [
    ['ban', '198.51.100.0/24', 'restored'],
    ['ban', '2001:db8:5::/48', 'restored'],
  ]);
  const narrowed = jail(['198.51.100.77']).restore(active, T0 + 1000);
  assert.deepEqual(
    narrowed.filter((d) => d.type === 'unban').map((d) => [d.ip, d.reason]),
    [['198.51.100.0/24', 'reload']],
  );
});
