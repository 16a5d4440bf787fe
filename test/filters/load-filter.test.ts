import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diskReader, memoryReader, type ConfigFileReader } from '../../src/config/config-set.js';
import { VoipguardError } from '../../src/core/errors.js';
import { loadFilter, compileRegexFilter } from '../../src/filters/load-filter.js';

const at = (text: string, readAt = Date.UTC(2026, 2, 2)) => ({ source: '/var/log/x', text, readAt });

test('a fail2ban filter with [INCLUDES], %(x)s, [Init] parameters and <option> tags reads unchanged', () => {
  const reader = memoryReader({
    '/c/filter.d/common.conf': '[DEFAULT]\n_daemon = \\S*\n__prefix = ^\\[\\]\\s*\n',
    '/c/filter.d/demo.conf': [
      '[INCLUDES]',
      'before = common.conf',
      '[Init]',
      'mode = normal',
      'word = failed',
      '[Definition]',
      '_normal = %(__prefix)s<F-USER>\\w+</F-USER> %(word)s from <HOST>$',
      '_aggressive = %(__prefix)s\\w+ (?:failed|denied) from <HOST>$',
      'failregex = <_%(mode)s>',
      'ignoreregex = ^\\[\\]\\s*root ',
      'datepattern = {^LN-BEG}%%F %%T',
    ].join('\n'),
  });
  const f = loadFilter('demo', { configDir: '/c', timezone: 'UTC', reader });
  assert.deepEqual(f.files, ['/c/filter.d/common.conf', '/c/filter.d/demo.conf']);
  const m = f.match(at('[2026-03-01 10:00:00] bob failed from 203.0.113.5'));
  assert.equal(m.failure?.ip, '203.0.113.5');
  assert.equal(m.failure?.account, 'bob');
  assert.equal(m.failure?.time, Date.UTC(2026, 2, 1, 10));
  assert.equal(m.failure?.kind, 'demo');
  assert.equal(m.dateFormat, '{^LN-BEG}%F %T');
  assert.equal(f.match(at('[2026-03-01 10:00:00] root failed from 203.0.113.5')).ignored, true);
  assert.equal(f.match(at('[2026-03-01 10:00:00] bob denied from 203.0.113.5')).failure, null);
  // jail arguments win over [Init]
  const g = loadFilter('demo[mode=aggressive]', { configDir: '/c', timezone: 'UTC', reader });
  assert.equal(g.match(at('[2026-03-01 10:00:00] bob denied from 203.0.113.5')).failure?.ip, '203.0.113.5');
  const h = loadFilter('demo', { configDir: '/c', timezone: 'UTC', reader, args: { word: 'refused' } });
  assert.equal(h.match(at('[2026-03-01 10:00:00] bob refused from 203.0.113.5')).failure?.ip, '203.0.113.5');
});

test('/etc/voipguard/filter.d/NAME.local tunes the shipped NAME.conf', () => {
  const reader = memoryReader({
    '/etc/vg/filter.d/asterisk.local': "[Definition]\nignoreregex = ^manager\\.c: \\S+ failed to authenticate as 'monitor'$\n",
  });
  const f = loadFilter('asterisk', { configDir: '/etc/vg', timezone: 'UTC', reader: overlay(reader) });
  assert.equal(f.files.at(-1), '/etc/vg/filter.d/asterisk.local');
  assert.equal(f.match(at("[2026-03-01 10:00:00] NOTICE[1] manager.c: 203.0.113.5 failed to authenticate as 'monitor'")).ignored, true);
  assert.equal(f.match(at("[2026-03-01 10:00:00] NOTICE[1] manager.c: 203.0.113.5 failed to authenticate as 'admin'")).failure?.ip, '203.0.113.5');
});

test('/etc/voipguard/filter.d/asterisk-common.local reaches the shipped asterisk-common.conf that asterisk.conf includes', () => {
  // the shipped files live outside the config dir, so the .local beside the included file is not the user's
  const reader = memoryReader({ '/etc/vg/filter.d/asterisk-common.local': '[Definition]\n_manager = manager2\\.c:%(_loc)s\n' });
  const f = loadFilter('asterisk', { configDir: '/etc/vg', timezone: 'UTC', reader: overlay(reader) });
  assert.ok(f.files.includes('/etc/vg/filter.d/asterisk-common.local'), f.files.join(', '));
  assert.equal(f.match(at("[2026-03-01 10:00:00] NOTICE[1] manager2.c: 203.0.113.5 failed to authenticate as 'admin'")).failure?.ip, '203.0.113.5');
  assert.equal(f.match(at("[2026-03-01 10:00:00] NOTICE[1] manager.c: 203.0.113.5 failed to authenticate as 'admin'")).failure, null);
  // without the override, the shipped definition holds
  const plain = loadFilter('asterisk', { configDir: '/etc/vg', timezone: 'UTC', reader: overlay(memoryReader({})) });
  assert.equal(plain.match(at("[2026-03-01 10:00:00] NOTICE[1] manager.c: 203.0.113.5 failed to authenticate as 'admin'")).failure?.ip, '203.0.113.5');
});

