import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJournalEntry, type JournalEntry } from '../../src/sources/journal-entry.js';
import { parseJournalMatch } from '../../src/config/journal-match.js';
import { VoipguardError } from '../../src/core/errors.js';

const base = { __CURSOR: 's=1;i=1', __REALTIME_TIMESTAMP: '1795255954568459' };
const entry = (fields: Record<string, unknown>): JournalEntry => {
  const e = parseJournalEntry(JSON.stringify({ ...base, ...fields }));
  assert.equal(typeof e, 'object', `not an entry: ${String(e)}`);
  return e as JournalEntry;
};

test('the journal timestamp in microseconds becomes the event time in milliseconds', () => {
  const e = entry({ MESSAGE: 'x' });
  assert.equal(e.time, 1795255954568);
  assert.equal(e.cursor, 's=1;i=1');
});

test('a MESSAGE journalctl printed as bytes (a user name that is not UTF-8) is decoded, never thrown on', () => {
  const bytes = [...Buffer.from('Invalid user '), 0xff, 0xfe, 0x41, ...Buffer.from(' from 198.51.100.7 port 5555')];
  assert.deepEqual(entry({ MESSAGE: bytes }).messages, ['Invalid user \uFFFD\uFFFDA from 198.51.100.7 port 5555']);
});

test('a MESSAGE too large for journalctl (null) or absent gives no line; several values give several', () => {
  assert.deepEqual(entry({ MESSAGE: null }).messages, []);
  assert.deepEqual(entry({}).messages, []);
  assert.deepEqual(entry({ MESSAGE: ['one', [0x74, 0x77, 0x6f]] }).messages, ['one', 'two']);
});

test('unit, identifier and pid are kept; a pid that is not a number is dropped', () => {
  const e = entry({ _SYSTEMD_UNIT: 'ssh.service', SYSLOG_IDENTIFIER: 'sshd-session', _PID: '4242' });
  assert.equal(e.unit, 'ssh.service');
  assert.equal(e.identifier, 'sshd-session');
  assert.equal(e.pid, 4242);
  assert.equal(entry({ _PID: '12; rm -rf /' }).pid, undefined);
});

test('lines that are not journal entries are reported by kind, not thrown', () => {
  assert.equal(parseJournalEntry('-- No entries --'), 'not-json');
  assert.equal(parseJournalEntry('[1,2]'), 'not-json');
  assert.equal(parseJournalEntry('{"MESSAGE":"x","__REALTIME_TIMESTAMP":"1"}'), 'no-cursor');
  assert.equal(parseJournalEntry('{"MESSAGE":"x","__CURSOR":"c","__REALTIME_TIMESTAMP":"soon"}'), 'no-time');
});

test("fail2ban's sshd journalmatch becomes journalctl arguments, + kept as its own argument", () => {
  assert.deepEqual(parseJournalMatch('_SYSTEMD_UNIT=sshd.service + _COMM=sshd'), ['_SYSTEMD_UNIT=sshd.service', '+', '_COMM=sshd']);
  assert.deepEqual(parseJournalMatch('  _SYSTEMD_UNIT=asterisk.service\n'), ['_SYSTEMD_UNIT=asterisk.service']);
  assert.deepEqual(parseJournalMatch(''), []);
  assert.deepEqual(parseJournalMatch(`SYSLOG_IDENTIFIER="my app" MESSAGE='a "b"'`), ['SYSLOG_IDENTIFIER=my app', 'MESSAGE=a "b"']);
});

test('a journalmatch term that journalctl could read as an option, or a stray +, is a config error naming the key', () => {
  const place = { file: 'jail.local', section: 'sshd', key: 'journalmatch' };
  for (const bad of ['--file=/etc/shadow', '-ffoo', '_COMM', 'lower=case', '=x', '+ _COMM=sshd', '_COMM=sshd +', '_COMM=a + + _COMM=b', '"unterminated']) {
    assert.throws(
      () => parseJournalMatch(bad, place),
      (e: unknown) => {
        assert.ok(e instanceof VoipguardError, bad);
        assert.equal(e.code, 'VG_JOURNAL_MATCH');
        assert.equal(e.place.key, 'journalmatch');
        return true;
      },
      bad,
    );
  }
});
