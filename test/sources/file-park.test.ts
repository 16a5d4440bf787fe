// A parked file (closed while idle, followed by inode, offset and first line) goes through every
// rotation exactly as an open one: the same stories as file-tail.test.ts, parked before each change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, readdirSync, renameSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileTail } from '../../src/sources/file-tail.js';
import { kit, numbered, seq, tempDir } from './file-kit.js';

const OPTS = { maxLineBytes: 1024, rotateGraceMs: 5_000, initialBackBytes: 1 << 20 };

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

test('a parked file holds no descriptor and is not reopened while it does not change', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, numbered('a', 0, 2));
  const k = kit();
  const tail = new FileTail(path, k.deps, OPTS);
  await tail.check();
  const before = openFds();
  assert.equal(await tail.park(), true);
  assert.equal(tail.isParked, true);
  assert.equal(openFds(), before - 1);
  await tail.check();
  assert.equal(tail.isParked, true, 'an unchanged file stays closed');
  assert.equal(tail.status().state, 'reading');
  appendFileSync(path, numbered('a', 2, 1));
  await tail.check();
  assert.equal(tail.isParked, false);
  assert.deepEqual(k.texts(), seq('a', 0, 3));
  await tail.close();
});

test('a partial last line keeps the file open: it is not parked', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, 'a 0\na 1 half');
  const k = kit();
  const tail = new FileTail(path, k.deps, OPTS);
  await tail.check();
  assert.equal(await tail.park(), false);
  appendFileSync(path, ' done\n');
  await tail.check();
  assert.deepEqual(k.texts(), ['a 0', 'a 1 half done']);
  await tail.close();
});

test('parked, then renamed and created: the renamed file is found by inode, read to its end, then the new one', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'security.log');
  writeFileSync(path, numbered('x', 0, 5));
  const k = kit();
  const tail = new FileTail(path, k.deps, OPTS);
  await tail.check();
  assert.equal(await tail.park(), true);
  appendFileSync(path, numbered('x', 5, 2));
  renameSync(path, path + '.1');
  appendFileSync(path + '.1', numbered('x', 7, 2));
  writeFileSync(path, numbered('y', 0, 3));
  await tail.check();
  appendFileSync(path + '.1', numbered('x', 9, 1));
  await tail.check();
  assert.deepEqual(
    k.texts().filter((s) => s.startsWith('x')),
    seq('x', 0, 10),
  );
  assert.deepEqual(
    k.texts().filter((s) => s.startsWith('y')),
    seq('y', 0, 3),
  );
  assert.equal(tail.status().rotations, 1);
  assert.equal(tail.status().draining, 1);
  await tail.close();
});

test('parked, then copytruncate: the lines not read yet come from the copy, then the file from 0', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, numbered('m', 0, 4));
  const k = kit();
  const tail = new FileTail(path, k.deps, OPTS);
  await tail.check();
  assert.equal(await tail.park(), true);
  appendFileSync(path, numbered('m', 4, 2));
  copyFileSync(path, path + '.1');
  truncateSync(path, 0);
  appendFileSync(path, numbered('n', 0, 2));
  await tail.check();
  assert.deepEqual(k.texts(), [...seq('m', 0, 6), ...seq('n', 0, 2)]);
  assert.equal(tail.status().truncations, 1);
  await tail.close();
});

test('parked, then truncated in place and grown back past the offset: read again from 0', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, numbered('m', 0, 2));
  const k = kit();
  const tail = new FileTail(path, k.deps, OPTS);
  await tail.check();
  assert.equal(await tail.park(), true);
  writeFileSync(path, numbered('z', 0, 5));
  await tail.check();
  assert.deepEqual(k.texts(), [...seq('m', 0, 2), ...seq('z', 0, 5)]);
  await tail.close();
});

test('parked, then deleted and recreated: the new file is read from its start', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, numbered('m', 0, 2));
  const k = kit();
  const tail = new FileTail(path, k.deps, OPTS);
  await tail.check();
  assert.equal(await tail.park(), true);
  unlinkSync(path);
  await tail.check();
  assert.equal(tail.status().state, 'waiting');
  writeFileSync(path, numbered('n', 0, 2));
  await tail.check();
  assert.deepEqual(k.texts(), [...seq('m', 0, 2), ...seq('n', 0, 2)]);
  await tail.close();
});

test('a parked position survives a restart: the next start resumes where the parked file was', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, numbered('m', 0, 2));
  const k = kit();
  const tail = new FileTail(path, k.deps, OPTS);
  await tail.check();
  assert.equal(await tail.park(), true);
  await tail.close();
  appendFileSync(path, numbered('m', 2, 1));
  const k2 = kit(k.store);
  const again = new FileTail(path, k2.deps, OPTS);
  await again.check();
  assert.deepEqual(k2.texts(), ['m 2']);
  await again.close();
});
