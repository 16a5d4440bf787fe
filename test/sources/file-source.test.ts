import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { VoipguardError } from '../../src/core/errors.js';
import { checkGlobCaps, FileSource } from '../../src/sources/file-source.js';
import { expandGlob, globBase, segmentRegExp } from '../../src/sources/file-glob.js';
import { parseBackend, pollingOnly } from '../../src/sources/file-watch.js';
import { kit, numbered, seq, tempDir } from './file-kit.js';
import { waitFor } from '../helpers/wait-for.js';

test('globs match within one segment, like fail2ban (Python glob)', (t) => {
  const dir = tempDir(t);
  for (const f of ['messages', 'messages.log', 'security.log', '.hidden.log', 'x.txt']) writeFileSync(join(dir, f), '');
  mkdirSync(join(dir, 'sub.log'));
  assert.deepEqual(expandGlob(join(dir, '*.log')), [join(dir, 'messages.log'), join(dir, 'security.log')]);
  assert.deepEqual(expandGlob(join(dir, 'messag?s')), [join(dir, 'messages')]);
  assert.deepEqual(expandGlob(join(dir, '[ms]e*.log')), [join(dir, 'messages.log'), join(dir, 'security.log')]);
  assert.deepEqual(expandGlob(join(dir, '[!m]*.log')), [join(dir, 'security.log')]);
  assert.deepEqual(expandGlob(join(dir, 'nope', '*.log')), []);
  assert.equal(globBase('/var/log/asterisk/*.log'), '/var/log/asterisk');
  assert.equal(globBase('/var/log/*/security'), '/var/log');
  assert.equal(globBase('/var/log/messages'), '/var/log');
  assert.equal(segmentRegExp('a.b(c)').test('a.b(c)'), true);
  assert.equal(segmentRegExp('a.b').test('axb'), false);
});

test('backend names from jail.conf', () => {
  assert.equal(parseBackend('auto'), 'auto');
  assert.equal(parseBackend(' Polling '), 'polling');
  assert.equal(parseBackend('pyinotify'), 'inotify');
  assert.equal(parseBackend('systemd'), null);
});

test('several files per jail; a file created later that matches the glob is picked up from its start', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a.log'), numbered('a', 0, 2));
  writeFileSync(join(dir, 'b.log'), numbered('b', 0, 1));
  const k = kit();
  const src = new FileSource({ patterns: [join(dir, '*.log'), join(dir, 'later', 'plain')], pollIntervalMs: 0 }, { ...k.deps, watcher: pollingOnly });
  await src.start();
  assert.deepEqual(k.texts().sort(), [...seq('a', 0, 2), 'b 0']);
  assert.deepEqual(src.status().waitingFor, [join(dir, 'later', 'plain')]);
  writeFileSync(join(dir, 'c.log'), numbered('c', 0, 3));
  mkdirSync(join(dir, 'later'));
  writeFileSync(join(dir, 'later', 'plain'), numbered('p', 0, 1));
  appendFileSync(join(dir, 'a.log'), numbered('a', 2, 1));
  await src.poll();
  assert.deepEqual(k.texts().sort(), [...seq('a', 0, 3), 'b 0', ...seq('c', 0, 3), 'p 0'].sort());
  assert.deepEqual(src.status().waitingFor, []);
  await src.stop();
});

test('with inotify, an appended line arrives without any poll', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'security.log');
  writeFileSync(path, '');
  const k = kit();
  const src = new FileSource({ patterns: [path], backend: 'inotify', pollIntervalMs: 0 }, k.deps);
  await src.start();
  assert.deepEqual(src.status().watching, [dir]);
  appendFileSync(path, 'attack 1\n');
  await until(() => k.lines.length === 1);
  renameSync(path, path + '.1');
  writeFileSync(path, 'attack 2\n');
  await until(() => k.lines.length === 2);
  assert.deepEqual(k.texts(), ['attack 1', 'attack 2']);
  await src.stop();
});

test('a file that does not exist yet, in a directory that does not exist yet, is watched once it appears', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'asterisk', 'security.log');
  const k = kit();
  const src = new FileSource({ patterns: [path], backend: 'auto', pollIntervalMs: 0 }, k.deps);
  await src.start();
  assert.deepEqual(src.status().watching, []);
  mkdirSync(join(dir, 'asterisk'));
  await src.poll();
  assert.deepEqual(src.status().watching, [join(dir, 'asterisk')]);
  writeFileSync(path, 'first\n');
  await until(() => k.lines.length === 1);
  await src.stop();
});

test('a rotated file that a too-wide glob also matches is not read a second time', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'security');
  writeFileSync(path, numbered('s', 0, 3));
  const k = kit();
  const src = new FileSource({ patterns: [join(dir, 'security*')], pollIntervalMs: 0, rotateGraceMs: 1000 }, { ...k.deps, watcher: pollingOnly });
  await src.start();
  renameSync(path, path + '.1');
  writeFileSync(path, numbered('t', 0, 1));
  await src.poll();
  k.clock.advance(2000);
  await src.poll(); // the old file stops draining...
  await src.poll(); // ...and is still not picked up as a new one
  assert.deepEqual(k.texts(), [...seq('s', 0, 3), 't 0']);
  await src.stop();
  // nor at the next start
  const k2 = kit(k.store);
  const again = new FileSource({ patterns: [join(dir, 'security*')], pollIntervalMs: 0 }, { ...k2.deps, watcher: pollingOnly });
  await again.start();
  assert.deepEqual(k2.texts(), []);
  await again.stop();
});

