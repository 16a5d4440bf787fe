// The pre-check on bytes (src/filters/byte-screen.ts) is only an optimisation: a line it turns away
// must be a line the full filter would have given its plain miss (no failure, not ignored, no note,
// nothing hostile). Checked over every annotated sample line with the filter its file names, and over
// a generated Asterisk log with colour codes, cut messages, CRLF and invalid UTF-8 mixed in, each
// corpus cut into lines by the screen's own reader loop (one chunk, lines found by their newline).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';
import { ByteScreen } from '../../src/filters/byte-screen.js';
import { MAX_LINE_CHARS, type LineFilter } from '../../src/filters/filter.js';
import { loadFilter } from '../../src/filters/load-filter.js';
import { asteriskLogLines } from '../../bench/gen-asterisk-log.js';
import { parseSampleFile } from './sample-file.js';

const root = packageRoot();
const samplesDir = join(root, 'fixtures', 'samples');

interface Row {
  readonly bytes: Buffer;
  /** The filter spec and timezone: each run loads its own instances (a filter keeps state). */
  readonly spec: string;
  readonly timezone: string;
  readonly source: string;
  readonly readAt: number;
}

interface Outcome {
  readonly unsound: string[];
  readonly turnedAway: number;
  readonly lines: number;
}

function loader(): (spec: string, timezone: string) => LineFilter {
  const filters = new Map<string, LineFilter>();
  return (spec, timezone) => {
    const key = `${spec}|${timezone}`;
    let f = filters.get(key);
    if (!f) filters.set(key, (f = loadFilter(spec, { configDir: root, timezone })));
    return f;
  };
}

/**
 * Runs the rows as one chunk, in order, as a reader does, twice: every line through the filter,
 * and only the lines the screen lets through. A line turned away must be a plain miss in the first
 * run, and every other line must give the same result in both (skipping a line loses no state).
 */
function check(rows: readonly Row[], screenOf: (f: LineFilter) => ByteScreen | null): Outcome {
  const chunk = Buffer.concat(rows.flatMap((r) => [r.bytes, Buffer.from('\n')]));
  const reference = loader();
  const screened = loader();
  const screens = new Map<LineFilter, ByteScreen | null>();
  const unsound: string[] = [];
  let turnedAway = 0;
  let start = 0;
  for (const r of rows) {
    const f = screened(r.spec, r.timezone);
    let screen = screens.get(f);
    if (screen === undefined) {
      screen = screenOf(f);
      screen?.begin(chunk);
      screens.set(f, screen);
    }
    const nl = chunk.indexOf(0x0a, start);
    const end = nl > start && chunk[nl - 1] === 0x0d ? nl - 1 : nl;
    const passed = screen === null || screen.mayMatch(start, end);
    const text = chunk.toString('utf8', start, end);
    start = nl + 1;
    const line = { source: r.source, text, readAt: r.readAt };
    const m = reference(r.spec, r.timezone).match(line);
    if (passed) {
      const again = f.match(line);
      try {
        assert.deepEqual(again, m);
      } catch {
        unsound.push(`differs after a skipped line: ${JSON.stringify(again.note ?? again.hostile ?? again.failure?.ip)}: ${text.slice(0, 140)}`);
      }
      continue;
    }
    turnedAway++;
    const plainMiss = m.failure === null && !m.ignored && m.regexIndex === -1 && m.dateFormat === null && m.note === undefined && !m.hostile?.length;
    if (!plainMiss) unsound.push(`${JSON.stringify(m.failure?.ip ?? m.note ?? m.hostile ?? m)}: ${text.slice(0, 140)}`);
  }
  return { unsound, turnedAway, lines: rows.length };
}

function sampleRows(): Row[] {
  const rows: Row[] = [];
  for (const dir of readdirSync(samplesDir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const file of readdirSync(join(samplesDir, dir.name)).filter((f) => f.endsWith('.log'))) {
      const path = join(samplesDir, dir.name, file);
      for (const s of parseSampleFile(readFileSync(path).toString('utf8'), path)) {
        rows.push({ bytes: Buffer.from(s.text, 'utf8'), spec: s.filter, timezone: s.timezone, source: s.source, readAt: s.readAt });
      }
    }
  }
  return rows;
}

