// The file tail runs the filter's literal pre-check on bytes (filters/byte-screen.ts) before it
// decodes a line: a line turned away is only counted. Proved the way it matters: the same file read
// by a tail with the screen and by one without, each into its own instance of the shipped filter,
// gives the same failures in the same order and the same line count; the screened tail decodes far
// fewer lines. The file mixes a generated Asterisk log with the odd input the screen must let
// through: colour codes splitting literals, a message cut by a newline in a caller field, CRLF,
// invalid UTF-8 inside a literal, and lines longer than one read (held across reads).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileTail } from '../../src/sources/file-tail.js';
import { loadFilter } from '../../src/filters/load-filter.js';
import { packageRoot } from '../../src/core/paths.js';
import type { LogLine } from '../../src/core/types.js';
import { asteriskLogLines } from '../../bench/gen-asterisk-log.js';
import { kit, tempDir } from './file-kit.js';

const OPTS = { maxLineBytes: 256 * 1024, rotateGraceMs: 5_000, initialBackBytes: 1 << 30 };

function corpus(count: number): Buffer {
  const gen = asteriskLogLines(11, 0.2);
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const { text } = gen.next().value;
    let t = text;
    switch (i % 20) {
      case 3:
        t = t.replace(/(\S{2})(?=\S)/g, '$1\x1b[0m');
        break;
      case 7:
        t = t.slice(0, t.indexOf(']', 25) + 1) + ' Ext. 5551\nplain words, nothing to match';
        break;
      case 11:
        t += '\r';
        break;
      case 15:
        parts.push(Buffer.concat([Buffer.from(t.slice(0, 60)), Buffer.from([0xff, 0xc3]), Buffer.from(t.slice(60)), Buffer.from('\n')]));
        continue;
      case 17:
        // longer than one 64 KiB read: it is held across reads (and still matched when it is a failure)
        if (i % 400 === 17) t = t + ' ' + 'x'.repeat(70_000);
        break;
    }
    parts.push(Buffer.from(t + '\n', 'utf8'));
  }
  return Buffer.concat(parts);
}

async function readAll(path: string, screened: boolean) {
  const filter = loadFilter('asterisk', { configDir: packageRoot(), timezone: 'UTC' });
  const k = kit();
  const failures: string[] = [];
  let decoded = 0;
  let skipped = 0;
  const onLine = (l: LogLine): void => {
    decoded++;
    const m = filter.match(l);
    if (m.failure) failures.push(`${m.failure.ip} ${m.failure.time} ${m.failure.kind}`);
    if (m.hostile?.length) failures.push(`hostile ${m.hostile.join(',')}`);
  };
  const deps = screened
    ? { ...k.deps, onLine, screen: () => filter.byteScreen!(), onSkip: (_: string, n: number) => void (skipped += n) }
    : { ...k.deps, onLine };
  const tail = new FileTail(path, deps, OPTS);
  await tail.check();
  await tail.close();
  return { failures, decoded, skipped, lines: tail.status().lines };
}

test('a tail with the byte pre-check gives the same failures as one without, and decodes far fewer lines', async (t) => {
  const path = join(tempDir(t), 'messages');
  writeFileSync(path, corpus(30_000));
  const plain = await readAll(path, false);
  const screened = await readAll(path, true);
  assert.ok(plain.failures.length > 1000, `the corpus holds failures (${plain.failures.length})`);
  assert.deepEqual(screened.failures, plain.failures);
  assert.equal(screened.lines, plain.lines, 'every line counted, decoded or not');
  assert.equal(screened.decoded + screened.skipped, plain.decoded);
  assert.ok(screened.skipped > plain.decoded / 3, `turned away ${screened.skipped} of ${plain.decoded} lines undecoded`);
});

test('without onSkip nothing is screened (a line is never lost to an uncounted skip)', async (t) => {
  const path = join(tempDir(t), 'messages');
  writeFileSync(path, corpus(2_000));
  const filter = loadFilter('asterisk', { configDir: packageRoot(), timezone: 'UTC' });
  const k = kit();
  const tail = new FileTail(path, { ...k.deps, screen: () => filter.byteScreen!() }, OPTS);
  await tail.check();
  await tail.close();
  assert.equal(k.lines.length, tail.status().lines);
});
