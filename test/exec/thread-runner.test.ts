import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { threadId } from 'node:worker_threads';
import { SpawnRunner } from '../../src/exec/spawn-runner.js';
import { EXIT_WORKER_LOST, ThreadRunner } from '../../src/exec/thread-runner.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { MemoryRunner } from '../fakes/memory-runner.js';

const node = process.execPath;

test('a command started from the worker thread answers as SpawnRunner does (argv untouched, stdin, exit codes)', async () => {
  const { log, records } = memoryLogger();
  const threaded = new ThreadRunner(new MemoryRunner(), log, { timeoutMs: 5000 });
  const direct = new SpawnRunner({ timeoutMs: 5000 });
  try {
    const tricky = ['a; touch /tmp/vg-pwned', '$(id)', '`id`', '"x"', 'a b', '|', "'", 'é ü'];
    const cases: [string[], { input?: string }][] = [
      [[node, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...tricky], {}],
      [
        [node, '-e', 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{process.stdout.write(s);process.stderr.write("n="+s.length);process.exit(3)})'],
        { input: 'l1\nl2\n' },
      ],
      [['/nonexistent/iptables', '-L'], {}],
      [[node, '-e', 'process.kill(process.pid, "SIGKILL")'], {}],
      [['echo', 'a\u0000b'], {}],
    ];
    for (const [argv, opts] of cases) {
      const a = await threaded.run(argv, opts);
      const b = await direct.run(argv, opts);
      assert.deepEqual(a, b, argv.join(' '));
    }
    assert.equal(JSON.parse((await threaded.run(cases[0]![0])).stdout).length, tricky.length);
    assert.notEqual(threaded.startedOn, -1);
    assert.notEqual(threaded.startedOn, threadId, 'the program was started from the worker, not from this thread');
    assert.equal(threaded.pending, 0);
    assert.equal(records.filter((r) => r.event === 'command-thread-failed').length, 0);
  } finally {
    await threaded.close();
  }
});

test('commands sent together are all answered, each with its own result', async () => {
  const threaded = new ThreadRunner(new MemoryRunner(), memoryLogger().log);
  try {
    // each command its own output and exit code: even ones print their number, odd ones fail
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => threaded.run(i % 2 ? ['false'] : ['printf', '%s', String(i)])));
    rs.forEach((r, i) => {
      assert.equal(r.stdout, i % 2 ? '' : String(i));
      assert.equal(r.exitCode, i % 2);
    });
  } finally {
    await threaded.close();
  }
});

test('a worker that cannot start: the command runs on the fallback, with a warning, and so do the next ones', async () => {
  const { log, records } = memoryLogger();
  const fallback = new MemoryRunner();
  const dir = mkdtempSync(join(tmpdir(), 'vg-thread-'));
  try {
    const broken = pathToFileURL(join(dir, 'missing-thread.mjs'));
    const threaded = new ThreadRunner(fallback, log, {}, broken);
    const first = await threaded.run(['iptables', '-S']);
    // the error arrives after the first message was posted: that one fails as a lost command, or ran on the fallback
    assert.ok(first.exitCode === EXIT_WORKER_LOST || fallback.calls.length === 1, JSON.stringify(first));
    const second = await threaded.run(['iptables', '-S']);
    assert.equal(second.exitCode, 0);
    assert.deepEqual(fallback.calls.at(-1)?.argv, ['iptables', '-S']);
    assert.equal(records.filter((r) => r.event === 'command-thread-failed').length, 1);
    await threaded.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a worker that dies holding commands: they fail (125), the guard goes on on the fallback', async () => {
  const { log, records } = memoryLogger();
  const fallback = new MemoryRunner();
  const dir = mkdtempSync(join(tmpdir(), 'vg-thread-'));
  try {
    const dying = join(dir, 'dying-thread.mjs');
    writeFileSync(dying, "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', () => process.exit(9));\n");
    const threaded = new ThreadRunner(fallback, log, {}, pathToFileURL(dying));
    const lost = await threaded.run(['ipset', 'restore'], { input: 'add x 192.0.2.1\n' });
    assert.equal(lost.exitCode, EXIT_WORKER_LOST);
    assert.match(lost.stderr, /exited with code 9/);
    const next = await threaded.run(['ipset', 'restore'], { input: 'add x 192.0.2.1\n' });
    assert.equal(next.exitCode, 0);
    assert.equal(fallback.calls.length, 1);
    assert.equal(records.filter((r) => r.event === 'command-thread-failed').length, 1);
    await threaded.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an idle worker does not keep the process alive', () => {
  const src = `
    import { ThreadRunner } from ${JSON.stringify(new URL('../../src/exec/thread-runner.ts', import.meta.url).href)};
    const r = new ThreadRunner({ run: async () => ({ exitCode: 1, stdout: '', stderr: '' }) }, { warn() {}, info() {} });
    const res = await r.run(['true']);
    console.log('ran', res.exitCode);
  `;
  const p = spawnSync(node, ['--import', 'tsx', '--input-type=module', '-e', src], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(p.signal, null, `the process did not exit by itself: ${p.stderr}`);
  assert.equal(p.status, 0, p.stderr);
  assert.match(p.stdout, /ran 0/);
});
