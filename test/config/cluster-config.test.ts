// [cluster] in voipguard.local: defaults keep sharing off, every key is parsed by the schema, and a
// mistake names its file, section and key; the password never shows in an error.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, type LoadedConfig } from '../../src/config/load-config.js';
import { describeTarget } from '../../src/config/cluster-schema.js';
import { CONFIG_DIR, fixtureReader } from './config-kit.js';

const load = (local: string): LoadedConfig => loadConfig(CONFIG_DIR, { reader: fixtureReader(null, { 'voipguard.local': local }) });

test('[cluster] defaults: off, local Redis, prefix voipguard, accept detected manual, maxbantime 1d', () => {
  const c = load('[Definition]\nloglevel = INFO\n').service.cluster;
  assert.equal(c.enabled, false);
  assert.equal(describeTarget(c.redis), 'redis://127.0.0.1:6379');
  assert.equal(c.prefix, 'voipguard');
  assert.deepEqual(c.accept, ['detected', 'manual']);
  assert.deepEqual(c.jails, []);
  assert.equal(c.node, null);
  assert.equal(c.maxbantime, 86_400_000);
});

test('[cluster] reads redis://, rediss:// with an ACL user, and unix: sockets', () => {
  const tls = load(
    '[cluster]\nenabled = yes\nredis = rediss://vg:s3cr%40t@redis.example.net:6380/2\nnode = pbx-1\njails = asterisk asterisk-ami\naccept = detected subnet\nmaxbantime = 2h\n',
  );
  assert.deepEqual(tls.errors, []);
  const c = tls.service.cluster;
  assert.deepEqual(c.redis, { kind: 'tcp', tls: true, host: 'redis.example.net', port: 6380, username: 'vg', password: 's3cr@t', db: 2 });
  assert.equal(describeTarget(c.redis), 'rediss://vg@redis.example.net:6380/2');
  assert.deepEqual(c.jails, ['asterisk', 'asterisk-ami']);
  assert.deepEqual(c.accept, ['detected', 'subnet']);
  assert.equal(c.maxbantime, 7_200_000);
  const unix = load('[cluster]\nredis = unix:/run/redis/redis.sock\nredis.passwordfile = /etc/voipguard/redis.password\n').service.cluster;
  assert.deepEqual(unix.redis, { kind: 'unix', path: '/run/redis/redis.sock', username: null, password: null, db: 0 });
  assert.equal(unix.passwordfile, '/etc/voipguard/redis.password');
});

test('[cluster] mistakes name file, section and key, and never print the password', () => {
  const bad = load(
    '[cluster]\nredis = http://u:hunter2@x\nredis.password = a\nredis.passwordfile = /x\nnode = has space\nprefix = a b\naccept = detected compromise\nmaxbantime = -1\njails = "x"\n',
  );
  const got = bad.errors.map((e) => `${e.code} ${e.place.section} ${e.place.key}`).sort();
  assert.deepEqual(got, [
    'VG_CONFIG_DURATION cluster maxbantime',
    'VG_CONFIG_TYPE cluster accept',
    'VG_CONFIG_TYPE cluster jails',
    'VG_CONFIG_TYPE cluster node',
    'VG_CONFIG_TYPE cluster prefix',
    'VG_CONFIG_TYPE cluster redis',
    'VG_CONFIG_TYPE cluster redis.passwordfile',
  ]);
  for (const e of bad.errors) assert.ok(e.place.file?.endsWith('voipguard.local'));
  assert.ok(!bad.errors.some((e) => e.message.includes('hunter2')), 'the URL password is redacted');
  const unix = load('[cluster]\nredis = unix:relative.sock\n');
  assert.deepEqual(
    unix.errors.map((e) => e.place.key),
    ['redis'],
  );
});
