import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, renameSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileTail, ROTATED_KEY } from '../../src/sources/file-tail.js';
import { kit, MapPositions, numbered, seq, tempDir } from './file-kit.js';
import type { FilePosition } from '../../src/store/store.js';
import { memoryLogger } from '../fakes/memory-logger.js';

const OPTS = { maxLineBytes: 1024, rotateGraceMs: 5_000, initialBackBytes: 1 << 20 };

/** One run of the service over the file: start, read what is there, stop. */
async function runOnce(path: string, store?: MapPositions, opts = OPTS) {
  const k = kit(store);
  const tail = new FileTail(path, k.deps, opts);
  await tail.check();
  await tail.close();
  return { ...k, status: tail.status() };
}

test('appended lines are read once each, and a partial last line waits for its newline', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, numbered('a', 0, 3));
  const k = kit();
  const tail = new FileTail(path, k.deps, OPTS);
  await tail.check();
  assert.deepEqual(k.texts(), seq('a', 0, 3));
  appendFileSync(path, 'a 3\na 4 half');
  await tail.check();
  await tail.check();
  assert.deepEqual(k.texts(), seq('a', 0, 4));
  appendFileSync(path, ' done\r\n');
  await tail.check();
  assert.deepEqual(k.texts().slice(4), ['a 4 half done']);
  assert.equal(k.lines[0]!.source, path);
  assert.equal(k.lines[0]!.readAt, k.clock.now());
  assert.equal(k.store.getPosition(path)!.offset, statSync(path).size);
  await tail.close();
});

test('rename and create: lines Asterisk still writes to the renamed file are read, then the new file from its start', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'security.log');
  writeFileSync(path, numbered('x', 0, 5));
  const k = kit();
  const tail = new FileTail(path, k.deps, OPTS);
  await tail.check();
  appendFileSync(path, numbered('x', 5, 2)); // not read before the rotation
  renameSync(path, path + '.1');
  appendFileSync(path + '.1', numbered('x', 7, 2)); // Asterisk has not reopened yet
  writeFileSync(path, numbered('y', 0, 3));
  await tail.check();
  appendFileSync(path + '.1', numbered('x', 9, 1)); // still within the grace period
  appendFileSync(path, numbered('y', 3, 1));
  await tail.check();
  assert.deepEqual(
    k.texts().filter((s) => s.startsWith('x')),
    seq('x', 0, 10),
  );
  assert.deepEqual(
    k.texts().filter((s) => s.startsWith('y')),
    seq('y', 0, 4),
  );
  assert.equal(tail.status().rotations, 1);
  assert.equal(tail.status().draining, 1);
  k.clock.advance(5_000);
  await tail.check();
  assert.equal(tail.status().draining, 0, 'the old file is let go once it stops growing');
  const rotated = k.store.getPosition(ROTATED_KEY + path)!;
  assert.deepEqual([rotated.inode, rotated.offset], [statSync(path + '.1').ino, statSync(path + '.1').size]);
  await tail.close();
});

test('copytruncate: lines not read yet are taken from the copy, then the truncated file from 0', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, numbered('m', 0, 4));
  const k = kit();
  const tail = new FileTail(path, k.deps, OPTS);
  await tail.check();
  appendFileSync(path, numbered('m', 4, 3));
  copyFileSync(path, path + '.1');
  truncateSync(path, 0);
  appendFileSync(path, numbered('n', 0, 2));
  await tail.check();
  assert.deepEqual(k.texts(), [...seq('m', 0, 7), ...seq('n', 0, 2)]);
  assert.equal(tail.status().truncations, 1);
  await tail.close();
});

