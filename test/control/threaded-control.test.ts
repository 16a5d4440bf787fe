// The control socket in its own thread (src/control/threaded-control.ts): the main thread answers
// every request; the control thread answers the board's requests on its own only when the main
// thread is held. The held main thread is real: a synchronous loop that never yields, while a
// client in another process asks; an answer that arrives during the loop cannot have come from
// the main thread.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VoipguardError } from '../../src/core/errors.js';
import { ControlClient } from '../../src/control/control-client.js';
import type { ControlHandler } from '../../src/control/control-server.js';
import type { ControlRequest } from '../../src/control/protocol.js';
import { RelayHandler } from '../../src/control/relay-handler.js';
import { ScrapeRelay } from '../../src/control/scrape-relay.js';
import { ThreadedControl } from '../../src/control/threaded-control.js';
import type { FromControlThread } from '../../src/control/thread-messages.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { waitFor } from '../helpers/wait-for.js';

/** A daemon's handler in miniature: `banip` changes what `status` says. */
class CountingHandler implements ControlHandler {
  bans = 0;
  readonly seen: string[] = [];
  async handle(req: ControlRequest): Promise<unknown> {
    this.seen.push(req.cmd);
    switch (req.cmd) {
      case 'ping':
        return 'pong';
      case 'status':
        return { jails: ['asterisk'], bans: this.bans };
      case 'jail-status':
        if (req.jail !== 'asterisk') throw new VoipguardError('VG_NO_SUCH_JAIL', `no jail ${req.jail}`, { section: req.jail });
        return { jail: req.jail, currentlyBanned: this.bans };
      case 'banip':
        this.bans += req.ips.length;
        return { banned: req.ips, already: [] };
      case 'reload':
        throw new Error('kaboom');
      default:
        return { cmd: req.cmd };
    }
  }
}

