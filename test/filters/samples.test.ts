import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';
import type { FilterMatch, LineFilter } from '../../src/filters/filter.js';
import { loadFilter } from '../../src/filters/load-filter.js';
import { parseSampleFile, type SampleLine } from './sample-file.js';

// Every annotated line of fixtures/samples/<filter>/ against the shipped filter.d, with the matcher
// the daemon uses. All mismatches of a file are reported together.

const root = packageRoot();
const samplesDir = join(root, 'fixtures', 'samples');
const filters = new Map<string, LineFilter>();

function filterFor(s: SampleLine): LineFilter {
  const key = `${s.filter}|${s.timezone}`;
  let f = filters.get(key);
  if (!f) {
    f = loadFilter(s.filter, { configDir: root, timezone: s.timezone });
    filters.set(key, f);
  }
  return f;
}

function check(s: SampleLine, m: FilterMatch): string[] {
  const e = s.expect;
  const f = m.failure;
  const problems: string[] = [];
  if (e.kind === 'failure') {
    if (!f) return [`expected ${e.ip}, got no failure (note: ${m.note ?? '-'})`];
    if (f.ip !== e.ip) problems.push(`ip ${f.ip}, expected ${e.ip}`);
    if (f.time !== e.time) problems.push(`time ${new Date(f.time).toISOString()}, expected ${new Date(e.time!).toISOString()}`);
    if (f.line !== s.text) problems.push('failure.line is not the original line');
  } else if (f) {
    return [`expected ${e.kind}, got ${f.ip} (${f.kind})`];
  } else if ((e.kind === 'ignored') !== m.ignored) {
    problems.push(`ignored=${m.ignored}`);
  }
  const actual: Record<string, string | undefined> = {
    kind: f?.kind,
    service: f?.service,
    transport: f?.transport,
    session: f?.sessionId,
    account: f?.account,
    note: m.note,
  };
  for (const [k, want] of Object.entries(e.fields)) {
    if (!(k in actual)) problems.push(`unknown expectation key ${k}`);
    else if ((actual[k] ?? null) !== want) problems.push(`${k}=${JSON.stringify(actual[k] ?? null)}, expected ${JSON.stringify(want)}`);
  }
  if (Boolean(m.hostile?.length) !== e.hostile) problems.push(`hostile=${JSON.stringify(m.hostile ?? [])}`);
  return problems;
}

for (const dir of readdirSync(samplesDir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
  for (const file of readdirSync(join(samplesDir, dir.name))
    .filter((f) => f.endsWith('.log'))
    .sort()) {
    test(`every annotated line of samples/${dir.name}/${file} behaves as written`, () => {
      const path = join(samplesDir, dir.name, file);
      const samples = parseSampleFile(readFileSync(path).toString('utf8'), path);
      assert.ok(samples.length > 0, 'a sample file with no lines');
      const failures: string[] = [];
      for (const s of samples) {
        const m = filterFor(s).match({ source: s.source, text: s.text, readAt: s.readAt });
        const p = check(s, m);
        if (p.length) failures.push(`${file}:${s.lineNo}: ${p.join('; ')}\n    ${s.text.slice(0, 160)}`);
      }
      assert.equal(failures.length, 0, `\n${failures.join('\n')}`);
    });
  }
}