test('truncation in place, even when the file has grown back past our offset, starts again at 0', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, numbered('old', 0, 2));
  const k = kit();
  const tail = new FileTail(path, k.deps, OPTS);
  await tail.check();
  truncateSync(path, 0);
  await tail.check();
  appendFileSync(path, numbered('new', 0, 1));
  await tail.check();
  writeFileSync(path, numbered('newer', 0, 5)); // same inode, longer than before, other first line
  await tail.check();
  assert.deepEqual(k.texts(), [...seq('old', 0, 2), ...seq('new', 0, 1), ...seq('newer', 0, 5)]);
  assert.equal(tail.status().truncations, 2);
  await tail.close();
});

test('delete and recreate: the new file is read from its start', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, numbered('a', 0, 2));
  const k = kit();
  const tail = new FileTail(path, k.deps, OPTS);
  await tail.check();
  appendFileSync(path, numbered('a', 2, 1));
  unlinkSync(path);
  await tail.check();
  assert.equal(tail.status().state, 'waiting');
  writeFileSync(path, numbered('b', 0, 2));
  await tail.check();
  assert.deepEqual(k.texts(), [...seq('a', 0, 3), ...seq('b', 0, 2)]);
  await tail.close();
});

test('a file whose directory does not exist yet is waited for, then read from its start', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'asterisk', 'security.log');
  const k = kit();
  const tail = new FileTail(path, k.deps, OPTS);
  await tail.check();
  assert.equal(tail.status().state, 'waiting');
  mkdirSync(join(dir, 'asterisk'));
  writeFileSync(path, numbered('s', 0, 3));
  await tail.check();
  assert.deepEqual(k.texts(), seq('s', 0, 3));
  await tail.close();
});

test('restart: reading resumes at the saved position, lines written while down are read, none twice', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, numbered('a', 0, 3) + 'a 3 par');
  const k1 = await runOnce(path);
  appendFileSync(path, 'tial\n' + numbered('a', 4, 2));
  const k2 = await runOnce(path, k1.store);
  assert.deepEqual(k1.texts(), seq('a', 0, 3));
  assert.deepEqual(k2.texts(), ['a 3 partial', ...seq('a', 4, 2)]);
});

test('restart after a rotation while down: the rest of the rotated file, then the new one', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, numbered('a', 0, 3));
  const k1 = await runOnce(path);
  appendFileSync(path, numbered('a', 3, 2));
  renameSync(path, path + '-20250101');
  writeFileSync(path, numbered('b', 0, 2));
  const k2 = await runOnce(path, k1.store);
  assert.deepEqual(k2.texts(), [...seq('a', 3, 2), ...seq('b', 0, 2)]);
});

test('killed while a rotated file was still draining: both files resume where they were', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, numbered('a', 0, 2));
  const k1 = kit();
  const t1 = new FileTail(path, k1.deps, OPTS);
  await t1.check();
  renameSync(path, path + '.1');
  writeFileSync(path, numbered('b', 0, 2));
  await t1.check();
  // no close(): the process dies here; what was saved is all that is left
  appendFileSync(path + '.1', numbered('a', 2, 1));
  appendFileSync(path, numbered('b', 2, 1));
  const k2 = kit(k1.store);
  const t2 = new FileTail(path, k2.deps, OPTS);
  await t2.check();
  assert.deepEqual(k1.texts(), [...seq('a', 0, 2), ...seq('b', 0, 2)]);
  assert.deepEqual(k2.texts(), ['a 2', 'b 2']);
  await t1.close();
  await t2.close();
});

test('copytruncate while down: the copy is read from the saved position', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, numbered('a', 0, 2));
  const k1 = await runOnce(path);
  appendFileSync(path, numbered('a', 2, 2));
  copyFileSync(path, path + '.1');
  writeFileSync(path, numbered('b', 0, 1));
  const k2 = await runOnce(path, k1.store);
  assert.deepEqual(k2.texts(), [...seq('a', 2, 2), 'b 0']);
});

test('a file never seen before is read back at most initialBackBytes, from a line start', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, numbered('line', 100, 100)); // 9 bytes per line
  const k = await runOnce(path, undefined, { ...OPTS, initialBackBytes: 40 });
  assert.deepEqual(k.texts(), seq('line', 196, 4), 'the cut line 195 is not emitted');
});

