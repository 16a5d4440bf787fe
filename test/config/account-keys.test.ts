// The jail keys of docs/beyond-one-address.md: defaults keep today's behaviour, values parse, a bad
// value is an error naming file, section and key.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.js';
import { CONFIG_DIR, fixtureReader } from './config-kit.js';

const load = (jail: string) => loadConfig(CONFIG_DIR, { reader: fixtureReader(null, { 'jail.local': jail }) });

test('defaults: per-account counting and unanswered challenges off, the alarm at 3 failures without a ban, accountfindtime = findtime', () => {
  const c = load('[asterisk]\nenabled = true\nfindtime = 7m\n');
  const j = c.jails.find((x) => x.name === 'asterisk')!;
  assert.deepEqual(
    [j.accountretry, j.accountfindtime, j.accountminfailures, j.challengetimeout, j.suspectfailures, j.bansuspected],
    [0, 7 * 60_000, 2, 0, 3, false],
  );
});

test('values are read', () => {
  const c = load(
    '[asterisk]\nenabled = true\naccountretry = 20\naccountfindtime = 1h\naccountminfailures = 3\nchallengetimeout = 10s\nsuspectfailures = 0\nbansuspected = yes\n',
  );
  assert.deepEqual(c.errors, []);
  const j = c.jails.find((x) => x.name === 'asterisk')!;
  assert.deepEqual(
    [j.accountretry, j.accountfindtime, j.accountminfailures, j.challengetimeout, j.suspectfailures, j.bansuspected],
    [20, 3_600_000, 3, 10_000, 0, true],
  );
});

test('a bad value is an error naming file, section and key', () => {
  for (const [key, value] of [
    ['accountretry', '-1'],
    ['accountretry', 'lots'],
    ['accountminfailures', '0'],
    ['accountfindtime', '0'],
    ['challengetimeout', '500ms'],
    ['challengetimeout', '2h'],
    ['suspectfailures', 'x'],
    ['bansuspected', 'maybe'],
  ]) {
    const c = load(`[asterisk]\nenabled = true\n${key} = ${value}\n`);
    const e = c.errors.find((x) => x.place.key === key);
    assert.ok(e, `${key} = ${value} is refused`);
    assert.equal(e.place.section, 'asterisk');
    assert.match(e.place.file ?? '', /jail\.local$/);
  }
});
