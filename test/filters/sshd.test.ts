// Walks the annotated sshd samples (fixtures/samples/sshd*.log) through the shipped filter, the same
// compiled matcher the daemon runs. Format: a `# failJSON: {…}` line before each log line;
// `# filterOptions: {…}` once per file for jail arguments (fail2ban's sample conventions).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';
import type { LogLine } from '../../src/core/types.js';
import { loadFilter } from '../../src/filters/load-filter.js';
import type { JournalLine } from '../../src/sources/journal-source.js';
import { parseJournalMatch } from '../../src/sources/journal-match.js';
import { ConfigSet } from '../../src/config/config-set.js';

const ROOT = packageRoot();
const DIR = join(ROOT, 'fixtures', 'samples');
const READ_AT = Date.parse('2026-11-21T12:00:00Z');
// journal lines carry journald's receive time; a failure from one must take it, not READ_AT
const JOURNAL_TIME = READ_AT - 90_000;

interface Expect {
  match: boolean;
  host?: string;
  time?: string;
  kind?: string;
  user?: string;
  journal?: boolean;
}

interface Sample {
  readonly file: string;
  readonly lineNo: number;
  readonly text: string;
  readonly expect: Expect;
}

function readSamples(file: string): { options: Record<string, string>; samples: Sample[] } {
  const lines = readFileSync(join(DIR, file), 'utf8').split('\n');
  let options: Record<string, string> = {};
  let pending: Expect | null = null;
  const samples: Sample[] = [];
  lines.forEach((line, i) => {
    const opt = /^# filterOptions: (.*)$/.exec(line);
    const exp = /^# failJSON: (.*)$/.exec(line);
    if (opt) options = JSON.parse(opt[1]!) as Record<string, string>;
    else if (exp) pending = JSON.parse(exp[1]!) as Expect;
    else if (line.startsWith('#') || line === '') return;
    else {
      assert.ok(pending, `${file}:${i + 1} has no # failJSON annotation`);
      samples.push({ file, lineNo: i + 1, text: line, expect: pending });
      pending = null;
    }
  });
  return { options, samples };
}

function asLine(s: Sample): LogLine {
  if (!s.expect.journal) return { source: `/var/log/auth.log`, text: s.text, readAt: READ_AT };
  const j: JournalLine = { source: 'journal:ssh.service', text: s.text, readAt: READ_AT, time: JOURNAL_TIME, cursor: 'c', unit: 'ssh.service' };
  return j;
}

const files = readdirSync(DIR).filter((f) => /^sshd.*\.log$/.test(f)).sort();

test('the sshd samples exist, each line annotated, injection cases included', () => {
  assert.deepEqual(files, ['sshd-aggressive.log', 'sshd-pam.log', 'sshd.log']);
  const all = files.flatMap((f) => readSamples(f).samples);
  assert.ok(all.length >= 80, `${all.length} samples`);
  assert.ok(all.filter((s) => s.text.includes('6.6.6.6')).length >= 20, 'forged addresses in attacker-written fields');
});

for (const file of files) {
  test(`every line of fixtures/samples/${file} behaves as annotated, and a forged address is never taken`, () => {
    const { options, samples } = readSamples(file);
    const filter = loadFilter('sshd', { configDir: ROOT, args: options, timezone: 'UTC' });
    const wrong: string[] = [];
    for (const s of samples) {
      const where = `${s.file}:${s.lineNo}`;
      const m = filter.match(asLine(s));
      const f = m.failure;
      const got = f === null ? { match: false, note: m.note } : { match: true, host: f.ip, time: f.time, kind: f.kind, user: f.account, service: f.service, origin: f.origin };
      const e = s.expect;
      const ok =
        f?.ip !== '6.6.6.6' &&
        (f !== null) === e.match &&
        (f === null ||
          ((e.host === undefined || f.ip === e.host) &&
            f.time === (e.time !== undefined ? Date.parse(e.time) : e.journal ? JOURNAL_TIME : f.time) &&
            (e.kind === undefined || f.kind === e.kind) &&
            (e.user === undefined || f.account === e.user) &&
            f.service === 'SSH' &&
            f.origin === (e.journal ? 'journal' : 'log')));
      if (!ok) wrong.push(`${where}: ${s.text}\n    expected ${JSON.stringify(e)}\n    got      ${JSON.stringify(got)}`);
    }
    assert.deepEqual(wrong, [], `\n${wrong.join('\n')}`);
  });
}

test("sshd.conf's journalmatch parses, and names only fields journald sets itself", () => {
  const set = new ConfigSet();
  set.addFile(join(ROOT, 'filter.d', 'sshd.conf'));
  const terms = parseJournalMatch(set.get('Init', 'journalmatch') ?? '');
  assert.ok(terms.length > 0);
  for (const t of terms) if (t !== '+') assert.match(t, /^_SYSTEMD_(UNIT|SLICE)=/);
});

test('the journal time, not the read time, is the failure time of a journal line', () => {
  const filter = loadFilter('sshd', { configDir: ROOT, timezone: 'UTC' });
  const line: JournalLine = { source: 'journal:ssh.service', text: 'Invalid user x from 203.0.113.5 port 1', readAt: READ_AT, time: READ_AT - 300_000, cursor: 'c' };
  assert.equal(filter.match(line).failure?.time, READ_AT - 300_000);
});