test('an oversized line is dropped whole and counted; its tail never passes for a line', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  const forged = "[2025-01-01 00:00:00] NOTICE[1] chan_sip.c: Registration from 'x' failed for '203.0.113.9:5060' - Wrong password";
  writeFileSync(path, 'ok 1\n' + 'A'.repeat(200_000) + forged + '\nok 2\n');
  const k = kit();
  const tail = new FileTail(path, k.deps, OPTS);
  await tail.check();
  assert.deepEqual(k.texts(), ['ok 1', 'ok 2']);
  assert.equal(tail.status().oversized, 1);
  // an oversized line still being written is not emitted either when its newline comes later
  appendFileSync(path, 'B'.repeat(3000));
  await tail.check();
  appendFileSync(path, forged + '\nok 3\n');
  await tail.check();
  assert.deepEqual(k.texts(), ['ok 1', 'ok 2', 'ok 3']);
  assert.equal(tail.status().oversized, 2);
  await tail.close();
});

test('invalid UTF-8, NUL bytes and a character cut across reads never crash the reader', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, Buffer.concat([Buffer.from('bad \xff\xfe \0 end\n', 'latin1'), Buffer.from('caf'), Buffer.from([0xc3])]));
  const k = kit();
  const tail = new FileTail(path, k.deps, OPTS);
  await tail.check();
  appendFileSync(path, Buffer.from([0xa9, 0x0a]));
  await tail.check();
  assert.deepEqual(k.texts(), ['bad \ufffd\ufffd \0 end', 'café']);
  await tail.close();
});

test('a line handler that throws is counted and reading goes on', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, numbered('a', 0, 3));
  const k = kit();
  const seen: string[] = [];
  const tail = new FileTail(
    path,
    {
      ...k.deps,
      onLine: (l) => {
        seen.push(l.text);
        if (l.text === 'a 1') throw new Error('boom');
      },
    },
    OPTS,
  );
  await tail.check();
  assert.deepEqual(seen, seq('a', 0, 3));
  assert.equal(tail.status().callbackErrors, 1);
  await tail.close();
});

test('checks that arrive while one runs collapse, and every line is still read once', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, '');
  const k = kit();
  const tail = new FileTail(path, k.deps, OPTS);
  const pending: Promise<void>[] = [];
  for (let i = 0; i < 50; i++) {
    appendFileSync(path, `l ${i}\n`);
    pending.push(tail.check());
  }
  await Promise.all(pending);
  await tail.check();
  assert.deepEqual(k.texts(), seq('l', 0, 50));
  await tail.close();
});

test('a full disk while saving the read position is logged when it happens, once, and the save is retried on the next read', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, numbered('a', 0, 2));
  const k = kit();
  let full = true;
  const store = new MapPositions();
  const diskFull = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
  const failing = {
    getPosition: (p: string) => store.getPosition(p),
    setPosition: (p: FilePosition) =>
      full
        ? (() => {
            throw diskFull;
          })()
        : store.setPosition(p),
  };
  const { log, records } = memoryLogger();
  const tail = new FileTail(path, { ...k.deps, store: failing, log }, OPTS);
  await tail.check();
  assert.deepEqual(k.texts(), seq('a', 0, 2), 'the lines reached the jail');
  const logged = () => records.filter((r) => r['event'] === 'position-save-failed');
  assert.equal(logged().length, 1);
  assert.equal(logged()[0]!['code'], 'SQLITE_FULL');
  appendFileSync(path, numbered('a', 2, 1));
  await tail.check();
  assert.equal(logged().length, 1, 'the same failure is not logged again');
  full = false;
  appendFileSync(path, numbered('a', 3, 1));
  await tail.check();
  assert.equal(store.getPosition(path)?.offset, statSync(path).size);
  await tail.close();
});
