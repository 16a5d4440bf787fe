// `voipguard regex` reads its file on bytes and, with the filter's byte screen, decodes only the lines
// that may match. The screen must change nothing but the work: the same lines in the same order, the
// same counts (every line, over-cap lines, invalid UTF-8, the unterminated last line), across chunk
// boundaries, CRLF and invalid bytes; and a skipped line is one the filter misses.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asteriskLogLines } from '../../bench/gen-asterisk-log.js';
import { readLines } from '../../src/cli/regex-input.js';
import { packageRoot } from '../../src/core/paths.js';
import { MAX_LINE_CHARS } from '../../src/filters/filter.js';
import { loadFilter } from '../../src/filters/load-filter.js';

const CAP = MAX_LINE_CHARS * 4;

function logBytes(): Buffer {
  const gen = asteriskLogLines(11, 0.2);
  const parts: Buffer[] = [];
  for (let i = 0; i < 15_000; i++) {
    const text = gen.next().value.text;
    if (i % 97 === 5) parts.push(Buffer.from(text + '\r\n'));
    else if (i % 101 === 7) parts.push(Buffer.concat([Buffer.from(text.slice(0, 50)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(text.slice(50) + '\n')]));
    else if (i % 103 === 9) parts.push(Buffer.from(text.replace('NOTICE', 'NOTICE caf\u00e9 \uFFFD') + '\n'));
    else if (i === 6000)
      parts.push(Buffer.from('x'.repeat(CAP + 10) + ' failed for\n')); // over the cap, across chunks
    else if (i % 211 === 11)
      parts.push(Buffer.from(`${text.slice(0, text.indexOf(']', 25) + 1)} Ext. 5551\nplain words\n${text}\n`)); // a cut message, its rest, an ordinary line
    else if (i === 9000)
      parts.push(Buffer.from('y'.repeat(MAX_LINE_CHARS + 5) + '\n')); // over the filter's cap only
    else parts.push(Buffer.from(text + '\n'));
  }
  parts.push(Buffer.from('[2026-03-01 00:00:00] NOTICE[1] chan_sip.c: no newline'));
  return Buffer.concat(parts);
}

test('with the byte screen, regex reads the same lines, counts the same, and skips only lines the filter misses', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-regex-input-'));
  try {
    const path = join(dir, 'messages');
    const bytes = logBytes();
    assert.ok(bytes.length > 2 * (1 << 20), 'several chunks');
    writeFileSync(path, bytes);
    const read = (screened: boolean) => {
      const filter = loadFilter('asterisk', { configDir: packageRoot(), timezone: 'UTC' });
      const seen: (string | null)[] = [];
      const results: unknown[] = [];
      const screen = screened ? filter.byteScreen!() : null;
      assert.ok(!screened || screen !== null);
      const fd = openSync(path, 'r');
      try {
        const onLine = (t: string): void => {
          seen.push(t);
          results.push(filter.match({ source: path, text: t, readAt: 0 }));
        };
        const onSkip = (lines: number): void => {
          for (let i = 0; i < lines; i++) {
            seen.push(null);
            results.push(null);
          }
        };
        const stats = readLines(fd, CAP, onLine, screen && { screen, onSkip });
        return { stats, seen, results };
      } finally {
        closeSync(fd);
      }
    };
    const all = read(false);
    const some = read(true);
    assert.deepEqual(some.stats, all.stats);
    assert.equal(some.seen.length, all.seen.length);
    assert.equal(all.stats.lines, all.seen.length);
    assert.equal(all.stats.tooLong, 1);
    assert.ok(all.stats.invalidUtf8 > 148, `invalid UTF-8 lines: ${all.stats.invalidUtf8}`);
    assert.equal(all.stats.truncatedLastLine, true);
    const reference = loadFilter('asterisk', { configDir: packageRoot(), timezone: 'UTC' });
    let skipped = 0;
    for (let i = 0; i < all.seen.length; i++) {
      const text = all.seen[i]!;
      assert.ok(!text.endsWith('\r'), 'CR removed');
      const m = reference.match({ source: path, text, readAt: 0 });
      if (some.seen[i] === null) {
        skipped++;
        assert.ok(m.failure === null && m.note === undefined && !m.hostile?.length && !m.ignored, `skipped line ${i + 1} is not a plain miss`);
      } else {
        assert.equal(some.seen[i], text, `line ${i + 1}`);
        assert.deepEqual(some.results[i], m, `line ${i + 1}: the same result as when no line is skipped`);
      }
    }
    assert.ok(skipped > all.seen.length / 2, `skipped ${skipped} of ${all.seen.length}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