test('two jails reading one file keep their own positions', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'messages');
  writeFileSync(path, numbered('a', 0, 2));
  const k = kit();
  const one = new FileSource({ patterns: [path], pollIntervalMs: 0, keyPrefix: 'asterisk|' }, { ...k.deps, watcher: pollingOnly });
  await one.start();
  await one.stop();
  appendFileSync(path, numbered('a', 2, 1));
  const k2 = kit(k.store);
  const two = new FileSource({ patterns: [path], pollIntervalMs: 0, keyPrefix: 'sip|' }, { ...k2.deps, watcher: pollingOnly });
  await two.start();
  await two.stop();
  assert.deepEqual(k2.texts(), seq('a', 0, 3), 'the second jail has no position yet: it reads the file back');
  assert.deepEqual([...k.store.map.keys()].sort(), [`asterisk|${path}`, `sip|${path}`]);
});

/** Waits for an inotify event from the kernel, with a bounded deadline. */
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  await waitFor(cond, { what: 'the file event', timeoutMs: ms, intervalMs: 5 });
}

test('with inotify, idle files are parked after start (no descriptors) and a write wakes only its own file', async (t) => {
  const dir = tempDir(t);
  for (let i = 0; i < 50; i++) writeFileSync(join(dir, `q${i}.log`), `old ${i}\n`);
  const k = kit();
  const src = new FileSource({ patterns: [join(dir, '*.log')], backend: 'inotify', pollIntervalMs: 0 }, k.deps);
  await src.start();
  assert.equal(k.lines.length, 50);
  const fds = () => readdirSync('/proc/self/fd').length;
  const before = fds();
  appendFileSync(join(dir, 'q7.log'), 'new 7\n');
  await until(() => k.lines.length === 51);
  assert.equal(k.lines[50]!.text, 'new 7');
  assert.ok(fds() <= before + 1, 'only the written file is reopened');
  writeFileSync(join(dir, 'q99.log'), 'fresh\n');
  await until(() => k.lines.length === 52);
  assert.equal(k.lines[51]!.text, 'fresh');
  await src.stop();
});

test('the safety net checks a slice of the watched files per tick, every file once per sweep', async (t) => {
  const dir = tempDir(t);
  for (let i = 0; i < 10; i++) writeFileSync(join(dir, `s${i}.log`), '');
  const k = kit();
  // a watcher that never notifies, though the directory counts as watched: a lost inotify event
  const deaf = { watch: () => ({ close: () => undefined }) };
  const src = new FileSource({ patterns: [join(dir, '*.log')], pollIntervalMs: 0, safetyNetMs: 5000 }, { ...k.deps, watcher: deaf });
  await src.start();
  for (let i = 0; i < 10; i++) appendFileSync(join(dir, `s${i}.log`), `line ${i}\n`);
  await src.poll();
  assert.equal(k.lines.length, 2, 'one tick checks 10 / 5 files');
  for (let i = 0; i < 4; i++) await src.poll();
  assert.equal(k.lines.length, 10, 'one sweep (5 ticks) has checked every file');
  await src.stop();
});

test('a glob matching more files than maxlogfiles is refused with file, section and key', (t) => {
  const dir = tempDir(t);
  for (let i = 0; i < 5; i++) writeFileSync(join(dir, `c${i}.log`), '');
  assert.doesNotThrow(() => checkGlobCaps([join(dir, '*.log')], 5, { file: '/etc/voipguard/jail.local', section: 'asterisk' }));
  assert.throws(
    () => checkGlobCaps([join(dir, '*.log')], 4, { file: '/etc/voipguard/jail.local', section: 'asterisk' }),
    (e: VoipguardError) =>
      e.code === 'VG_CONFIG_TYPE' &&
      e.describe().startsWith('/etc/voipguard/jail.local [asterisk] logpath: ') &&
      /matches 5 files, more than maxlogfiles = 4/.test(e.message),
  );
});

test('past the cap at run time, new files are not followed and a warning says so', async (t) => {
  const dir = tempDir(t);
  for (let i = 0; i < 3; i++) writeFileSync(join(dir, `c${i}.log`), `c ${i}\n`);
  const k = kit();
  const src = new FileSource({ patterns: [join(dir, '*.log')], pollIntervalMs: 0, maxFiles: 3 }, { ...k.deps, watcher: pollingOnly });
  await src.start();
  writeFileSync(join(dir, 'c9.log'), 'c 9\n');
  await src.poll();
  assert.equal(src.status().files.length, 3);
  assert.deepEqual(k.texts().sort(), ['c 0', 'c 1', 'c 2']);
  await src.stop();
});