test('a broken failregex is an error naming file, section, key and its own line', () => {
  const reader = memoryReader({
    '/c/filter.d/bad.conf': '[Definition]\n\nfailregex = ^ok <HOST>$\n            ^(?i:broken) <HOST>$\n',
  });
  assert.throws(
    () => loadFilter('bad', { configDir: '/c', reader }),
    (e: unknown) =>
      e instanceof VoipguardError &&
      e.code === 'VG_FILTER_REGEX' &&
      e.place.file === '/c/filter.d/bad.conf' &&
      e.place.section === 'Definition' &&
      e.place.key === 'failregex' &&
      e.place.line === 4 &&
      /scoped flags/.test(e.message),
  );
});

test('a failregex without an address is refused; so is a missing filter and multi-line matching', () => {
  const reader = memoryReader({
    '/c/filter.d/nohost.conf': '[Definition]\nfailregex = ^something bad$\n',
    '/c/filter.d/multi.conf': '[Init]\nmaxlines = 2\n[Definition]\nfailregex = <HOST>\n',
  });
  assert.throws(
    () => loadFilter('nohost', { configDir: '/c', reader }),
    (e: unknown) => e instanceof VoipguardError && e.code === 'VG_FILTER_NO_HOST' && e.place.line === 2,
  );
  assert.throws(
    () => loadFilter('nowhere', { configDir: '/c', reader }),
    (e: unknown) => e instanceof VoipguardError && e.code === 'VG_FILTER_NOT_FOUND',
  );
  assert.throws(
    () => loadFilter('multi', { configDir: '/c', reader }),
    (e: unknown) => e instanceof VoipguardError && e.code === 'VG_FILTER_REGEX',
  );
  assert.throws(
    () => loadFilter('demo[mode=', { configDir: '/c', reader }),
    (e: unknown) => e instanceof VoipguardError && e.code === 'VG_CONFIG_ARGS',
  );
});

test('<IP4> and <IP6> only accept their family; a hostname never becomes an address', () => {
  // the date is cut out of the line before matching, as in fail2ban: a space stays in front
  const v4 = compileRegexFilter('^ x (?P<n>\\S+) <IP4>$', { timezone: 'UTC' });
  assert.equal(v4.match(at('2026-03-01 10:00:00 x a 203.0.113.5')).failure?.ip, '203.0.113.5');
  const v6 = compileRegexFilter('^ from <IP6>$', { timezone: 'UTC' });
  assert.equal(v6.match(at('2026-03-01 10:00:00 from 2001:db8::5')).failure?.ip, '2001:db8::5');
  assert.equal(v6.match(at('2026-03-01 10:00:00 from ::ffff:203.0.113.5')).note, 'bad-host');
  const host = compileRegexFilter('^ from (?P<host>\\S+)$', { timezone: 'UTC' });
  assert.equal(host.match(at('2026-03-01 10:00:00 from evil.example')).note, 'bad-host');
  assert.equal(host.match(at('2026-03-01 10:00:00 from 010.1.1.1')).failure, null);
});

test('F-NOFAIL marks a match that is not a failure', () => {
  const f = compileRegexFilter('^ (?:ok|<F-NOFAIL>fine</F-NOFAIL>) from <HOST>$', { timezone: 'UTC' });
  assert.equal(f.match(at('2026-03-01 10:00:00 ok from 203.0.113.5')).failure?.ip, '203.0.113.5');
  assert.equal(f.match(at('2026-03-01 10:00:00 fine from 203.0.113.5')).note, 'nofail');
});

/** The shipped filter.d (on disk) under a config dir that holds only what `reader` has. */
function overlay(reader: ConfigFileReader): ConfigFileReader {
  const mine = (p: string): boolean => p.startsWith('/etc/vg/');
  return {
    read: (p) => (mine(p) ? reader.read(p) : diskReader.read(p)),
    list: (d) => (mine(d) ? reader.list(d) : diskReader.list(d)),
  };
}

test('a tag after an optional group is a tag, not a named group (fail2ban filters write `(?:invalid user )?<F-USER>`)', () => {
  const f = compileRegexFilter('^\\s*(?:invalid user )?<F-USER>\\S+</F-USER> from (?:host )?<HOST>$', { timezone: 'UTC' });
  const m = f.match(at('2026-03-01 10:00:00 invalid user bob from host 203.0.113.5'));
  assert.equal(m.failure?.ip, '203.0.113.5');
  assert.equal(m.failure?.account, 'bob');
  assert.equal(f.match(at('2026-03-01 10:00:00 alice from 198.51.100.2')).failure?.ip, '198.51.100.2');
  // real named groups and backreferences still work, including an escaped paren before a quantifier
  const g = compileRegexFilter('^\\s*(?P<who>\\w+) again (?P=who) \\(?<HOST>\\)?$', { timezone: 'UTC' });
  assert.equal(g.match(at('2026-03-01 10:00:00 bob again bob (203.0.113.9)')).failure?.ip, '203.0.113.9');
  assert.equal(g.match(at('2026-03-01 10:00:00 bob again eve (203.0.113.9)')).failure, null);
});
