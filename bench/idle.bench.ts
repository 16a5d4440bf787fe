// npm run bench:idle: what a jail whose logpath glob matches 10,000 files costs at rest, measured on
// the BUILT daemon run as a process (--dry-run: no firewall is touched): the time from spawn to
// `ready`, then the CPU it uses over 10 s of idleness (from /proc/<pid>/stat), its open descriptors
// and resident memory, then one line appended to one of the files and the time until the jail
// counts it, and the time a SIGTERM takes to stop it. Target (docs/resources.md): ≤ 5 % idle CPU.

import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { attackLine, build, CLI, cli, makeConfig, removeConfig, ROOT, waitFor } from '../test/e2e/daemon-harness.js';
import { cpuPercent, load, openFds, rssMiB } from './daemon-proc.js';

const FILES = Number(process.env['FILES'] ?? 10_000);
const IDLE_MS = Number(process.env['IDLE_MS'] ?? 10_000);

async function main(): Promise<void> {
  build();
  const cfg = makeConfig('');
  const logs = join(cfg.dir, 'many');
  mkdirSync(logs);
  for (let i = 0; i < FILES; i++) writeFileSync(join(logs, `pbx-${i}.log`), `[2020-01-01 00:00:00] VERBOSE[1] pbx.c: nothing ${i}\n`);
  writeFileSync(join(cfg.dir, 'jail.local'), `[asterisk]\nenabled = true\nlogpath = ${logs}/*.log\nmaxlogfiles = ${FILES}\nmaxretry = 1\n`);
  writeFileSync(
    join(cfg.dir, 'voipguard.local'),
    `[Definition]\nloglevel = INFO\nlogtarget = ${cfg.daemonLog}\nsocket = ${cfg.socket}\npidfile = ${join(cfg.dir, 'run', 'voipguard.pid')}\ndbfile = ${cfg.db}\n`,
  );
  const t0 = performance.now();
  const proc = spawn(process.execPath, [CLI, 'daemon', '-c', cfg.dir, '--dry-run'], { stdio: ['ignore', 'ignore', 'inherit'], cwd: ROOT });
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  try {
    const daemonLog = () => (existsSync(cfg.daemonLog) ? readFileSync(cfg.daemonLog, 'utf8') : '');
    await waitFor('ready', () => daemonLog().includes('"event":"ready"'), 120_000);
    const startMs = performance.now() - t0;
    const pid = proc.pid!;
    const cpu = await cpuPercent(pid, IDLE_MS);
    const fds = openFds(pid);
    const rss = rssMiB(pid);
    const t1 = performance.now();
    appendFileSync(join(logs, `pbx-${FILES >> 1}.log`), attackLine('192.0.2.77'));
    await waitFor('the line counted', () => /192\.0\.2\.77/.test(cli(cfg, ['status', 'asterisk']).out), 30_000);
    const lineMs = performance.now() - t1;
    const t2 = performance.now();
    proc.kill('SIGTERM');
    await exited;
    const stopMs = performance.now() - t2;
    console.log(`bench:idle, ${FILES} files matched by one glob, built daemon --dry-run`);
    console.log(`  start (spawn to ready)   ${(startMs / 1000).toFixed(2)} s`);
    console.log(`  idle CPU over ${IDLE_MS / 1000} s      ${cpu.toFixed(2)} % of one core  (target ≤ 5 %)`);
    console.log(`  open descriptors         ${fds}`);
    console.log(`  RSS at rest              ${rss.toFixed(0)} MiB`);
    console.log(`  appended line to ban     ${lineMs.toFixed(0)} ms (includes a CLI process start)`);
    console.log(`  stop (SIGTERM to exit)   ${(stopMs / 1000).toFixed(2)} s`);
    console.log(`  ${load()}`);
  } finally {
    if (proc.exitCode === null) proc.kill('SIGKILL');
    await exited;
    removeConfig(cfg);
  }
}

await main();
