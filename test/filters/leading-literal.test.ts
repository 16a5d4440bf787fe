// The leading literal (src/filters/leading-literal.ts) lets the filter skip a failregex whose start
// is not the content's start. It must never skip a rule that would match: checked on hand-made
// sources (the attacker's shapes first: alternation, optional characters, flags, escapes that are
// classes), then against the regexes of every shipped filter variant, whose matches over every
// suffix of the annotated sample lines and of a generated log must all start with the literal.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';
import { leadingLiteral } from '../../src/filters/leading-literal.js';
import { translatePythonRegex } from '../../src/filters/python-regex.js';
import { loadFilter } from '../../src/filters/load-filter.js';
import type { CompiledFilter } from '../../src/filters/line-filter.js';
import type { CompiledRule } from '../../src/filters/compile-rule.js';
import { asteriskLogLines } from '../../bench/gen-asterisk-log.js';
import { parseSampleFile } from './sample-file.js';

const lead = (py: string): string => {
  const t = translatePythonRegex(py);
  return leadingLiteral(t.source, t.flags);
};

test('nothing is assumed where a match may start otherwise', () => {
  assert.equal(lead('^chan_sip\\.c: a|^manager\\.c: b'), ''); // top-level alternation
  assert.equal(lead('chan_sip\\.c: x'), ''); // not anchored
  assert.equal(lead('(?i)^chan_sip\\.c:'), ''); // any case
  assert.equal(lead('(?m)^chan_sip\\.c:'), ''); // ^ after any newline
  assert.equal(lead('^(?:[\\w.-]+/)*pjsip_distributor\\.c:'), '');
  assert.equal(lead('^\\s*NOTICE'), '');
  assert.equal(lead('^\\d+ x'), '');
  assert.equal(lead('^(?=chan)chan_sip'), '');
  assert.equal(lead('^[Cc]han'), '');
});

test('a quantified character ends the literal before it', () => {
  assert.equal(lead('^chan_sipx?\\.c:'), 'chan_sip');
  assert.equal(lead('^abc*d'), 'ab');
  assert.equal(lead('^abc+d'), 'ab');
  assert.equal(lead('^abc{0,2}d'), 'ab');
  assert.equal(lead('^ab\\.?c'), 'ab');
});

test('escaped punctuation is itself, an escaped letter or digit is a class', () => {
  assert.equal(lead('^chan_sip\\.c:(?:\\d+(?: in)? \\w+:)? +Registration'), 'chan_sip.c:');
  assert.equal(lead('^Ext\\. \\S+'), 'Ext. ');
  assert.equal(lead('^a\\/b\\(c\\)'), 'a/b(c)');
  assert.equal(lead('^ab\\bc'), 'ab');
});

const root = packageRoot();

function sampleLines(): string[] {
  const out: string[] = [];
  for (const dir of ['asterisk', 'sshd']) {
    for (const f of readdirSync(join(root, 'fixtures', 'samples', dir))) {
      const file = join(root, 'fixtures', 'samples', dir, f);
      for (const l of parseSampleFile(readFileSync(file, 'utf8'), file)) out.push(l.text);
    }
  }
  const gen = asteriskLogLines(7, 0.5);
  for (let i = 0; i < 600; i++) out.push(gen.next().value.text);
  return out;
}

test("every shipped rule's matches start with its leading literal, wherever the content starts", () => {
  const specs = ['asterisk', 'asterisk[chan_sip_patched=yes]', 'asterisk[pjsip_notice=no]', 'sshd', 'sshd[mode=aggressive]', 'sshd[pam=yes]'];
  const lines = sampleLines();
  let withLead = 0;
  let matches = 0;
  for (const spec of specs) {
    const f = loadFilter(spec, { configDir: root, timezone: 'UTC' }) as CompiledFilter;
    const rules = (f as unknown as { p: { failregex: readonly CompiledRule[] } }).p.failregex;
    for (const r of rules) {
      if (!r.lead) continue;
      withLead++;
      for (const line of lines) {
        // every suffix: the content a rule sees is some part of a line after its prefix
        for (let s = 0; s < line.length; s++) {
          const text = line.slice(s);
          if (!r.re.test(text)) continue;
          matches++;
          assert.ok(text.startsWith(r.lead), `${spec}: ${r.text} matched ${JSON.stringify(text)} without ${JSON.stringify(r.lead)}`);
        }
      }
    }
  }
  assert.ok(withLead >= 10, `rules with a leading literal: ${withLead}`);
  assert.ok(matches > 100, `matches checked: ${matches}`);
});
