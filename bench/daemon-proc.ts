// What the resource benchmarks read about a running daemon process, from /proc: CPU ticks (user +
// system, in clock ticks of 1/100 s on Linux), resident memory and open descriptors.

import { readdirSync, readFileSync } from 'node:fs';
import { uptime, loadavg } from 'node:os';

const CLK_TCK = 100;

export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name is in parentheses and may hold spaces: fields are counted after the last ')'
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime (fields 14 and 15)
}

export function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export function load(): string {
  return `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')} (${(uptime() / 60).toFixed(0)} min up)`;
}

/** CPU share of one core, in percent, used by `pid` over `ms` of wall time. */
export async function cpuPercent(pid: number, ms: number): Promise<number> {
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const c1 = cpuSeconds(pid);
  return ((c1 - c0) / ((performance.now() - t0) / 1000)) * 100;
}
