// What the installed `ini` package would get wrong in fail2ban's dialect (why src/config/ini-file.ts
// reads it without ini), and the one file ini does write: voipguard.local's [ami] section, which
// both ini and our reader read back exactly as written. docs/dependencies.md explains the split.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import ini from 'ini';
import { amiSectionLines } from '../../src/asterisk/ami-config-writer.js';
import { parseIni } from '../../src/config/ini-file.js';

const installed = (createRequire(import.meta.url)('ini/package.json') as { version: string }).version;

const value = (text: string, section: string, key: string) => parseIni(text, 't.conf').sections.get(section)?.entries.get(key)?.value;

test('the pins below are about ini 6.0.0, the version package.json fixes', () => {
  assert.equal(installed, '6.0.0');
});

test('ini ends a failregex at ";" and makes its continuation line a key; our reader keeps both lines whole', () => {
  const text = '[Definition]\nfailregex = ^NOTICE.*; from "<HOST>" #1\n    ^WARNING .* <HOST>\n';
  const byIni = ini.decode(text) as Record<string, Record<string, unknown>>;
  assert.equal(byIni['Definition']!['failregex'], '^NOTICE.*');
  assert.equal(byIni['Definition']!['^WARNING .* <HOST>'], true);
  assert.equal(value(text, 'Definition', 'failregex'), '^NOTICE.*; from "<HOST>" #1\n^WARNING .* <HOST>');
});

test('ini cuts a secret at "#" or ";" and unquotes a quoted value; our reader keeps them', () => {
  const text = '[ami]\nsecret = p#ss;w0rd\nprefix = "quoted"\n';
  const byIni = ini.decode(text) as Record<string, Record<string, unknown>>;
  assert.equal(byIni['ami']!['secret'], 'p');
  assert.equal(byIni['ami']!['prefix'], 'quoted');
  assert.equal(value(text, 'ami', 'secret'), 'p#ss;w0rd');
  assert.equal(value(text, 'ami', 'prefix'), '"quoted"');
});

test('ini nests a dotted section name and drops backslashes before ; and #', () => {
  const text = '[sip.example]\nmaxretry = 3\n[Definition]\nignoreregex = a\\;b\n';
  const byIni = ini.decode(text) as Record<string, Record<string, unknown>>;
  assert.equal(byIni['sip.example'], undefined);
  assert.deepEqual(JSON.parse(JSON.stringify(byIni['sip'])), { example: { maxretry: '3' } });
  assert.equal(byIni['Definition']!['ignoreregex'], 'a;b');
  assert.equal(value(text, 'sip.example', 'maxretry'), '3');
  assert.equal(value(text, 'Definition', 'ignoreregex'), 'a\\;b');
});

test('the shipped filter.d/asterisk.conf is one that ini misreads', () => {
  const text = readFileSync(new URL('../../filter.d/asterisk.conf', import.meta.url), 'utf8');
  const ours = parseIni(text, 'asterisk.conf');
  const byIni = ini.decode(text) as Record<string, Record<string, unknown>>;
  const differs = [...ours.sections.values()].some((s) => [...s.entries].some(([k, e]) => byIni[s.name]?.[k] !== e.value));
  assert.ok(differs);
});

test('the [ami] section voipguard writes: ini encodes it, and ini and our reader read back every value unchanged', () => {
  for (const login of [
    { username: 'voipguard', secret: 'Zx_9-abcdefghijklmnopq', host: '::1', port: 5039 },
    { username: 'vg-ami', secret: 'unused', secretFile: '/etc/voipguard/ami.secret' },
  ]) {
    const text = amiSectionLines(login).join('\n') + '\n';
    const expected: Record<string, string> = {
      enabled: 'yes',
      host: login.host ?? '127.0.0.1',
      port: String(login.port ?? 5038),
      username: login.username,
      ...(login.secretFile ? { secretfile: login.secretFile } : { secret: login.secret }),
    };
    assert.deepEqual({ ...(ini.decode(text) as Record<string, Record<string, unknown>>)['ami'] }, expected);
    const ours = parseIni(text, 'voipguard.local').sections.get('ami')!;
    assert.deepEqual(Object.fromEntries([...ours.entries].map(([k, e]) => [k, e.value])), expected);
  }
});

test('a value ini would escape or quote is refused before anything is written', () => {
  assert.throws(
    () => amiSectionLines({ username: 'u', secret: 's', secretFile: '/etc/a#b' }),
    (e: Error & { code?: string }) => e.code === 'VG_USAGE',
  );
  assert.throws(
    () => amiSectionLines({ username: 'u', secret: 'has space' }),
    (e: Error & { code?: string }) => e.code === 'VG_USAGE',
  );
});
