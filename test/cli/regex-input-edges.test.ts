// The edges of `voipguard regex`'s reads, where a byte screen could go wrong: a failure line whose
// literal, multi-byte character or CRLF is cut by the end of a read, and a failure line longer than
// a read. Each log is read with and without the filter's byte screen: the same lines, the same
// counts, and the failure found both ways (an attacker who can place his line at a read boundary
// must not be able to hide it from the pre-check).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { READ_BYTES, readLines } from '../../src/cli/regex-input.js';
import { packageRoot } from '../../src/core/paths.js';
import { MAX_LINE_CHARS } from '../../src/filters/filter.js';
import { loadFilter } from '../../src/filters/load-filter.js';
import { failureLine, logWith as logAt } from '../helpers/boundary-log.js';

const CAP = MAX_LINE_CHARS * 4;
const logWith = (line: Buffer, at: number): Buffer => logAt(line, at, 50);

function readBoth(bytes: Buffer): { plain: ReturnType<typeof readOnce>; screened: ReturnType<typeof readOnce> } {
  const dir = mkdtempSync(join(tmpdir(), 'vg-regex-edges-'));
  try {
    const path = join(dir, 'messages');
    writeFileSync(path, bytes);
    return { plain: readOnce(path, false), screened: readOnce(path, true) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readOnce(path: string, screened: boolean) {
  const filter = loadFilter('asterisk', { configDir: packageRoot(), timezone: 'UTC' });
  const screen = screened ? filter.byteScreen!() : null;
  if (screened) assert.ok(screen !== null, 'the shipped filter has a byte screen');
  const seen: (string | null)[] = [];
  const ips: string[] = [];
  const fd = openSync(path, 'r');
  try {
    const stats = readLines(
      fd,
      CAP,
      (t) => {
        seen.push(t);
        const m = filter.match({ source: path, text: t, readAt: 0 });
        if (m.failure) ips.push(m.failure.ip);
      },
      screen && { screen, onSkip: (n) => seen.push(...new Array<null>(n).fill(null)) },
    );
    return { stats, seen, ips };
  } finally {
    closeSync(fd);
  }
}

function assertSame(bytes: Buffer, ip: string): void {
  const { plain, screened } = readBoth(bytes);
  assert.deepEqual(plain.ips, [ip], 'read without the screen, the failure is found');
  assert.deepEqual(screened.ips, [ip], 'read with the screen, the failure is found');
  assert.deepEqual(screened.stats, plain.stats);
  assert.equal(screened.seen.length, plain.seen.length);
  for (let i = 0; i < plain.seen.length; i++) if (screened.seen[i] !== null) assert.equal(screened.seen[i], plain.seen[i]);
}

test('a literal cut by the end of a read is still found (every cut of "failed for")', () => {
  const line = Buffer.from(failureLine('100', '192.0.2.10'));
  const lit = line.indexOf("failed for '");
  for (let cut = 1; cut < 12; cut++) assertSame(logWith(line, READ_BYTES - lit - cut), '192.0.2.10');
});

test('a multi-byte character cut by the end of a read, before and inside the literal part', () => {
  const line = Buffer.from(failureLine('caf\u00e9\u20ac\u{1F600}', '192.0.2.11'));
  const euro = line.indexOf(Buffer.from('\u20ac'));
  for (let cut = 1; cut <= 6; cut++) assertSame(logWith(line, READ_BYTES - euro - cut), '192.0.2.11');
});

test('a CRLF line whose CR ends one read and LF starts the next', () => {
  const line = Buffer.from(failureLine('101', '192.0.2.12', '\r\n'));
  assertSame(logWith(line, READ_BYTES - line.length + 1), '192.0.2.12');
  // and whose newline alone starts the next read
  assertSame(logWith(line, READ_BYTES - line.length + 2), '192.0.2.12');
});

test('a failure line longer than a read (multi-byte, under the filter cap in characters)', () => {
  // 30,000 characters of three bytes: about 90 KB, more than one read, fewer than MAX_LINE_CHARS characters
  const user = '\u20ac'.repeat(30_000);
  const line = Buffer.from(failureLine(user, '192.0.2.13'));
  assert.ok(line.length > READ_BYTES && line.toString().length < MAX_LINE_CHARS);
  assertSame(logWith(line, 1000), '192.0.2.13');
  assertSame(logWith(line, READ_BYTES - 10), '192.0.2.13');
});

test('invalid UTF-8 cut by a read boundary right before the literal', () => {
  const line = Buffer.concat([Buffer.from(failureLine('a', '192.0.2.14').replace('chan_sip.c:', 'chan_sip.c: \u00ff')), Buffer.alloc(0)]);
  const raw = Buffer.from(line);
  const at = raw.indexOf(Buffer.from('\u00ff'));
  raw[at] = 0xc3;
  raw[at + 1] = 0x28; // 0xC3 0x28: invalid
  for (let cut = 0; cut < 3; cut++) {
    const { plain, screened } = readBoth(logWith(raw, READ_BYTES - at - cut));
    assert.deepEqual(screened.stats, plain.stats);
    assert.deepEqual(screened.ips, plain.ips);
  }
});
