// CPU time (user + system, in seconds) of the child processes this process has waited for, from
// /proc/self/stat (cutime, cstime): a benchmark reads it before and after a spawnSync to get the
// child's CPU, which says more than its wall time on a machine shared with other work. Linux only;
// null elsewhere.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticks: number | null = null;

export function childCpuSeconds(): number | null {
  let stat: string;
  try {
    stat = readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return null;
  }
  // the command name (field 2) may hold spaces: the fields are counted after its closing ')'
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cutime = Number(rest[13]);
  const cstime = Number(rest[14]);
  if (!Number.isFinite(cutime) || !Number.isFinite(cstime)) return null;
  ticks ??= Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  return (cutime + cstime) / ticks;
}
