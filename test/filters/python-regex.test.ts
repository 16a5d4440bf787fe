import { test } from 'node:test';
import assert from 'node:assert/strict';
import { translatePythonRegex, RegexTranslateError } from '../../src/filters/python-regex.js';
import { unnameGroups } from '../../src/filters/unname-groups.js';

const js = (py: string): RegExp => {
  const t = translatePythonRegex(py);
  return new RegExp(t.source, t.flags);
};

test("a fail2ban user's named groups and back references work unchanged", () => {
  const re = js('^(?P<user>\\w+) from (?P<host>\\S+) as (?P=user)$');
  const m = re.exec('bob from 1.2.3.4 as bob')!;
  assert.equal(m.groups!.user, 'bob');
  assert.equal(m.groups!.host, '1.2.3.4');
  assert.equal(re.test('bob from 1.2.3.4 as eve'), false);
});

test('leading inline flags become RegExp flags; verbose mode drops spaces and comments', () => {
  assert.equal(js('(?i)^failed').test('FAILED login'), true);
  const t = translatePythonRegex('(?x) ^ a \\  b  # a comment\n [ ] c');
  assert.equal(new RegExp(t.source, t.flags).test('a bc'), false);
  assert.equal(new RegExp(t.source, t.flags).test('a b c'), true);
  assert.equal(js('(?s)a.b').test('a\nb'), true);
});

test("Python's . stops only at \\n: U+2028, U+2029 and \\r in a header cannot hide a match", () => {
  assert.equal(js("^from '.*' failed$").test("from 'x\u2028y\u2029z\rq' failed"), true);
  assert.equal(js('^a.b$').test('a\nb'), false);
});

test('\\A \\Z \\z anchor the whole text; \\a is BEL; \\U is a code point', () => {
  assert.equal(js('\\Afoo\\Z').test('foo'), true);
  assert.equal(js('\\Afoo\\Z').test('xfoo'), false);
  assert.equal(js('foo\\z').test('foo\n'), false);
  assert.equal(js('\\a').test('\x07'), true);
  assert.equal(js('\\U0001F600').test('😀'), true);
});

test("{,n} is {0,n} in Python; a ']' first in a set is literal; comments vanish", () => {
  assert.equal(js('^a{,2}$').test('aa'), true);
  assert.equal(js('^a{,2}$').test('aaa'), false);
  assert.equal(js('^[]a]+$').test(']a]'), true);
  assert.equal(js('^[^]]+$').test('abc'), true);
  assert.equal(js('^a(?#note)b$').test('ab'), true);
  assert.equal(js('^x{$').test('x{'), true);
});

test('what JavaScript cannot do is refused with the position', () => {
  const bad: Array<[string, RegExp]> = [
    ['a(?i)b', /global flags/],
    ['(?i:a)b', /scoped flags/],
    ['(?>a)', /atomic/],
    ['a*+', /possessive/],
    ['a{2}+', /possessive/],
    ['(?(1)a|b)', /conditional/],
    ['\\N{DIGIT ONE}', /named characters/],
    ['\\q', /bad escape \\q/],
    ['[a', /unterminated/],
    ['(?P<x>a)(?P<x>b)', /used twice/],
    ['(?P=nope)', /unknown group/],
    ['(?L)a', /locale/],
  ];
  for (const [py, msg] of bad) {
    assert.throws(
      () => translatePythonRegex(py),
      (e: unknown) => e instanceof RegexTranslateError && msg.test(e.message),
      py,
    );
  }
  try {
    translatePythonRegex('abc(?>x)');
  } catch (e) {
    assert.equal((e as RegexTranslateError).index, 3);
  }
});

test('unnameGroups numbers named groups and keeps back references working', () => {
  const t = translatePythonRegex('(?P<a>x)(y)(?P<b>z)(?P=a)');
  const u = unnameGroups(t.source);
  assert.deepEqual(
    [...u.index],
    [
      ['a', 1],
      ['b', 3],
    ],
  );
  const m = new RegExp(u.source).exec('xyzx')!;
  assert.equal(m[3], 'z');
  assert.equal(m.groups, undefined);
  assert.equal(new RegExp(u.source).test('xyzy'), false);
});