async function start(t: { after(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'vg-thr-'));
  const path = join(dir, 'run', 'voipguard.sock');
  const { log, records } = memoryLogger();
  const handler = new CountingHandler();
  const control = new ThreadedControl(log).serve(handler);
  await control.listen(path);
  assert.equal(await control.startThread(), true);
  t.after(async () => {
    await control.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, path, control, handler, records };
}

/**
 * Asks from another process; the answer line is written to `out`, whole (written beside, then
 * renamed: the file appears complete or not at all). When the main thread is held, only the
 * control thread can answer.
 */
function askFromChild(path: string, req: ControlRequest, out: string): void {
  const code = `
    const s = require('node:net').connect(${JSON.stringify(path)});
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (c) => { buf += c; const nl = buf.indexOf('\\n'); if (nl >= 0) { const fs = require('node:fs'); fs.writeFileSync(${JSON.stringify(out + '.part')}, buf.slice(0, nl)); fs.renameSync(${JSON.stringify(out + '.part')}, ${JSON.stringify(out)}); s.destroy(); } });
    s.write(JSON.stringify({ id: 7, req: ${JSON.stringify(req)} }) + '\\n');`;
  spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
}

/** Holds this (the main) thread without a single turn of its event loop until `done()` holds; at most 20 s. */
function holdUntil(done: () => boolean): boolean {
  const end = Date.now() + 20_000;
  while (Date.now() < end) if (done()) return true;
  return false;
}

const reply = (file: string): any => JSON.parse(readFileSync(file, 'utf8'));

test('relay: the main thread answers when in time; when it is late, only a board request is answered from the board', async () => {
  // the relay's wait is fired by hand: "late" is a fact of the test, not a sleep
  const due: (() => void)[] = [];
  const fireAll = () => due.splice(0).forEach((fn) => fn());
  const timer = (fn: () => void) => {
    due.push(fn);
    return {
      cancel: () => {
        const k = due.indexOf(fn);
        if (k >= 0) due.splice(k, 1);
      },
    };
  };
  const posted: FromControlThread[] = [];
  const relay = new RelayHandler((m) => posted.push(m), 20, timer);
  relay.setBoard(JSON.stringify([['status', { from: 'board' }]]));
  const idOf = (k: number) => (posted[k] as Extract<FromControlThread, { type: 'request' }>).id;

  // in time: the main thread's answer, and its wait is cancelled
  const inTime = relay.handle({ cmd: 'status' });
  relay.reply({ type: 'reply', id: idOf(0), ok: true, data: { from: 'main' } });
  assert.deepEqual(await inTime, { from: 'main' });
  assert.equal(due.length, 0);

  // late: the board's; the main thread's answer that follows is dropped
  const late = relay.handle({ cmd: 'status' });
  fireAll();
  assert.deepEqual(await late, { from: 'board' });
  relay.reply({ type: 'reply', id: idOf(1), ok: true, data: { from: 'main' } });
  assert.equal(relay.served, 1);

  // a change never comes from the board, however late: it is not even given a wait
  let settled = false;
  const ban = relay.handle({ cmd: 'banip', jail: 'asterisk', ips: ['192.0.2.1'] }).then((v) => ((settled = true), v));
  assert.equal(due.length, 0);
  await Promise.resolve();
  assert.equal(settled, false);
  relay.reply({ type: 'reply', id: idOf(2), ok: true, data: { banned: ['192.0.2.1'] } });
  assert.deepEqual(await ban, { banned: ['192.0.2.1'] });

  // a board request whose answer is not on the board yet keeps waiting for the main thread
  const js = relay.handle({ cmd: 'jail-status', jail: 'asterisk', short: true });
  fireAll();
  relay.reply({ type: 'reply', id: idOf(3), ok: false, code: 'VG_NO_SUCH_JAIL', message: 'no jail', place: { section: 'asterisk' } });
  await assert.rejects(js, (e: unknown) => e instanceof VoipguardError && e.code === 'VG_NO_SUCH_JAIL' && e.place.section === 'asterisk');
  assert.equal(relay.served, 1);
});

test('scrape relay: the main thread renders; late, the last body; before any body, it waits', async () => {
  const due: (() => void)[] = [];
  const timer = (fn: () => void) => (due.push(fn), { cancel: () => void 0 });
  const posted: FromControlThread[] = [];
  const scrapes = new ScrapeRelay((m) => posted.push(m), 20, timer);
  const idOf = (k: number) => (posted[k] as Extract<FromControlThread, { type: 'scrape' }>).id;
  const first = scrapes.scrape();
  due.splice(0).forEach((fn) => fn()); // late, but no body yet: it waits
  scrapes.scraped({ type: 'scraped', id: idOf(0), ok: true, contentType: 'text/plain', body: 'a 1\n' });
  assert.deepEqual(await first, { contentType: 'text/plain', body: 'a 1\n' });
  const second = scrapes.scrape();
  due.splice(0).forEach((fn) => fn());
  assert.deepEqual(await second, { contentType: 'text/plain', body: 'a 1\n' });
  assert.equal(scrapes.served, 1);
  scrapes.setBody('text/plain', 'a 2\n');
  const third = scrapes.scrape();
  scrapes.scraped({ type: 'scraped', id: idOf(2), ok: false, message: 'render failed' });
  await assert.rejects(third, /render failed/);
});

test('status is answered while the main thread is held; a ban waits for it; after the ban, the board says so', async (t) => {
  const { dir, path, control, handler } = await start(t);
  const client = new ControlClient(path);
  assert.deepEqual(await client.request({ cmd: 'status' }), { jails: ['asterisk'], bans: 0 });
  await waitFor(() => control.boardsPosted >= 1, { what: 'the first board' });

  const banOut = join(dir, 'ban.json');
  const statusOut = join(dir, 'status.json');
  askFromChild(path, { cmd: 'banip', jail: 'asterisk', ips: ['192.0.2.7'] }, banOut);
  askFromChild(path, { cmd: 'jail-status', jail: 'asterisk', short: true }, statusOut);
  const answered = holdUntil(() => existsSync(statusOut));
  assert.equal(answered, true, 'the control thread answered `status <jail> short` while the main thread was held');
  const banDuringHold = existsSync(banOut);
  assert.deepEqual(reply(statusOut), { id: 7, ok: true, data: { jail: 'asterisk', currentlyBanned: 0 } });
  assert.equal(banDuringHold, false, 'a ban is answered by the main thread only');
  assert.equal(handler.bans, 0);

  // the main thread runs again: the ban is made and answered; the board has it before the answer left
  await waitFor(() => existsSync(banOut), { what: 'the ban answered' });
  assert.deepEqual(reply(banOut).data, { banned: ['192.0.2.7'], already: [] });
  const again = join(dir, 'status2.json');
  askFromChild(path, { cmd: 'status' }, again);
  assert.equal(
    holdUntil(() => existsSync(again)),
    true,
  );
  assert.deepEqual(reply(again).data, { jails: ['asterisk'], bans: 1 });
});

test('requests, errors and the control thread facts reach the main thread: error codes, an internal error, a bad line logged', async (t) => {
  const { path, records } = await start(t);
  const client = new ControlClient(path);
  await assert.rejects(client.request({ cmd: 'jail-status', jail: 'nope', short: false }), (e: unknown) => (e as VoipguardError).code === 'VG_NO_SUCH_JAIL');
  await assert.rejects(
    client.request({ cmd: 'reload', jail: null }),
    (e: unknown) => (e as VoipguardError).code === 'VG_INTERNAL' && /kaboom/.test((e as Error).message),
  );
  assert.ok(records.some((r) => r.event === 'control-handler-failed' && r.cmd === 'reload'));
  await new Promise<void>((resolve) => {
    const s = connect(path, () => s.write('{not json\n'));
    s.on('data', () => (s.destroy(), resolve()));
  });
  await waitFor(() => records.some((r) => r.event === 'control-bad-request'), { what: 'the bad request logged by the main thread' });
  assert.ok(records.some((r) => r.event === 'control-listening' && r.socket === path));
});

test('a control thread that cannot start leaves the socket to the main thread, with a warning', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-thr-'));
  const script = join(dir, 'dies.mjs');
  writeFileSync(script, 'process.exit(3);\n');
  const path = join(dir, 'run', 'voipguard.sock');
  const { log, records } = memoryLogger();
  const control = new ThreadedControl(log, { script: new URL(`file://${script}`) }).serve(new CountingHandler());
  t.after(async () => {
    await control.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await control.listen(path);
  assert.equal(await control.startThread(), false);
  assert.equal(control.threaded, false);
  assert.ok(records.some((r) => r.event === 'control-thread-failed'));
  const client = new ControlClient(path);
  assert.equal(await client.request({ cmd: 'ping' }), 'pong');
});

test('/metrics from the control thread: rendered by the main thread; while it is held, the last rendering; a busy port names [metrics] listen', async (t) => {
  const { dir, control } = await start(t);
  const { log } = memoryLogger();
  let renderings = 0;
  const source = { scrape: async () => ({ contentType: 'text/plain; version=0.0.4', body: `voipguard_test ${++renderings}\n` }) };
  const server = await control.startMetrics({ host: '127.0.0.1', port: 0 }, source, log);
  t.after(() => server.close());
  const url = `http://127.0.0.1:${server.address.port}/metrics`;
  assert.equal(await (await fetch(url)).text(), 'voipguard_test 1\n');

  const out = join(dir, 'scrape.txt');
  const code = `fetch(${JSON.stringify(url)}).then((r) => r.text()).then((b) => { const fs = require('node:fs'); fs.writeFileSync(${JSON.stringify(out + '.part')}, b); fs.renameSync(${JSON.stringify(out + '.part')}, ${JSON.stringify(out)}); });`;
  spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
  assert.equal(
    holdUntil(() => existsSync(out)),
    true,
    'the control thread answered the scrape while the main thread was held',
  );
  assert.equal(readFileSync(out, 'utf8'), 'voipguard_test 1\n');
  assert.equal(renderings, 1);

  const { createServer } = await import('node:net');
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => busy.close(() => r())));
  const port = (busy.address() as { port: number }).port;
  await assert.rejects(
    control.startMetrics({ host: '127.0.0.1', port }, source, log),
    (e: unknown) =>
      e instanceof VoipguardError && e.code === 'VG_METRICS_BIND' && e.place.section === 'metrics' && e.place.key === 'listen' && /EADDRINUSE/.test(e.message),
  );
  // the first server still serves
  assert.match(await (await fetch(url)).text(), /^voipguard_test \d+\n$/);
});