/** A generated log, one line in five altered the way hostile or odd input is. */
function corpusRows(spec: string, count: number): Row[] {
  const gen = asteriskLogLines(7, 0.3);
  const rows: Row[] = [];
  const at = { spec, timezone: 'UTC', source: '/var/log/asterisk/messages', readAt: Date.UTC(2026, 2, 2) };
  for (let i = 0; i < count; i++) {
    let text = gen.next().value.text;
    switch (i % 25) {
      case 3: // colour codes everywhere in the message, splitting every literal
        text = text.replace(/(\S{2})(?=\S)/g, '$1\x1b[0m');
        break;
      case 8: // a caller field that cut the message: the rest, without any literal, comes on the next line
        text = text.slice(0, text.indexOf(']', 25) + 1) + ' Ext. 5551\nplain words, nothing to match';
        break;
      case 13: // CRLF
        text += '\r';
        break;
      case 18: // a literal's bytes split by invalid UTF-8
        rows.push({ bytes: Buffer.concat([Buffer.from(text.slice(0, 60)), Buffer.from([0xff, 0xc3]), Buffer.from(text.slice(60))]), ...at });
        continue;
      case 21: // a line over the character cap
        if (i % 1000 === 21) text += ' '.repeat(MAX_LINE_CHARS);
        break;
    }
    for (const part of text.split('\n')) rows.push({ bytes: Buffer.from(part, 'utf8'), ...at });
  }
  return rows;
}

const screenOf = (f: LineFilter): ByteScreen | null => f.byteScreen?.() ?? null;

test('the byte pre-check never turns away a line an annotated sample expects something of', () => {
  const out = check(sampleRows(), screenOf);
  assert.deepEqual(out.unsound, []);
  assert.ok(out.turnedAway > 10, `the screen turned away ${out.turnedAway} of ${out.lines} sample lines`);
});

test('the byte pre-check never turns away a line of a generated Asterisk log that the filter would match', () => {
  for (const spec of ['asterisk', 'asterisk[chan_sip_patched=yes]']) {
    assert.ok(loadFilter(spec, { configDir: root, timezone: 'UTC' }).byteScreen?.(), `${spec} has a byte screen`);
    const out = check(corpusRows(spec, 20_000), screenOf);
    assert.deepEqual(out.unsound, [], spec);
    // not vacuous: most noise is turned away, and the attacks still match
    assert.ok(out.turnedAway > out.lines / 3, `${spec}: turned away ${out.turnedAway} of ${out.lines}`);
  }
});

test('the soundness check fails for a screen with a wrong literal', () => {
  const wrong = (): ByteScreen => new ByteScreen([['no such literal']], [], MAX_LINE_CHARS);
  const out = check(sampleRows(), wrong);
  assert.ok(out.unsound.length > 10, `${out.unsound.length} unsound lines found`);
});

test('a literal counts only inside the line: not across a newline, nor in the next line', () => {
  const s = new ByteScreen([['abc']], [], 100);
  const chunk = Buffer.from('xab\ncxx\nzzabc\nab\n');
  s.begin(chunk);
  const seen: boolean[] = [];
  for (let start = 0, nl = chunk.indexOf(10); nl >= 0; start = nl + 1, nl = chunk.indexOf(10, start)) seen.push(s.mayMatch(start, nl));
  assert.deepEqual(seen, [false, false, true, false]);
});

test('each group needs one of its literals, a trigger lets the line through alone, and so does length', () => {
  const s = new ByteScreen([['failed', 'rejected'], ['NOTICE']], ['\x1b'], 20);
  const lines = ['NOTICE x failed', 'VERBOSE x failed', 'NOTICE rejected', 'NOTICE ok', 'a \x1b b', 'y'.repeat(21)];
  const chunk = Buffer.from(lines.join('\n') + '\n');
  s.begin(chunk);
  const seen: boolean[] = [];
  for (let start = 0, nl = chunk.indexOf(10); nl >= 0; start = nl + 1, nl = chunk.indexOf(10, start)) seen.push(s.mayMatch(start, nl));
  assert.deepEqual(seen, [true, false, true, false, true, true]);
});

test('literals are matched on their UTF-8 bytes, and ASCII literals without regard to case when the gate says so', () => {
  const lines = (s: ByteScreen, texts: string[]): boolean[] => {
    const chunk = Buffer.from(texts.join('\n') + '\n');
    s.begin(chunk);
    const seen: boolean[] = [];
    for (let start = 0, nl = chunk.indexOf(10); nl >= 0; start = nl + 1, nl = chunk.indexOf(10, start)) seen.push(s.mayMatch(start, nl));
    return seen;
  };
  assert.deepEqual(lines(new ByteScreen([['café']], [], 100), ['x café y', 'x cafe y', 'x CAFÉ y']), [true, false, false]);
  assert.deepEqual(lines(new ByteScreen([{ literals: ['failed'], ignoreCase: true }], [], 100), ['FAILED', 'Failed', 'faile']), [true, true, false]);
});
