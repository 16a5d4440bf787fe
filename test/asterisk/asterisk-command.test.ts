import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAsterisk } from '../../src/cli/asterisk-command.js';
import { memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/voipguard.js';
import { replaceSection, writeAmiLogin, type SecretFileSystem } from '../../src/asterisk/ami-config-writer.js';
import { loadConfig } from '../../src/config/load-config.js';
import { parseAsteriskConfig } from '../../src/asterisk/asterisk-config.js';
import { managerUser } from '../../src/asterisk/manager-config.js';

const fixedRandom = (n: number): Buffer => Buffer.alloc(n, 7);
const FIXED_SECRET = Buffer.alloc(24, 7).toString('base64url');

test('`voipguard asterisk logger` prints the logger snippet through the main dispatcher', async () => {
  const io = memoryIo();
  assert.equal(await main(['asterisk', 'logger'], io), 0);
  assert.match(io.stdout, /^dateformat = %F %T\.%3q$/m);
  assert.match(io.stdout, /^security\.log => security$/m);
});

test('`voipguard asterisk extensions --driver sip --asterisk 22` fails with a clear usage error', async () => {
  const io = memoryIo();
  assert.equal(await main(['asterisk', 'extensions', '--driver', 'sip', '--asterisk', '22'], io), 64);
  assert.match(io.stderr, /chan_sip was removed in Asterisk 21.*VG_USAGE/);
  assert.equal(io.stdout, '');
});

test('options that do not belong to the snippet, unknown snippets and bad drivers are usage errors', async () => {
  for (const argv of [
    ['logger', '--driver', 'sip'],
    ['manager', '--context', 'x'],
    ['bogus'],
    [],
    ['extensions', '--driver', 'iax'],
    ['logger', '--secret-file', '/x'],
  ]) {
    const io = memoryIo();
    assert.equal(await main(['asterisk', ...argv], io), 64, argv.join(' '));
  }
});

test('`voipguard asterisk manager` prints a fresh secret and writes nothing without --write', async () => {
  const io = memoryIo();
  const writes: string[] = [];
  const fs: SecretFileSystem = { read: () => null, write: (p) => void writes.push(p) };
  assert.equal(await runAsterisk(['manager'], io, { fs, random: fixedRandom }), 0);
  assert.match(io.stdout, new RegExp(`^secret = ${FIXED_SECRET}$`, 'm'));
  assert.deepEqual(writes, []);
  assert.match(io.stderr, /--write/);
});

test('--write puts the login into voipguard.local [ami], mode 0600, and loadConfig reads it back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-ast-'));
  try {
    writeFileSync(join(dir, 'jail.conf'), '[asterisk]\nenabled = false\nlogpath = /var/log/asterisk/security.log\n');
    writeFileSync(join(dir, 'voipguard.local'), '[Definition]\nloglevel = DEBUG\n\n[ami]\nenabled = no\nsecret = old\n\n[metrics]\nlisten = off\n', {
      mode: 0o644,
    });
    const io = memoryIo();
    assert.equal(await runAsterisk(['-c', dir, 'manager', '--write', '--user', 'vg1'], io, { random: fixedRandom }), 0);
    const local = join(dir, 'voipguard.local');
    assert.equal(statSync(local).mode & 0o777, 0o600);
    const text = readFileSync(local, 'utf8');
    assert.equal(text.match(/\[ami\]/g)!.length, 1);
    assert.match(text, /\[Definition\]\nloglevel = DEBUG\n/);
    assert.match(text, /\[metrics\]\nlisten = off\n/);
    assert.doesNotMatch(text, /secret = old/);
    const cfg = loadConfig(dir);
    assert.deepEqual(
      cfg.errors.map((e) => e.describe()),
      [],
    );
    assert.equal(cfg.service.ami.enabled, true);
    assert.equal(cfg.service.ami.username, 'vg1');
    assert.equal(cfg.service.ami.secret, FIXED_SECRET);
    // the same secret and user are in the snippet printed for manager.conf
    const manager = parseAsteriskConfig(io.stdout, 'manager.conf');
    assert.equal(managerUser(manager, 'vg1')!.secret, FIXED_SECRET);
    assert.match(io.stderr, /wrote .*voipguard\.local \(mode 0600\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--write --secret-file keeps the secret in its own 0600 file and names it as secretfile', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-ast-'));
  try {
    writeFileSync(join(dir, 'jail.conf'), '[asterisk]\nenabled = false\nlogpath = /var/log/asterisk/security.log\n');
    const secretFile = join(dir, 'ami.secret');
    assert.equal(await runAsterisk(['-c', dir, 'manager', '--write', '--secret-file', secretFile], memoryIo(), { random: fixedRandom }), 0);
    assert.equal(readFileSync(secretFile, 'utf8'), FIXED_SECRET + '\n');
    assert.equal(statSync(secretFile).mode & 0o777, 0o600);
    const cfg = loadConfig(dir);
    assert.deepEqual(cfg.errors, []);
    assert.equal(cfg.service.ami.secretfile, secretFile);
    assert.equal(cfg.service.ami.secret, null);
    assert.doesNotMatch(readFileSync(join(dir, 'voipguard.local'), 'utf8'), new RegExp(FIXED_SECRET));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a relative --secret-file is made absolute (voipguard.conf only takes absolute paths)', async () => {
  const files = new Map<string, string>();
  const fs: SecretFileSystem = { read: (p) => files.get(p) ?? null, write: (p, t) => void files.set(p, t) };
  const io = { ...memoryIo(), cwd: '/root/work' };
  await runAsterisk(['-c', '/etc/vg', 'manager', '--write', '--secret-file', 'ami.secret'], io, { fs, random: fixedRandom });
  assert.deepEqual([...files.keys()], ['/root/work/ami.secret', '/etc/vg/voipguard.local']);
  assert.match(files.get('/etc/vg/voipguard.local')!, /^secretfile = \/root\/work\/ami\.secret$/m);
});

test('replaceSection replaces every [ami], keeps the rest, appends when absent', () => {
  assert.equal(replaceSection('', 'ami', ['[ami]', 'a = 1']), '[ami]\na = 1\n');
  assert.equal(replaceSection('[x]\nk = v\n', 'ami', ['[ami]']), '[x]\nk = v\n\n[ami]\n');
  assert.equal(replaceSection('[AMI]\nold = 1\n[x]\nk = v\n[ami]\nold = 2\n', 'ami', ['[ami]', 'new = 1']), '[ami]\nnew = 1\n\n[x]\nk = v\n');
});

test('writeAmiLogin writes through the injected file system with mode 0600', () => {
  const calls: [string, number][] = [];
  const fs: SecretFileSystem = { read: () => null, write: (p, _t, mode) => void calls.push([p, mode]) };
  assert.deepEqual(writeAmiLogin('/c', { username: 'u', secret: 's'.repeat(20) }, fs), ['/c/voipguard.local']);
  assert.deepEqual(calls, [['/c/voipguard.local', 0o600]]);
});
