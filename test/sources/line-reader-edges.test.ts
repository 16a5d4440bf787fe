// The daemon's tail reads 64 KB at a time and screens a line on its bytes before decoding it. At
// the edge of a read a line is held and decoded whole, never screened against half of its bytes:
// a failure whose literal, multi-byte character or CRLF is cut by the end of a read is found with
// the screen as without it (an attacker who can place his line at a read boundary gains nothing).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileLineReader } from '../../src/sources/file-line-reader.js';
import { packageRoot } from '../../src/core/paths.js';
import { loadFilter } from '../../src/filters/load-filter.js';
import { failureLine, logWith as logAt } from '../helpers/boundary-log.js';

const READ = 64 * 1024; // the reader's read size
const logWith = (line: Buffer, at: number): Buffer => logAt(line, at, 20);

async function failures(path: string, screened: boolean): Promise<{ ips: string[]; lines: number }> {
  const filter = loadFilter('asterisk', { configDir: packageRoot(), timezone: 'UTC' });
  const screen = screened ? filter.byteScreen!() : null;
  const handle = await open(path, 'r');
  const reader = new FileLineReader(handle, statSync(path).ino, 0, 256 * 1024);
  const ips: string[] = [];
  try {
    const r = await reader.drain((text) => {
      const m = filter.match({ source: path, text, readAt: 0 });
      if (m.failure) ips.push(m.failure.ip);
    }, screen);
    if (screened) assert.ok(r.skipped > 0, 'the screen turned lines away');
    return { ips, lines: r.lines };
  } finally {
    await reader.close();
  }
}

async function assertFound(bytes: Buffer, ip: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vg-reader-edges-'));
  try {
    const path = join(dir, 'messages');
    writeFileSync(path, bytes);
    const plain = await failures(path, false);
    const screened = await failures(path, true);
    assert.deepEqual(plain.ips, [ip]);
    assert.deepEqual(screened.ips, [ip]);
    assert.equal(screened.lines, plain.lines);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a literal cut by the end of a read (every cut of "failed for")', async () => {
  const line = Buffer.from(failureLine('100', '192.0.2.20'));
  const lit = line.indexOf("failed for '");
  for (let cut = 1; cut < 12; cut++) await assertFound(logWith(line, READ - lit - cut), '192.0.2.20');
});

test('a multi-byte character cut by the end of a read', async () => {
  const line = Buffer.from(failureLine('caf\u00e9\u20ac\u{1F600}', '192.0.2.21'));
  const euro = line.indexOf(Buffer.from('\u20ac'));
  for (let cut = 1; cut <= 6; cut++) await assertFound(logWith(line, READ - euro - cut), '192.0.2.21');
});

test('CRLF with the CR at the end of one read and the LF at the start of the next', async () => {
  const line = Buffer.from(failureLine('101', '192.0.2.22', '\r\n'));
  await assertFound(logWith(line, READ - line.length + 1), '192.0.2.22');
  await assertFound(logWith(line, READ - line.length + 2), '192.0.2.22');
});

test('a failure line longer than a read', async () => {
  const line = Buffer.from(failureLine('\u20ac'.repeat(30_000), '192.0.2.23'));
  assert.ok(line.length > READ);
  await assertFound(logWith(line, 1000), '192.0.2.23');
  await assertFound(logWith(line, READ - 10), '192.0.2.23');
});
