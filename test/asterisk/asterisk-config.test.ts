import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAsteriskConfig, readAsteriskConfig } from '../../src/asterisk/asterisk-config.js';
import { memoryReader } from '../../src/config/config-set.js';

test('exten => lines keep every value, which the ini package loses', () => {
  const cfg = parseAsteriskConfig(
    ['[ctx]', 'exten => _X.,1,Goto(ctx,s,1)', 'exten => s,1,Log(NOTICE,from ${CHANNEL(pjsip,remote_addr)})', ' same => n,Hangup(21)'].join('\n'),
    'extensions.conf',
  );
  const cat = cfg.named('ctx')[0]!;
  assert.deepEqual(
    cat.variables.map((v) => [v.name, v.value, v.object]),
    [
      ['exten', '_X.,1,Goto(ctx,s,1)', true],
      ['exten', 's,1,Log(NOTICE,from ${CHANNEL(pjsip,remote_addr)})', true],
      ['same', 'n,Hangup(21)', true],
    ],
  );
});

test('; starts a comment, \\; is a literal semicolon, ;-- --; spans lines', () => {
  const cfg = parseAsteriskConfig(['[general]', 'a = 1 ; comment', 'b = x\\;y', ';-- block', 'c = hidden', '--; d = 4', 'e = 5'].join('\n'), 'x.conf');
  assert.equal(cfg.retrieve('general', 'a'), '1');
  assert.equal(cfg.retrieve('general', 'b'), 'x;y');
  assert.equal(cfg.retrieve('general', 'c'), undefined);
  assert.equal(cfg.retrieve('general', 'd'), '4');
  assert.equal(cfg.retrieve('general', 'e'), '5');
});

test('templates are inherited in order, own values after them; names compare case-insensitively', () => {
  const cfg = parseAsteriskConfig(
    ['[tpl](!)', 'type = endpoint', 'context = a', '[1001](tpl)', 'context = b', '[1001]', 'type = aor'].join('\n'),
    'pjsip.conf',
  );
  const [ep, aor] = cfg.named('1001');
  assert.equal(ep!.variables.length, 3);
  assert.deepEqual(ep!.inherits, ['tpl']);
  assert.equal(ep!.variables[0]!.inherited, true);
  assert.equal(cfg.values(ep!, 'CONTEXT').at(-1)!.value, 'b');
  assert.equal(aor!.variables[0]!.value, 'aor');
  assert.equal(cfg.named('TPL')[0]!.template, true);
});

test('(+) adds to the category; retrieve takes the last value over same-named categories, browse the first', () => {
  const cfg = parseAsteriskConfig(
    [
      '[general]',
      'dateformat = %b %e %T',
      '[logfiles]',
      'messages => notice',
      '[general](+)',
      'dateformat = %F %T.%3q',
      '[logfiles]',
      'security => security',
    ].join('\n'),
    'logger.conf',
  );
  assert.equal(cfg.retrieve('general', 'dateformat'), '%F %T.%3q');
  assert.equal(cfg.named('general').length, 1);
  // a second plain [logfiles] is a separate category that logger.c never browses
  assert.deepEqual(
    cfg.browse('logfiles').map((v) => v.name),
    ['messages'],
  );
});

test('+= appends to the previous value', () => {
  const cfg = parseAsteriskConfig('[u]\nread = system\nread += ,security\n', 'm.conf');
  assert.equal(cfg.retrieve('u', 'read'), 'system,security');
});

test('#include resolves from the config dir, with globs; a missing one and a loop are problems, not crashes', () => {
  const reader = memoryReader({
    '/etc/asterisk/extensions.conf': '[a]\nexten => 1,1,NoOp()\n#include "ext.d/*.conf"\n#include missing.conf\n#tryinclude nothing.conf\n',
    '/etc/asterisk/ext.d/one.conf': '[b]\nexten => 2,1,NoOp()\n',
    '/etc/asterisk/ext.d/two.conf': '[c]\n#include ext.d/two.conf\n',
  });
  const cfg = readAsteriskConfig('/etc/asterisk/extensions.conf', { reader })!;
  assert.deepEqual(
    cfg.categories.map((c) => c.name),
    ['a', 'b', 'c'],
  );
  assert.deepEqual(cfg.files, ['/etc/asterisk/extensions.conf', '/etc/asterisk/ext.d/one.conf', '/etc/asterisk/ext.d/two.conf']);
  assert.deepEqual(
    cfg.problems.map((p) => [p.file, p.line, p.message]),
    [
      ['/etc/asterisk/ext.d/two.conf', 2, '#include ext.d/two.conf includes itself'],
      ['/etc/asterisk/extensions.conf', 4, '#include missing.conf: no such file'],
    ],
  );
  assert.equal(readAsteriskConfig('/etc/asterisk/none.conf', { reader }), null);
});

test('lines Asterisk would reject are reported with file and line', () => {
  const cfg = parseAsteriskConfig('orphan = 1\n[ok]\njust words\n[broken\n[x](+)\n', 'bad.conf');
  assert.deepEqual(
    cfg.problems.map((p) => p.line),
    [1, 3, 4, 5],
  );
  assert.match(cfg.problems[3]!.message, /does not exist/);
});

test('CRLF files read like LF files', () => {
  const cfg = parseAsteriskConfig('[general]\r\nenabled = yes\r\n', 'manager.conf');
  assert.equal(cfg.retrieve('general', 'enabled'), 'yes');
});
