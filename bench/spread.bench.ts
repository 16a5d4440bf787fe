// npm run bench:spread: the BUILT daemon's resident memory while 1,000,000 addresses each fail once
// or twice (one in three twice), through the real path: chan_sip lines appended to the log file a
// jail follows (file tail → filter → correlator → jail), the daemon run as a process with
// --dry-run (no ban happens: maxretry stays 5). RSS is sampled from /proc every 100 ms; the peak,
// and the level after the run has settled, are reported. Target (docs/resources.md): ≤ 300 MB peak.
//
// The lines are written in slices of SLICE, each once the daemon has read the previous one (its
// saved position for the file has reached the end), the way a large spread arrives: faster than
// any real PBX writes, never so far ahead that the benchmark measures a backlog of unread file.

import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { attackLine, build, CLI, field, cli, makeConfig, removeConfig, ROOT, waitFor } from '../test/e2e/daemon-harness.js';
import { load, rssMiB } from './daemon-proc.js';

const ADDRESSES = Number(process.env['ADDRESSES'] ?? 1_000_000);
const SLICE = Number(process.env['SLICE'] ?? 50_000);

function ip(i: number): string {
  // 11.0.0.0 upwards, a different /24 every 256 addresses: no ignoreip, no subnet pattern
  return `11.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

async function main(): Promise<void> {
  build();
  const cfg = makeConfig('');
  writeFileSync(cfg.log, '');
  writeFileSync(join(cfg.dir, 'jail.local'), `[asterisk]\nenabled = true\nlogpath = ${cfg.log}\nmaxretry = 5\nfindtime = 1h\n`);
  writeFileSync(
    join(cfg.dir, 'voipguard.local'),
    `[Definition]\nloglevel = INFO\nlogtarget = ${cfg.daemonLog}\nsocket = ${cfg.socket}\npidfile = ${join(cfg.dir, 'run', 'voipguard.pid')}\ndbfile = ${cfg.db}\n`,
  );
  // HEAPSNAP=DIR: a V8 heap snapshot of the daemon is written to DIR once the run has settled
  const snap = process.env['HEAPSNAP'];
  const env = snap ? { ...process.env, NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snap}` } : process.env;
  // DAEMON_NODE_ARGS: node flags for the daemon (V8 experiments; NODE_OPTIONS refuses most of them)
  const nodeArgs = (process.env['DAEMON_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const proc = spawn(process.execPath, [...nodeArgs, CLI, 'daemon', '-c', cfg.dir, '--dry-run'], { stdio: ['ignore', 'ignore', 'inherit'], cwd: ROOT, env });
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  let peak = 0;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(proc.pid!));
    } catch {
      /* exited */
    }
  }, 100);
  try {
    await waitFor('ready', () => existsSync(cfg.daemonLog) && readFileSync(cfg.daemonLog, 'utf8').includes('"event":"ready"'), 60_000);
    const atReady = rssMiB(proc.pid!);
    const db = new Database(cfg.db, { readonly: true, fileMustExist: true });
    const offset = (): number =>
      (db.prepare('SELECT offset FROM positions WHERE path = ?').get(`asterisk|${cfg.log}`) as { offset: number } | undefined)?.offset ?? 0;
    const t0 = performance.now();
    let lines = 0;
    // address i fails at slice s; every third fails again one slice later
    for (let from = 0; from < ADDRESSES + SLICE; from += SLICE) {
      let text = '';
      for (let i = from; i < Math.min(from + SLICE, ADDRESSES); i++) text += attackLine(ip(i));
      for (let i = from - SLICE; i < from; i++) if (i >= 0 && i < ADDRESSES && i % 3 === 0) text += attackLine(ip(i), '101');
      if (!text) break;
      appendFileSync(cfg.log, text);
      lines += text.split('\n').length - 1;
      const size = statSync(cfg.log).size;
      await waitFor('the slice read', () => offset() >= size, 300_000);
    }
    const elapsed = (performance.now() - t0) / 1000;
    const status = cli(cfg, ['status', 'asterisk']).out;
    // settled: a few seconds after the last line, the correlator has forgotten its attempts (retain 30 s)
    await new Promise((r) => setTimeout(r, 35_000));
    const settled = rssMiB(proc.pid!);
    if (snap) {
      proc.kill('SIGUSR2');
      await new Promise((r) => setTimeout(r, 20_000));
    }
    db.close();
    console.log(`bench:spread, ${ADDRESSES.toLocaleString('en')} addresses, ${lines.toLocaleString('en')} lines, built daemon --dry-run`);
    console.log(`  RSS at ready        ${atReady.toFixed(0)} MiB`);
    console.log(`  RSS peak            ${peak.toFixed(0)} MiB  (target ≤ 300 MB)`);
    console.log(`  RSS settled (35 s)  ${settled.toFixed(0)} MiB`);
    console.log(`  lines/s             ${Math.round(lines / elapsed).toLocaleString('en')} (${elapsed.toFixed(1)} s)`);
    console.log(`  jail: total failed ${field(status, 'Total failed')}, currently failed ${field(status, 'Currently failed')}`);
    console.log(`  ${load()}`);
  } finally {
    clearInterval(sampler);
    if (proc.exitCode === null) proc.kill('SIGTERM');
    await exited;
    removeConfig(cfg);
  }
}

await main();