test('the hand-over: a connection made before it is still answered; the path stays root-only; the stop removes it', async (t) => {
  const { path, control } = await start(t);
  assert.equal(control.threaded, true);
  assert.equal((statSync(path).mode & 0o777).toString(8), '600');
  assert.equal(existsSync(`${path}.thread`), false, 'the thread socket was renamed into the path');
  // `start` handed over already; a client kept from before would be on the main thread's server: make one now, on a second control
  const dir2 = mkdtempSync(join(tmpdir(), 'vg-thr-'));
  const path2 = join(dir2, 'run', 'voipguard.sock');
  const c2 = new ThreadedControl(memoryLogger().log).serve(new CountingHandler());
  await c2.listen(path2);
  const early = connect(path2);
  await new Promise<void>((r) => early.once('connect', () => r()));
  assert.equal(await c2.startThread(), true);
  const answer = new Promise<string>((r) => early.once('data', (b) => r(b.toString())));
  early.write(JSON.stringify({ id: 1, req: { cmd: 'ping' } }) + '\n');
  assert.deepEqual(JSON.parse(await answer), { id: 1, ok: true, data: 'pong' });
  early.destroy();
  await c2.close();
  assert.equal(existsSync(path2), false, 'the stop removed the socket');
  rmSync(dir2, { recursive: true, force: true });
});

