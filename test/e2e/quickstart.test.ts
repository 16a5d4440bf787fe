// The README's quick start as a user meets it in a clone, after `npm ci` (node_modules and dist/ are
// already here: `npm start` builds, and CI's `npm run package` did): `npm start`'s command,
// `node dist/src/cli/voipguard.js daemon -c .`, on the repository root itself, unchanged, as a
// process; then `npx voipguard status` answers and says what the daemon waits for (no jail enabled,
// AMI not configured); then it stops cleanly. The shipped config must create no firewall rule.
//
// Only the control socket and the pid file are moved into a temp dir (`daemon -s`/`-p`, as
// fail2ban-server's), so that the test never meets a voipguard running on the machine. The database
// goes where the shipped config says (/var/lib/voipguard): it is removed again when the test made it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, ROOT, build, waitFor } from './daemon-harness.js';

const root = process.getuid?.() === 0;
const DBDIR = '/var/lib/voipguard';

/** The f2b-* lines of the host's iptables and ip6tables (empty when a tool is missing). */
function firewallRules(): string[] {
  const out: string[] = [];
  for (const tool of ['iptables', 'ip6tables']) {
    const r = spawnSync(tool, ['-w', '-S'], { encoding: 'utf8', timeout: 10_000 });
    if (r.status === 0) out.push(...r.stdout.split('\n').filter((l) => l.includes('f2b-')));
  }
  return out;
}

test(
  "the README's quick start: the daemon on the shipped config answers `npx voipguard status` with what it waits for, creates no rule, stops cleanly",
  { skip: !root && 'needs root: the shipped config keeps its database in /var/lib/voipguard', timeout: 60_000 },
  async () => {
    if (!existsSync(CLI)) build(); // what `npm start` does first
    const started = Date.now();
    const dir = mkdtempSync(join(tmpdir(), 'vg-quickstart-'));
    const socket = join(dir, 'run', 'voipguard.sock');
    const hadDbDir = existsSync(DBDIR);
    const hadDb = existsSync(join(DBDIR, 'voipguard.sqlite3'));
    const rulesBefore = firewallRules();
    const daemon = spawn(process.execPath, [CLI, 'daemon', '-c', ROOT, '-s', socket, '-p', join(dir, 'run', 'voipguard.pid')], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    daemon.stdout.on('data', (c: Buffer) => (output += c.toString()));
    daemon.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((r) => daemon.once('exit', (code) => r(code)));
    try {
      await waitFor('the daemon ready', () => output.includes('"event":"ready"') || daemon.exitCode !== null, 20_000);
      assert.equal(daemon.exitCode, null, `the daemon exited:\n${output}`);
      // the start's own CPU, in the ready fact (what bench/start-probe.ts reads, whatever the load)
      assert.match(output, /"event":"ready"[^\n]*"cpuMs":[1-9]\d*/);

      // the README's command, in the clone (--no: never reach for the registry)
      const status = spawnSync('npx', ['--no', 'voipguard', 'status', '-s', socket], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
      assert.equal(status.status, 0, `${status.stdout}${status.stderr}`);
      assert.match(status.stdout, /Number of jail:\t0/);
      assert.match(status.stdout, /Waiting for/);
      assert.match(status.stdout, /a jail to enable: no jail is enabled \(set enabled = true for \[asterisk\] in jail\.local\)/);
      assert.match(status.stdout, /AMI: not configured \(\[ami\] enabled = no in voipguard\.conf\)/);

      const stop = spawnSync(process.execPath, [CLI, 'stop', '-s', socket], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(stop.status, 0, `${stop.stdout}${stop.stderr}`);
      assert.equal(await exited, 0, output);
      assert.match(output, /"event":"stopped"/);
      assert.equal(existsSync(socket), false, 'the socket is removed at stop');
      assert.deepEqual(firewallRules(), rulesBefore, 'the shipped config created firewall rules');
      assert.ok(Date.now() - started < 30_000, `the quick start took ${Date.now() - started} ms`);
    } finally {
      if (daemon.exitCode === null) {
        daemon.kill('SIGKILL');
        await exited;
      }
      if (!hadDbDir) rmSync(DBDIR, { recursive: true, force: true });
      else if (!hadDb) for (const f of ['voipguard.sqlite3', 'voipguard.sqlite3-wal', 'voipguard.sqlite3-shm']) rmSync(join(DBDIR, f), { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
