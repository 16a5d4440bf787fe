import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseClientArgs, resolveSocket, runClient } from '../../src/cli/client-command.js';
import { memoryIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/voipguard.js';
import { ControlServer } from '../../src/control/control-server.js';
import type { ControlRequest } from '../../src/control/protocol.js';
import type { JailStatus } from '../../src/control/replies.js';
import { silentLogger } from '../../src/log/logger.js';
import { VoipguardError } from '../../src/core/errors.js';

const req = (argv: string[]) => {
  const a = parseClientArgs(argv).action;
  return a.kind === 'request' ? a.req : a.kind;
};

test("fail2ban-client's grammar becomes typed requests", () => {
  assert.deepEqual(req(['status']), { cmd: 'status' });
  assert.deepEqual(req(['stop']), { cmd: 'stop' });
  assert.deepEqual(req(['stop', '--flush']), { cmd: 'stop', flush: true });
  assert.deepEqual(req(['status', 'asterisk']), { cmd: 'jail-status', jail: 'asterisk', short: false });
  assert.deepEqual(req(['status', 'asterisk', 'short']), { cmd: 'jail-status', jail: 'asterisk', short: true });
  assert.deepEqual(req(['set', 'asterisk', 'banip', '192.0.2.1', '2001:DB8::1']), { cmd: 'banip', jail: 'asterisk', ips: ['192.0.2.1', '2001:db8::1'] });
  assert.deepEqual(req(['set', 'asterisk', 'unbanip', '--all']), { cmd: 'unbanip', jail: 'asterisk', ips: [], all: true });
  assert.deepEqual(req(['unban', '--all']), { cmd: 'unbanip', jail: null, ips: [], all: true });
  assert.deepEqual(req(['unban', '192.0.2.9']), { cmd: 'unbanip', jail: null, ips: ['192.0.2.9'], all: false });
  assert.deepEqual(req(['set', 'asterisk', 'addignoreip', '10.0.0.0/8']), { cmd: 'addignoreip', jail: 'asterisk', ips: ['10.0.0.0/8'] });
  assert.deepEqual(req(['get', 'asterisk', 'banip', '--with-time']), { cmd: 'get', jail: 'asterisk', key: 'banip', withTime: true });
  assert.deepEqual(req(['get', 'asterisk', 'bantime']), { cmd: 'get', jail: 'asterisk', key: 'bantime', withTime: false });
  assert.deepEqual(req(['set', 'loglevel', 'DEBUG']), { cmd: 'set-loglevel', value: 'DEBUG' });
  assert.deepEqual(req(['get', 'logtarget']), { cmd: 'get-logtarget' });
  assert.deepEqual(req(['reload', 'asterisk']), { cmd: 'reload', jail: 'asterisk' });
  assert.deepEqual(req(['banned', '192.0.2.1']), { cmd: 'banned', ips: ['192.0.2.1'] });
  assert.equal(req(['-h']), 'help');
  assert.equal(req(['version']), 'version');
});

test('options go anywhere, as with fail2ban-client', () => {
  const p = parseClientArgs(['-s', '/tmp/x.sock', 'status', 'asterisk', '--json', '-c', '/etc/vg']);
  assert.deepEqual(p.opts, { configDir: '/etc/vg', socket: '/tmp/x.sock', json: true, timeoutMs: 30_000 });
});

test('what does not parse is a usage error, and a bad address is refused before anything is sent', () => {
  assert.throws(() => parseClientArgs(['frobnicate']), { code: 'VG_USAGE' });
  assert.throws(() => parseClientArgs(['status', 'asterisk', 'long']), { code: 'VG_USAGE' });
  assert.throws(() => parseClientArgs(['set', 'asterisk', 'banip']), { code: 'VG_USAGE' });
  assert.throws(() => parseClientArgs(['get', 'asterisk', 'secret']), { code: 'VG_USAGE' });
  assert.throws(() => parseClientArgs(['--bogus', 'status']), { code: 'VG_USAGE' });
  assert.throws(() => parseClientArgs(['set', 'asterisk', 'banip', '192.0.2.1;reboot']), { code: 'VG_BAD_IP' });
});

test('the socket comes from -s, else from voipguard.conf in the config dir, else the default', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const opts = { configDir: dir, socket: null, json: false, timeoutMs: 1000 };
  assert.equal(resolveSocket(opts), '/run/voipguard/voipguard.sock');
  writeFileSync(join(dir, 'voipguard.conf'), '[Definition]\nsocket = /run/a.sock\n');
  writeFileSync(join(dir, 'voipguard.local'), '[Definition]\nsocket = /run/b.sock\n');
  assert.equal(resolveSocket(opts), '/run/b.sock');
  assert.equal(resolveSocket({ ...opts, socket: '/x.sock' }), '/x.sock');
});

