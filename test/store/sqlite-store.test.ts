import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VoipguardError } from '../../src/core/errors.js';
import type { BanRecord } from '../../src/core/types.js';
import { SCHEMA_VERSION } from '../../src/store/migrations.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { tryMountTmpfs } from './store-kit.js';

const dir = mkdtempSync(join(tmpdir(), 'vg-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.UTC(2026, 10, 21, 9, 0, 0);
const ban = (i: number): BanRecord => ({
  jail: 'asterisk',
  ip: `198.51.${(i >> 8) & 255}.${i & 255}`,
  start: T0 + i,
  until: T0 + i + 600_000,
  banCount: 1,
  reason: 'detected',
});
const isCode = (code: string) => (e: unknown) => e instanceof VoipguardError && e.code === code;

test('a new database is created in WAL mode with synchronous=NORMAL, at the latest schema, readable by root only', () => {
  const path = join(dir, 'new', 'sub', 'voipguard.sqlite3');
  const s = SqliteStore.open(path);
  assert.deepEqual(s.settings(), { journalMode: 'wal', synchronous: 1, userVersion: SCHEMA_VERSION });
  s.close();
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('a file that is not a database is a VG_STORE_OPEN error at start and is left as it was', () => {
  const path = join(dir, 'garbage.sqlite3');
  const bytes = Buffer.alloc(8192, 0x5a);
  writeFileSync(path, bytes);
  assert.throws(
    () => SqliteStore.open(path),
    (e: unknown) => isCode('VG_STORE_OPEN')(e) && (e as VoipguardError).place.file === path,
  );
  assert.deepEqual(readFileSync(path), bytes);
});

test('a database with a damaged page is a VG_STORE_OPEN error, never a silent fresh one', () => {
  const path = join(dir, 'damaged.sqlite3');
  const s = SqliteStore.open(path);
  for (let i = 0; i < 2000; i++) s.addBan(ban(i), true);
  s.close(); // checkpoints the WAL into the file
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.alloc(4096, 0xff), 0, 4096, 4096 * 3);
  closeSync(fd);
  assert.throws(() => SqliteStore.open(path), isCode('VG_STORE_OPEN'));
});

test('a database written by a newer voipguard is refused with VG_STORE_SCHEMA', () => {
  const path = join(dir, 'newer.sqlite3');
  SqliteStore.open(path).close();
  const db = new Database(path);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(() => SqliteStore.open(path), isCode('VG_STORE_SCHEMA'));
});

test('opening twice runs the migrations once and keeps the data', () => {
  const path = join(dir, 'twice.sqlite3');
  const a = SqliteStore.open(path);
  a.addBan(ban(1), true);
  a.close();
  const b = SqliteStore.open(path);
  assert.equal(b.activeBans().length, 1);
  assert.equal(b.getMeta('opens'), '2');
  b.close();
});

test('a database on a read-only file system is a VG_STORE_OPEN error at start', (t) => {
  const fs = tryMountTmpfs(1024);
  if (typeof fs === 'string') return t.skip(fs);
  try {
    const path = join(fs.dir, 'voipguard.sqlite3');
    const s = SqliteStore.open(path);
    s.addBan(ban(1), true);
    s.close();
    fs.remountReadOnly();
    assert.throws(
      () => SqliteStore.open(path),
      (e: unknown) => isCode('VG_STORE_OPEN')(e) && /readonly|read-only|read only/i.test((e as Error).message),
    );
    fs.remountWritable();
    const again = SqliteStore.open(path);
    assert.equal(again.activeBans().length, 1, 'the refused open changed nothing');
    again.close();
  } finally {
    fs.cleanup();
  }
});

test('a full disk makes writes fail with VG_STORE_WRITE; after space returns the retry succeeds and nothing committed is lost', (t) => {
  const fs = tryMountTmpfs(512);
  if (typeof fs === 'string') return t.skip(fs);
  try {
    const path = join(fs.dir, 'voipguard.sqlite3');
    const s = SqliteStore.open(path);
    for (let i = 0; i < 5; i++) s.addBan(ban(i), true);
    const filler = join(fs.dir, 'filler');
    const fd = openSync(filler, 'w');
    try {
      for (;;) writeSync(fd, Buffer.alloc(16384));
    } catch {
      /* ENOSPC: the disk is full */
    }
    closeSync(fd);
    let failedAt = -1;
    let error: unknown;
    for (let i = 5; i < 5000 && failedAt < 0; i++) {
      try {
        s.addBan(ban(i), true);
      } catch (e) {
        failedAt = i;
        error = e;
      }
    }
    assert.ok(failedAt >= 5, 'some write failed');
    assert.ok(isCode('VG_STORE_WRITE')(error), String(error));
    assert.equal((error as VoipguardError).place.file, path);
    unlinkSync(filler);
    s.addBan(ban(failedAt), true); // the caller's retry
    s.close();
    const again = SqliteStore.open(path);
    const ips = new Set(again.activeBans().map((b) => b.ip));
    for (let i = 0; i <= failedAt; i++) assert.ok(ips.has(ban(i).ip), ban(i).ip);
    assert.equal(ips.size, failedAt + 1);
    again.close();
  } finally {
    fs.cleanup();
  }
});

test('ban counts after a restart are right while the history addresses are read a slice per count, and once they are all known', () => {
  const path = join(dir, 'history-slices.sqlite3');
  const a = SqliteStore.open(path);
  for (let i = 1; i <= 7; i++) a.addBan(ban(i), false);
  a.addBan({ ...ban(3), start: T0 + 100 }, false);
  a.close();
  const b = SqliteStore.open(path, { historySlice: 2 });
  const count = (i: number) => b.banCount(ban(i).ip, 'asterisk', 0);
  // 7 addresses, 2 per count: the first four counts read slices (queried meanwhile), then the set is whole
  assert.equal(count(7), 1);
  assert.equal(count(3), 2);
  // banned while the slices are still being read, below the slices' cursor: counted all the same
  b.addBan({ ...ban(1), start: T0 + 200 }, false);
  b.addBan(ban(0), false);
  assert.equal(count(1), 2);
  assert.equal(count(200), 0, 'an address with no history');
  for (let i = 1; i <= 7; i++) assert.equal(count(i), i === 1 || i === 3 ? 2 : 1, `address ${i}`);
  assert.equal(count(0), 1, 'the new address banned during the reading is in the set');
  b.addBan(ban(300), false);
  assert.equal(count(300), 1, 'a ban after the set is whole is counted');
  assert.equal(count(301), 0);
  b.close();
});
