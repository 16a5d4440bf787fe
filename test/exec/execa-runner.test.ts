import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExecaRunner } from '../../src/exec/execa-runner.js';

const runner = new ExecaRunner({ timeoutMs: 5000 });

test('arguments reach the program as they are: no shell reinterprets ; | $( ) or quotes', async () => {
  const tricky = ['a; touch /tmp/vg-pwned', '$(id)', '`id`', '"x"', 'a b', '|', '>'];
  const r = await runner.run([process.execPath, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...tricky]);
  assert.equal(r.exitCode, 0);
  assert.deepEqual(JSON.parse(r.stdout), tricky);
});

test('stdin carries a batch script; exit code and stderr come back', async () => {
  const r = await runner.run(
    [process.execPath, '-e', 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{process.stderr.write("got "+s.length);process.exit(3)})'],
    { input: 'line 1\nline 2\n' },
  );
  assert.equal(r.exitCode, 3);
  assert.equal(r.stderr, 'got 14');
});

test('a missing binary is exit 127, not an exception; a hung command is killed (124)', async () => {
  const missing = await runner.run(['/nonexistent/iptables', '-L']);
  assert.equal(missing.exitCode, 127);
  assert.match(missing.stderr, /not found/);
  const slow = new ExecaRunner({ timeoutMs: 200 });
  const hung = await slow.run([process.execPath, '-e', 'setTimeout(() => {}, 10000)']);
  assert.equal(hung.exitCode, 124);
  const nul = await runner.run(['echo', 'a\u0000b']);
  assert.notEqual(nul.exitCode, 0);
});
