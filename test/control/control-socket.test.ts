import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { VoipguardError } from '../../src/core/errors.js';
import { ControlClient } from '../../src/control/control-client.js';
import { ControlServer, type ControlHandler } from '../../src/control/control-server.js';
import { MAX_REQUEST_BYTES, type ControlRequest } from '../../src/control/protocol.js';
import { socketDirProblems } from '../../src/control/socket-file.js';
import { silentLogger } from '../../src/log/logger.js';
import { SOCKET_PERMISSION_SKIP } from '../helpers/privileges.js';

class FakeHandler implements ControlHandler {
  readonly seen: ControlRequest[] = [];
  async handle(req: ControlRequest): Promise<unknown> {
    this.seen.push(req);
    if (req.cmd === 'ping') return 'pong';
    if (req.cmd === 'jail-status' && req.jail === 'nope') throw new VoipguardError('VG_NO_SUCH_JAIL', 'no jail nope');
    if (req.cmd === 'stop') throw new Error('kaboom');
    return { echo: req };
  }
}

async function serve(t: { after(fn: () => unknown): void }, dirMode?: number) {
  const base = mkdtempSync(join(tmpdir(), 'vg-ctl-'));
  if (dirMode !== undefined) chmodSync(base, dirMode);
  const path = join(base, 'run', 'voipguard.sock');
  const handler = new FakeHandler();
  const server = new ControlServer(handler, silentLogger(), { idleTimeoutMs: 5000 });
  await server.listen(path);
  t.after(async () => {
    await server.close();
    rmSync(base, { recursive: true, force: true });
  });
  return { base, path, handler, server };
}

/** Sends raw lines on one connection and collects the reply lines until the daemon closes or n arrive. */
function raw(path: string, payload: string, n: number): Promise<{ replies: any[]; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let buf = '';
    const replies: any[] = [];
    s.setEncoding('utf8');
    s.on('error', reject);
    s.on('data', (c: string) => {
      buf += c;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        replies.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
      }
      if (replies.length >= n) {
        s.destroy();
        resolve({ replies, closed: false });
      }
    });
    s.on('end', () => resolve({ replies, closed: true }));
    s.write(payload);
  });
}

test('a request goes through the socket to the handler and its data comes back', async (t) => {
  const { path, handler } = await serve(t);
  const client = new ControlClient(path);
  assert.equal(await client.request({ cmd: 'ping' }), 'pong');
  const reply = await client.request({ cmd: 'banip', jail: 'asterisk', ips: ['::ffff:192.0.2.7'] });
  assert.deepEqual(reply, { echo: { cmd: 'banip', jail: 'asterisk', ips: ['192.0.2.7'] } });
  assert.equal(handler.seen.length, 2);
});

test('the socket is 0600 and owned by root, in a directory created 0700', { skip: SOCKET_PERMISSION_SKIP }, async (t) => {
  const { base, path } = await serve(t);
  const st = statSync(path);
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(st.uid, 0);
  assert.equal(statSync(join(base, 'run')).mode & 0o777, 0o700);
});

