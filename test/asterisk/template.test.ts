import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTemplate } from '../../src/asterisk/template.js';
import { VoipguardError } from '../../src/core/errors.js';

test('values fill {{name}}; lone block tags vanish with their line; blocks nest', () => {
  const t = 'a {{x}}\n{{#if on}}\nyes {{x}}\n{{#if off}}\nno\n{{else}}\ninner-else\n{{/if}}\n{{else}}\nnever\n{{/if}}\nend\n';
  assert.equal(renderTemplate(t, { x: 'X', on: true, off: false }), 'a X\nyes X\ninner-else\nend\n');
  assert.equal(renderTemplate(t, { x: 'X', on: false, off: false }), 'a X\nnever\nend\n');
});

test('a value with a line break or ";" would change the config it lands in: refused', () => {
  for (const bad of ['a\nb', 'a\r', 'x;y']) {
    assert.throws(() => renderTemplate('k = {{v}}', { v: bad }), VoipguardError);
  }
});

test('a missing value or an unclosed block is a template bug', () => {
  assert.throws(() => renderTemplate('{{nope}}', {}), /no value for \{\{nope\}\}/);
  assert.throws(() => renderTemplate('{{#if a}}x', { a: true }), /not closed/);
  assert.throws(() => renderTemplate('x{{/if}}', {}), /unbalanced/);
});