test('a control thread that dies after the hand-over: the main thread serves the path again', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-thr-'));
  const path = join(dir, 'run', 'voipguard.sock');
  const { log, records } = memoryLogger();
  const handler = new (class extends CountingHandler {
    die = false;
    override async handle(req: ControlRequest): Promise<unknown> {
      const r = await super.handle(req);
      return req.cmd === 'status' && this.die ? { ...(r as object), die: true } : r;
    }
  })();
  const control = new ThreadedControl(log, { script: new URL('./dying-control-thread.ts', import.meta.url) }).serve(handler);
  t.after(async () => {
    await control.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await control.listen(path);
  assert.equal(await control.startThread(), true);
  const client = new ControlClient(path);
  assert.equal(await client.request({ cmd: 'ping' }), 'pong');
  handler.die = true;
  await client.request({ cmd: 'banip', jail: 'asterisk', ips: ['192.0.2.9'] }).catch(() => undefined); // its answer may be lost with the thread
  await waitFor(() => records.some((r) => r.event === 'control-thread-failed'), { what: 'the thread lost' });
  assert.equal(control.threaded, false);
  assert.deepEqual(await waitFor(() => client.request({ cmd: 'status' }).catch(() => null), { what: 'status from the main thread' }), {
    jails: ['asterisk'],
    bans: 1,
    die: true,
  });
});

test('`stop` through the thread is answered before the stop closes it, even when making the board takes a while', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-thr-'));
  const path = join(dir, 'run', 'voipguard.sock');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let slow = false;
  const handler = new (class extends CountingHandler {
    override async handle(req: ControlRequest): Promise<unknown> {
      if (req.cmd === 'stop') {
        // as the daemon's handler does: the stop runs once the answer is on its way
        setImmediate(() => void control.close());
        return { stopping: true };
      }
      // a board that takes more than one turn to make (a scrape that waits on something)
      if (slow && req.cmd === 'status') await new Promise((r) => setTimeout(r, 50));
      return super.handle(req);
    }
  })();
  const control = new ThreadedControl(memoryLogger().log).serve(handler);
  await control.listen(path);
  assert.equal(await control.startThread(), true);
  slow = true;
  assert.deepEqual(await new ControlClient(path).request({ cmd: 'stop' }), { stopping: true });
  await waitFor(() => !existsSync(path), { what: 'the socket removed by the stop' });
});

test("the thread's server keeps the daemon's connection cap: past maxConnections, the oldest idle connection makes room", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-thr-'));
  const path = join(dir, 'run', 'voipguard.sock');
  const { log, records } = memoryLogger();
  // an idle timeout far beyond the test: only the cap closes a connection here
  const control = new ThreadedControl(log, { idleTimeoutMs: 600_000, maxConnections: 2 }).serve(new CountingHandler());
  await control.listen(path);
  assert.equal(await control.startThread(), true);
  const sockets: ReturnType<typeof connect>[] = [];
  t.after(async () => {
    for (const s of sockets) s.destroy();
    await control.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const closed: boolean[] = [];
  const open = async (i: number): Promise<void> => {
    const s = connect(path);
    sockets.push(s);
    closed[i] = false;
    s.on('close', () => (closed[i] = true));
    s.on('error', () => undefined);
    await new Promise((r) => s.once('connect', r));
  };
  await open(0);
  await open(1);
  assert.equal(records.filter((r) => r.event === 'control-idle-closed').length, 0);
  await open(2);
  // the thread's server logs it (relayed to this log) and closes one of the two idle ones, not the newcomer
  await waitFor(() => records.find((r) => r.event === 'control-idle-closed'), { what: 'the cap reached in the thread' });
  assert.equal(records.find((r) => r.event === 'control-idle-closed')!.reason, 'connection cap');
  await waitFor(() => closed[0] || closed[1], { what: 'an idle connection closed' });
  assert.equal(closed[2], false);
});