for (const [how, argv] of [
  ['setpriv', ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups']],
  ['runuser', ['runuser', '-u', 'nobody', '--']],
] as const) {
  test(
    `a non-root user (nobody via ${how}) cannot connect, even with umask 0 and every directory on the way open`,
    { skip: SOCKET_PERMISSION_SKIP },
    async (t) => {
      const umask = process.umask(0); // without our own restriction the socket would be 0777
      t.after(() => process.umask(umask));
      const { base, path } = await serve(t, 0o755);
      chmodSync(join(base, 'run'), 0o755); // only the socket's own mode stands in the way now
      const script = `require('net').connect(${JSON.stringify(path)}).on('connect',()=>{console.log('CONNECTED');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(0)})`;
      const r = spawnSync(argv[0], [...argv.slice(1), process.execPath, '-e', script], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'EACCES');
    },
  );
}

test('malformed requests get an error reply and the connection stays usable', async (t) => {
  const { path } = await serve(t);
  const lines = [
    'this is not json',
    '[1,2,3]',
    JSON.stringify({ id: 7, req: { cmd: 'rm -rf /' } }),
    JSON.stringify({ id: 8, req: { cmd: 'banip', jail: 'asterisk', ips: ['192.0.2.1; iptables -F'] } }),
    JSON.stringify({ id: 9, req: { cmd: 'banip', jail: '../../etc', ips: ['192.0.2.1'] } }),
    JSON.stringify({ id: 10, req: { cmd: 'jail-status', jail: 'nope' } }),
    JSON.stringify({ id: 11, req: { cmd: 'stop' } }),
    JSON.stringify({ id: 12, req: { cmd: 'ping' } }),
  ];
  const { replies } = await raw(path, lines.join('\n') + '\n', lines.length);
  assert.deepEqual(
    replies.map((r) => [r.id, r.ok, r.error?.code]),
    [
      [null, false, 'VG_BAD_REQUEST'],
      [null, false, 'VG_BAD_REQUEST'],
      [7, false, 'VG_BAD_REQUEST'],
      [8, false, 'VG_BAD_IP'],
      [9, false, 'VG_BAD_REQUEST'],
      [10, false, 'VG_NO_SUCH_JAIL'],
      [11, false, 'VG_INTERNAL'],
      [12, true, undefined],
    ],
  );
});

test('a huge request line gets an error and the connection is closed; the daemon answers the next one', async (t) => {
  const { path } = await serve(t);
  const { replies, closed } = await raw(path, 'x'.repeat(MAX_REQUEST_BYTES * 3), 1);
  assert.equal(replies[0].error.code, 'VG_BAD_REQUEST');
  assert.match(replies[0].error.message, /longer than/);
  assert.ok(closed || replies.length === 1);
  assert.equal(await new ControlClient(path).request({ cmd: 'ping' }), 'pong');
});

test('a command to a daemon that is not running says so and names the socket', async () => {
  const path = join(tmpdir(), `vg-none-${process.pid}`, 'voipguard.sock');
  await assert.rejects(new ControlClient(path).request({ cmd: 'ping' }), (e: VoipguardError) => {
    assert.equal(e.code, 'VG_NOT_RUNNING');
    assert.ok(e.message.includes(path));
    assert.equal(e.exitCode, 69);
    return true;
  });
});

test('an error reply becomes the same coded error in the client', async (t) => {
  const { path } = await serve(t);
  await assert.rejects(new ControlClient(path).request({ cmd: 'jail-status', jail: 'nope', short: false }), { code: 'VG_NO_SUCH_JAIL' });
});

test('a socket left by a killed daemon is replaced; a live daemon on the path is not', async (t) => {
  const { base, path, server } = await serve(t);
  const second = new ControlServer(new FakeHandler(), silentLogger());
  await assert.rejects(second.listen(path), { code: 'VG_ALREADY_RUNNING' });
  await server.close();
  // a daemon killed with SIGKILL leaves its socket file behind
  const stale = join(base, 'stale.sock');
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)},()=>console.log('up'))`]);
  await new Promise((r) => child.stdout.once('data', r));
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(statSync(stale).isSocket());
  const third = new ControlServer(new FakeHandler(), silentLogger());
  await third.listen(stale);
  assert.equal(await new ControlClient(stale).request({ cmd: 'ping' }), 'pong');
  await third.close();
  const notSocket = join(base, 'file.txt');
  writeFileSync(notSocket, '');
  await assert.rejects(new ControlServer(new FakeHandler(), silentLogger()).listen(notSocket), { code: 'VG_ALREADY_RUNNING' });
});

test('a socket directory owned by nobody and made 1777 is refused, naming the path and what is wrong', { skip: SOCKET_PERMISSION_SKIP }, async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'vg-ctl-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const dir = join(base, 'run');
  mkdirSync(dir);
  const nobody = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout.trim());
  chownSync(dir, nobody, nobody);
  chmodSync(dir, 0o1777);
  const server = new ControlServer(new FakeHandler(), silentLogger());
  await assert.rejects(server.listen(join(dir, 'voipguard.sock')), (e: VoipguardError) => {
    assert.equal(e.code, 'VG_PERMISSION');
    assert.ok(e.message.includes(`${dir} is owned by uid ${nobody}, not root`), e.message);
    assert.ok(e.message.includes(`${dir} is writable by others (mode 1777)`), e.message);
    return true;
  });
  assert.equal(existsSync(join(dir, 'voipguard.sock')), false, 'nothing was bound there');
  // root-owned but group-writable is refused too; 0750 root is fine
  chownSync(dir, 0, 0);
  chmodSync(dir, 0o770);
  await assert.rejects(new ControlServer(new FakeHandler(), silentLogger()).listen(join(dir, 'voipguard.sock')), /writable by its group/);
  chmodSync(dir, 0o750);
  const ok = new ControlServer(new FakeHandler(), silentLogger());
  await ok.listen(join(dir, 'voipguard.sock'));
  await ok.close();
});

test('a directory above the socket that others may write to is refused unless it is sticky (/tmp)', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'vg-ctl-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  mkdirSync(join(base, 'run'), { mode: 0o700 });
  chmodSync(base, 0o777);
  assert.deepEqual(socketDirProblems(join(base, 'run')), [`${base} (above it) is writable by others without the sticky bit (mode 0777)`]);
  chmodSync(base, 0o1777);
  assert.deepEqual(socketDirProblems(join(base, 'run')), []);
});

test('64 idle connections do not lock the CLI out: a request still answers promptly', async (t) => {
  const { path } = await serve(t);
  const idle = await Promise.all(
    Array.from(
      { length: 64 },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect(path, () => resolve(s));
          s.on('error', () => undefined);
          s.once('error', reject);
        }),
    ),
  );
  t.after(() => idle.forEach((s) => s.destroy()));
  const started = Date.now();
  assert.equal(await new ControlClient(path, 5000).request({ cmd: 'ping' }), 'pong');
  assert.ok(Date.now() - started < 2000, `answered after ${Date.now() - started} ms`);
});

test('a connection that sends no complete request within the request timeout is closed, even byte by byte', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'vg-ctl-'));
  const server = new ControlServer(new FakeHandler(), silentLogger(), { idleTimeoutMs: 300 });
  const path = join(base, 'run', 'voipguard.sock');
  await server.listen(path);
  t.after(async () => {
    await server.close();
    rmSync(base, { recursive: true, force: true });
  });
  const s = connect(path);
  s.on('error', () => undefined);
  const drip = setInterval(() => s.write('{'), 50);
  const started = Date.now();
  await new Promise((r) => s.once('close', r));
  clearInterval(drip);
  const took = Date.now() - started;
  assert.ok(took >= 250 && took < 5000, `closed after ${took} ms`);
});
