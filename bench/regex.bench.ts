// `npm run bench`: lines per second of `voipguard regex` (the daemon's matcher, loaded from the
// shipped filter.d/asterisk.conf) over a generated 1,000,000-line Asterisk log, 5 % attacks of
// every kind from a few hundred IPv4 and IPv6 addresses. One core, the whole command: reading,
// decoding, matching, counting. Target: >= 1,000,000 lines/s.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { regexCommand } from '../src/cli/regex-command.js';
import { memoryIo } from '../src/cli/io.js';
import { ManualClock } from '../src/core/clock.js';
import { packageRoot } from '../src/core/paths.js';
import { writeAsteriskLog } from './gen-asterisk-log.js';

const LINES = Number(process.env.BENCH_LINES ?? 1_000_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const dir = mkdtempSync(join(tmpdir(), 'voipguard-bench-'));
try {
  const path = join(dir, 'messages.log');
  const log = writeAsteriskLog(path, LINES);
  console.log(`generated ${LINES} lines (${log.failures} attacks) in ${path}`);
  const clock = new ManualClock(Date.UTC(2026, 3, 1));
  const rates: number[] = [];
  const cpuRates: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const io = memoryIo();
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    regexCommand([path, 'asterisk', '-c', packageRoot(), '--timezone', 'UTC', '--json'], io, clock);
    const cpu = process.cpuUsage(c0);
    const dt = (performance.now() - t0) / 1000;
    const cpuS = (cpu.user + cpu.system) / 1e6;
    cpuRates.push(LINES / cpuS);
    const res = JSON.parse(io.stdout) as { lines: { total: number; matched: number } };
    if (res.lines.total !== LINES || res.lines.matched !== log.failures) {
      throw new Error(`wrong result: ${JSON.stringify(res.lines)}, expected ${log.failures} matched`);
    }
    rates.push(LINES / dt);
    console.log(`run ${i + 1}: ${dt.toFixed(3)} s wall, ${cpuS.toFixed(3)} s CPU, ${fmt(LINES / dt)} lines/s, ${res.lines.matched} matched`);
  }
  // Wall time suffers from whatever else runs on the machine; CPU time is this process's own.
  console.log(
    `voipguard regex: median ${fmt(median(rates))} lines/s wall, ${fmt(median(cpuRates))} lines per CPU-second; best ${fmt(Math.max(...rates))} lines/s wall (target 1,000,000 on one core)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
