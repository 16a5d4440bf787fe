import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIni } from '../../src/config/ini-file.js';
import { ConfigSet, memoryReader } from '../../src/config/config-set.js';
import { VoipguardError } from '../../src/core/errors.js';

test('multi-line failregex with comments, backslashes, quotes and # survive parsing', () => {
  const doc = parseIni(
    [
      '[Definition]',
      'failregex = ^"Rejecting (?P<x>\\S+)" #1 <HOST>$',
      '            ^a\\\\b ; inline comment',
      '#           ^commented out',
      '            ^third; not a comment',
      'ignoreregex =',
      'bantime = 3600 ; 1hour',
      'flag = true',
    ].join('\n'),
    'f.conf',
  );
  const d = doc.sections.get('Definition')!;
  assert.equal(d.entries.get('failregex')!.value, '^"Rejecting (?P<x>\\S+)" #1 <HOST>$\n^a\\\\b\n^third; not a comment');
  assert.equal(d.entries.get('ignoreregex')!.value, '');
  assert.equal(d.entries.get('bantime')!.value, '3600');
  assert.equal(d.entries.get('flag')!.value, 'true');
  assert.equal(d.entries.get('bantime')!.line, 7);
});

test('a value starting on the next line drops the empty first line', () => {
  const doc = parseIni('[a]\nfailregex =\n    one\n    two\n', 'x');
  assert.equal(doc.sections.get('a')!.entries.get('failregex')!.value, 'one\ntwo');
});

test('section names with dots do not nest, keys are lowercased', () => {
  const doc = parseIni('[sip.example]\nMaxRetry = 3\n', 'x');
  assert.equal(doc.sections.get('sip.example')!.entries.get('maxretry')!.value, '3');
});

test('a key before any section is a syntax error naming file and line', () => {
  assert.throws(
    () => parseIni('\nkey = 1\n', 'bad.conf'),
    (e: unknown) => e instanceof VoipguardError && e.code === 'VG_CONFIG_SYNTAX' && e.place.line === 2 && e.place.file === 'bad.conf',
  );
});

test('.conf, .d/*.conf, .local, .d/*.local in fail2ban order; last wins', () => {
  const r = memoryReader({
    '/c/jail.conf': '[DEFAULT]\nbantime = 10m\n[asterisk]\nmaxretry = 10\n',
    '/c/jail.d/a.conf': '[asterisk]\nmaxretry = 5\n',
    '/c/jail.local': '[asterisk]\nenabled = true\nmaxretry = 4\n',
    '/c/jail.d/z.local': '[asterisk]\nmaxretry = 3\n',
  });
  const set = ConfigSet.load('/c/jail', r);
  assert.deepEqual(set.files, ['/c/jail.conf', '/c/jail.d/a.conf', '/c/jail.local', '/c/jail.d/z.local']);
  assert.equal(set.get('asterisk', 'maxretry'), '3');
  assert.equal(set.get('asterisk', 'bantime'), '10m');
  assert.equal(set.get('asterisk', 'enabled'), 'true');
});

test('interpolation: own section, DEFAULT in the caller context, cross-section, known/, __name__', () => {
  const r = memoryReader({
    '/c/jail.conf': [
      '[DEFAULT]',
      'banaction = iptables',
      'port = 0:65535',
      'action_ = %(banaction)s[name=%(__name__)s, port="%(port)s"]',
      '[asterisk]',
      'port = 5060,5061',
      'banaction = iptables-ipset',
      'action = %(action_)s',
      'note = 100%%',
      '[other]',
      'copy = %(asterisk/port)s',
    ].join('\n'),
    '/c/jail.local': '[asterisk]\nport = %(known/port)s,5062\n',
  });
  const set = ConfigSet.load('/c/jail', r);
  assert.equal(set.get('asterisk', 'action'), 'iptables-ipset[name=asterisk, port="5060,5061,5062"]');
  assert.equal(set.get('other', 'action_'), 'iptables[name=other, port="0:65535"]');
  assert.equal(set.get('other', 'copy'), '5060,5061,5062');
  assert.equal(set.get('asterisk', 'note'), '100%');
  assert.equal(set.get('asterisk', 'port', { port: '9999' }), '9999');
});

test('interpolation cycles and missing names are coded errors with file, section, key, line', () => {
  const r = memoryReader({ '/c/x.conf': '[s]\na = %(b)s\nb = %(a)s\nc = %(nope)s\n' });
  const set = ConfigSet.load('/c/x', r);
  assert.throws(
    () => set.get('s', 'a'),
    (e: unknown) => e instanceof VoipguardError && e.code === 'VG_CONFIG_INTERPOLATION' && e.place.key !== undefined && e.place.file === '/c/x.conf',
  );
  assert.throws(
    () => set.get('s', 'c'),
    (e: unknown) => e instanceof VoipguardError && e.code === 'VG_CONFIG_INTERPOLATION' && e.place.key === 'c' && e.place.line === 4,
  );
});

test('[INCLUDES] before/after, relative to the including file, and self-inclusion is refused', () => {
  const r = memoryReader({
    '/c/filter.d/common.conf': '[DEFAULT]\nprefix = P\n[Definition]\nfailregex = base\n',
    '/c/filter.d/asterisk.conf': '[INCLUDES]\nbefore = common.conf\nafter = tail.conf\n[Definition]\nfailregex = %(prefix)s mine\n',
    '/c/filter.d/tail.conf': '[Definition]\nextra = yes\n',
    '/c/filter.d/loop.conf': '[INCLUDES]\nbefore = loop.conf\n',
  });
  const set = ConfigSet.load('/c/filter.d/asterisk', r);
  assert.equal(set.get('Definition', 'failregex'), 'P mine');
  assert.equal(set.get('Definition', 'extra'), 'yes');
  assert.throws(
    () => ConfigSet.load('/c/filter.d/loop', r),
    (e: unknown) => e instanceof VoipguardError && e.code === 'VG_CONFIG_INCLUDE',
  );
});