async function fakeDaemon(t: { after(fn: () => unknown): void }, answer: (r: ControlRequest) => unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'vg-cli-'));
  const path = join(dir, 'vg.sock');
  const server = new ControlServer({ handle: async (r) => answer(r) }, silentLogger());
  await server.listen(path);
  t.after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return path;
}

const status: JailStatus = {
  jail: 'asterisk',
  filter: {
    currentlyFailed: 0,
    totalFailed: 3,
    signalsSeen: 3,
    attemptsCounted: 3,
    files: ['/l'],
    fileStates: [{ path: '/l', state: 'reading' }],
    waitingFor: [],
  },
  actions: { currentlyBanned: 1, totalBanned: 1, bannedIps: ['192.0.2.44'], pending: [] },
  ami: null,
};

test("status <jail> against a daemon: the tree, or with --json the daemon's data as one line", async (t) => {
  const path = await fakeDaemon(t, () => status);
  const io = memoryIo();
  assert.equal(await runClient(['-s', path, 'status', 'asterisk'], io), 0);
  assert.match(io.stdout, /^Status for the jail: asterisk\n/);
  assert.match(io.stdout, /`- Banned IP list:\t192\.0\.2\.44\n$/);
  const js = memoryIo();
  assert.equal(await runClient(['-s', path, '--json', 'status', 'asterisk'], js), 0);
  assert.deepEqual(JSON.parse(js.stdout), status);
});

test('a command to a daemon that is not running exits 69 and names the socket', async () => {
  const path = join(tmpdir(), 'vg-absent', 'voipguard.sock');
  const io = memoryIo();
  assert.equal(await main(['-s', path, 'status'], io), 69);
  assert.match(io.stderr, /voipguard is not running: nothing answers on \/tmp\/vg-absent\/voipguard\.sock .*\(VG_NOT_RUNNING\)/);
  const js = memoryIo();
  assert.equal(await main(['-s', path, 'status', '--json'], js), 69);
  assert.equal(JSON.parse(js.stdout).error.code, 'VG_NOT_RUNNING');
});

test('exit codes follow the error class: usage 64, unknown jail 65, a daemon bug 70', async (t) => {
  const path = await fakeDaemon(t, () => {
    throw new Error('a bug in a handler');
  });
  assert.equal(await main(['-s', path, 'nonsense'], memoryIo()), 64);
  const noJail = await fakeDaemon(t, () => {
    throw new VoipguardError('VG_NO_SUCH_JAIL', 'no jail named sip');
  });
  const io = memoryIo();
  assert.equal(await main(['-s', noJail, 'status', 'sip'], io), 65);
  assert.match(io.stderr, /no jail named sip \(VG_NO_SUCH_JAIL\)/);
  assert.equal(await main(['-s', path, 'ping'], memoryIo()), 70);
});

test('options stand anywhere on the line, in either spelling, and the words keep their order', () => {
  const { opts, action } = parseClientArgs(['set', '--json', 'asterisk', '-s', '/run/x.sock', 'unbanip', '--timeout=2', '--all', '--conf=/etc/vg']);
  assert.deepEqual(opts, { configDir: '/etc/vg', socket: '/run/x.sock', json: true, timeoutMs: 2000 });
  assert.deepEqual(action, { kind: 'request', req: { cmd: 'unbanip', jail: 'asterisk', ips: [], all: true } });
  assert.deepEqual(parseClientArgs(['-c', '/etc/vg', '--', 'status']).action, { kind: 'request', req: { cmd: 'status' } });
  assert.throws(
    () => parseClientArgs(['status', '-s']),
    (e: VoipguardError) => e.code === 'VG_USAGE' && /-s needs a value/.test(e.message),
  );
  assert.throws(
    () => parseClientArgs(['status', '--json=yes']),
    (e: VoipguardError) => e.code === 'VG_USAGE' && /--json takes no value/.test(e.message),
  );
});

test('`voipguard daemon` keeps the rules at stop by default; --flush removes them; --keep-rules is still accepted', async () => {
  const { parseDaemonArgs } = await import('../../src/cli/daemon-command.js');
  assert.equal(parseDaemonArgs([]).keepRules, true);
  assert.equal(parseDaemonArgs(['--keep-rules']).keepRules, true);
  assert.equal(parseDaemonArgs(['--flush']).keepRules, false);
});

test('`voipguard daemon -s SOCKET -p PIDFILE` take the paths over the config, as fail2ban-server does', async () => {
  const { parseDaemonArgs } = await import('../../src/cli/daemon-command.js');
  const a = parseDaemonArgs(['-c', '.', '-s', '/tmp/x/vg.sock', '--pidfile', '/tmp/x/vg.pid']);
  assert.equal(a.socket, '/tmp/x/vg.sock');
  assert.equal(a.pidfile, '/tmp/x/vg.pid');
  assert.equal(parseDaemonArgs([]).socket, undefined);
  assert.throws(() => parseDaemonArgs(['-s']), /-s needs a path/);
});

test('the stop request carries flush only when asked, and only as true', async () => {
  const { parseRequest } = await import('../../src/control/protocol.js');
  assert.deepEqual(parseRequest({ cmd: 'stop' }), { cmd: 'stop' });
  assert.deepEqual(parseRequest({ cmd: 'stop', flush: true }), { cmd: 'stop', flush: true });
  assert.deepEqual(parseRequest({ cmd: 'stop', flush: 'yes' }), { cmd: 'stop' });
});

test('status with a broken jail exits 78 (config), in text and with --json; flushlogs is sent and answered', async (t) => {
  const svc = {
    version: '0.1.0',
    pid: 1,
    startedAt: 0,
    configDir: '/etc/voipguard',
    dryRun: false,
    jails: ['asterisk'],
    disabled: [],
    waiting: [],
    ami: null,
    broken: [
      {
        jail: 'voip2',
        error: '/etc/voipguard/jail.local:3 [voip2] maxretry: "five" is not a whole number (VG_CONFIG_TYPE)',
        file: '/etc/voipguard/jail.local',
        section: 'voip2',
        key: 'maxretry',
      },
    ],
  };
  const path = await fakeDaemon(t, (r) => (r.cmd === 'flushlogs' ? 'rolled over' : svc));
  const io = memoryIo();
  assert.equal(await runClient(['-s', path, 'status'], io), 78);
  assert.match(io.stdout, /Jails not started\n.*voip2:\t.*maxretry/);
  const js = memoryIo();
  assert.equal(await runClient(['-s', path, '--json', 'status'], js), 78);
  assert.deepEqual(JSON.parse(js.stdout).broken[0], svc.broken[0]);
  const fl = memoryIo();
  assert.equal(await runClient(['-s', path, 'flushlogs'], fl), 0);
  assert.equal(fl.stdout, 'rolled over\n');
});
