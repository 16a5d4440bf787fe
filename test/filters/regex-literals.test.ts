import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requiredLiterals } from '../../src/filters/regex-literals.js';
import { buildGate } from '../../src/filters/literal-gate.js';
import { translatePythonRegex } from '../../src/filters/python-regex.js';

const lits = (py: string): readonly string[] | null => {
  const t = translatePythonRegex(py);
  return requiredLiterals(t.source, t.flags)?.literals ?? null;
};

test('a failregex yields the literal every match must contain', () => {
  assert.deepEqual(lits("^Registration from '.*' failed for '(?P<host>\\S+)'$"), ['Registration from ']);
  assert.deepEqual(lits('^(?:foo|bar)baz\\d+$'), ['foobaz', 'barbaz']);
  assert.deepEqual(lits('manager\\.c: (?P<host>\\S+) x'), ['manager.c: ']);
});

test('optional and repeated parts never become required literals', () => {
  assert.equal(lits('^(?:abcdef)?(?P<host>\\S+)$'), null);
  assert.equal(lits('^(?:abc|d)x$'), null); // "d" is too short to be worth a scan
  assert.deepEqual(lits('(?:abcdef)+'), ['abcdef']);
  assert.equal(lits('^\\S+ \\d+$'), null);
});

test('a literal is never taken across the place where a cut-out date joined two characters', () => {
  // `[2026-03-01 10:15:30] NOTICE` is matched as `[] NOTICE`: "[] NOTICE" is not in the raw line
  assert.deepEqual(lits('^\\[\\] NOTICE\\[\\d+\\]'), ['] NOTICE[']);
  const gate = buildGate([requiredLiterals(translatePythonRegex('^\\[\\] NOTICE\\[\\d+\\]').source, '')]);
  assert.equal(gate.pass('[2026-03-01 10:15:30] NOTICE[12]'), true);
});

test('the gate opens for any line a rule could match, and lets noise through only by chance', () => {
  const rules = [
    "^chan_sip\\.c: Registration from '.*' failed for '(?P<host>[^']+)' - Wrong password$",
    '^manager\\.c: (?P<host>\\S+) failed to authenticate as',
  ];
  const gate = buildGate(rules.map((r) => requiredLiterals(translatePythonRegex(r).source, '')));
  assert.equal(gate.pass("[x] NOTICE[1] chan_sip.c: Registration from '1' failed for '1.2.3.4' - Wrong password"), true);
  assert.equal(gate.pass('[x] NOTICE[1] manager.c: 1.2.3.4 failed to authenticate as x'), true);
  assert.equal(gate.pass('[x] VERBOSE[1] pbx.c: Executing [s@ctx:1] Answer("SIP/1")'), false);
  // one rule without any literal opens the gate for every line
  const open = buildGate([...rules, '^(?P<host>\\S+)$'].map((r) => requiredLiterals(translatePythonRegex(r).source, '')));
  assert.equal(open.pass('anything'), true);
});

test('a case-insensitive rule gets a case-insensitive gate', () => {
  const t = translatePythonRegex('(?i)failed login from (?P<host>\\S+)');
  const gate = buildGate([requiredLiterals(t.source, t.flags)]);
  assert.equal(gate.pass('FAILED LOGIN FROM 1.2.3.4'), true);
  assert.equal(gate.pass('all good'), false);
});
