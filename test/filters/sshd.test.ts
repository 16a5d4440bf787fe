// The sshd samples (fixtures/samples/sshd/, walked line by line by samples.test.ts) seen from the
// journal's side, and the filter's journalmatch.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigSet } from '../../src/config/config-set.js';
import { packageRoot } from '../../src/core/paths.js';
import { loadFilter } from '../../src/filters/load-filter.js';
import { parseJournalMatch } from '../../src/config/journal-match.js';
import type { JournalLine } from '../../src/sources/journal-source.js';
import { parseSampleFile, type SampleLine } from './sample-file.js';

const ROOT = packageRoot();
const DIR = join(ROOT, 'fixtures', 'samples', 'sshd');

function samples(): SampleLine[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.log'))
    .sort()
    .flatMap((f) => parseSampleFile(readFileSync(join(DIR, f), 'utf8'), f));
}

test('the sshd samples cover syslog and journal lines of every mode, attacker cases included', () => {
  const all = samples();
  assert.deepEqual([...new Set(all.map((s) => s.filter))], ['sshd', 'sshd[mode=aggressive]', 'sshd[pam=yes]']);
  assert.ok(all.length >= 80, `${all.length} samples`);
  assert.ok(all.filter((s) => s.source.startsWith('journal:')).length >= 10, 'journal lines');
  assert.ok(all.filter((s) => s.text.includes('6.6.6.6')).length >= 20, 'forged addresses in attacker-written fields');
  const kinds = new Set(all.map((s) => s.expect.fields['kind']).filter(Boolean));
  for (const k of [
    'ssh-auth',
    'ssh-invalid-user',
    'ssh-user-denied',
    'ssh-maxtries',
    'ssh-preauth-close',
    'ssh-banner',
    'ssh-kex',
    'ssh-protocol',
    'ssh-probe',
    'ssh-pam',
  ]) {
    assert.ok(kinds.has(k), `no sample of ${k}`);
  }
});

test('every journal sample that fails takes the journal time of its entry, not the time it was read', () => {
  const filters = new Map<string, ReturnType<typeof loadFilter>>();
  const wrong: string[] = [];
  let checked = 0;
  for (const s of samples().filter((x) => x.source.startsWith('journal:') && x.expect.kind === 'failure')) {
    const filter = filters.get(s.filter) ?? loadFilter(s.filter, { configDir: ROOT, timezone: s.timezone });
    filters.set(s.filter, filter);
    const line: JournalLine = { source: s.source, text: s.text, readAt: s.readAt, time: s.readAt - 90_000, cursor: 'c' };
    const f = filter.match(line).failure;
    checked++;
    if (f === null || f.ip !== s.expect.ip || f.time !== line.time || f.origin !== 'journal') wrong.push(`${s.lineNo}: ${s.text} → ${JSON.stringify(f)}`);
  }
  assert.ok(checked >= 10);
  assert.deepEqual(wrong, []);
});

test("sshd.conf's journalmatch parses, and names only fields journald sets itself", () => {
  const set = new ConfigSet();
  set.addFile(join(ROOT, 'filter.d', 'sshd.conf'));
  const terms = parseJournalMatch(set.get('Init', 'journalmatch') ?? '');
  assert.ok(terms.length > 0);
  for (const t of terms) if (t !== '+') assert.match(t, /^_SYSTEMD_(UNIT|SLICE)=/);
});
