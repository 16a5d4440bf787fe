import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpawnRunner } from '../../src/exec/spawn-runner.js';
import { ExecaRunner } from '../../src/exec/execa-runner.js';

const runner = new SpawnRunner({ timeoutMs: 5000 });

test('arguments reach the program as they are: no shell reinterprets ; | $( ) or quotes', async () => {
  const tricky = ['a; touch /tmp/vg-pwned', '$(id)', '`id`', '"x"', 'a b', '|', '>', "'", '\\', 'é ü'];
  const r = await runner.run([process.execPath, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...tricky]);
  assert.equal(r.exitCode, 0);
  assert.deepEqual(JSON.parse(r.stdout), tricky);
});

test('stdin carries a batch script; exit code and stderr come back; the final newline is kept', async () => {
  const r = await runner.run(
    [
      process.execPath,
      '-e',
      'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{process.stdout.write(s);process.stderr.write("got "+s.length);process.exit(3)})',
    ],
    { input: 'line 1\nline 2\n' },
  );
  assert.equal(r.exitCode, 3);
  assert.equal(r.stdout, 'line 1\nline 2\n');
  assert.equal(r.stderr, 'got 14');
});

test('a program that exits without reading a large input is its exit code, not an EPIPE crash', async () => {
  const r = await runner.run([process.execPath, '-e', 'process.exit(4)'], { input: 'x'.repeat(4 * 1024 * 1024) });
  assert.equal(r.exitCode, 4);
});

test('a missing binary is exit 127, not an exception; a hung command is killed (124); a NUL byte is refused', async () => {
  const missing = await runner.run(['/nonexistent/iptables', '-L']);
  assert.equal(missing.exitCode, 127);
  assert.match(missing.stderr, /not found/);
  const slow = new SpawnRunner({ timeoutMs: 200 });
  const hung = await slow.run([process.execPath, '-e', 'setTimeout(() => {}, 10000)']);
  assert.equal(hung.exitCode, 124);
  assert.match(hung.stderr, /timed out after 200 ms/);
  const nul = await runner.run(['echo', 'a\u0000b']);
  assert.equal(nul.exitCode, 127);
});

test('a program that ignores SIGTERM is killed after the grace period', async () => {
  const slow = new SpawnRunner({ timeoutMs: 100, killAfterMs: 100 });
  const r = await slow.run([process.execPath, '-e', 'process.on("SIGTERM", () => {}); setTimeout(() => {}, 10000)']);
  assert.equal(r.exitCode, 124);
});

test('killed by a signal: 128 + n; output over maxBuffer stops the program', async () => {
  const killed = await runner.run([process.execPath, '-e', 'process.kill(process.pid, "SIGKILL")']);
  assert.equal(killed.exitCode, 137);
  const big = await runner.run([process.execPath, '-e', 'process.stdout.write("y".repeat(1 << 20)); setTimeout(() => {}, 10000)'], { maxBuffer: 1000 });
  assert.notEqual(big.exitCode, 0);
  assert.equal(big.stdout.length, 1000);
});

test('LC_ALL=C unless the caller names it; the environment is otherwise inherited; the prefix goes first', async () => {
  const show = [process.execPath, '-e', 'console.log(process.env.LC_ALL + " " + (process.env.PATH ? "path" : "none") + " " + process.env.VG_X)'];
  assert.equal((await runner.run(show)).stdout, 'C path undefined\n');
  assert.equal((await runner.run(show, { env: { LC_ALL: 'POSIX', VG_X: '1' } })).stdout, 'POSIX path 1\n');
  const prefixed = new SpawnRunner({ prefix: [process.execPath, '-e', 'console.log(process.argv.slice(1).join(","))'] });
  assert.equal((await prefixed.run(['a', 'b'])).stdout, 'a,b\n');
});

test('the same answers as ExecaRunner for success, failure with stderr, and a missing program', async () => {
  const execa = new ExecaRunner({ timeoutMs: 5000 });
  const cases: string[][] = [
    [process.execPath, '-e', 'process.stdout.write("ü\\n"); process.stderr.write("warn\\n")'],
    [process.execPath, '-e', 'process.stderr.write("bad rule\\n"); process.exit(2)'],
    ['/nonexistent/ipset', 'list'],
  ];
  for (const argv of cases) assert.deepEqual(await runner.run(argv, { input: 'x\n' }), await execa.run(argv, { input: 'x\n' }), argv.join(' '));
});
