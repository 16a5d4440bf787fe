import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ERRORS, EXIT_CODES, VoipguardError, type ErrorClass } from '../../src/core/errors.js';

test('every error code is documented in the docs/errors.md table with its class', () => {
  const readme = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  for (const [code, def] of Object.entries(ERRORS)) {
    assert.match(readme, new RegExp(`^\\| ${code} \\| ${def.cls} \\|`, 'm'), `${code} missing from docs/errors.md`);
  }
});

test('every documented code exists, so docs/errors.md cannot promise a code the program never uses', () => {
  const readme = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = [...readme.matchAll(/^\| (VG_[A-Z_]+) \|/gm)].map((m) => m[1]!);
  for (const code of documented) assert.ok(code in ERRORS, `${code} documented but not in the catalog`);
  assert.equal(new Set(documented).size, documented.length, 'a code is documented twice');
});

test('exit codes follow from the class, and config errors describe file, line, section and key', () => {
  const e = new VoipguardError('VG_CONFIG_DURATION', '"ten" is not a duration', { file: 'jail.local', line: 7, section: 'asterisk', key: 'bantime' });
  assert.equal(e.exitCode, EXIT_CODES.config);
  assert.equal(e.describe(), 'jail.local:7 [asterisk] bantime: "ten" is not a duration (VG_CONFIG_DURATION)');
  for (const def of Object.values(ERRORS)) assert.ok((def.cls as ErrorClass) in EXIT_CODES);
});
