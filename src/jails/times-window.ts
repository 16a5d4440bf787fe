// The failure times the account windows keep per account and per address (account-windows.ts):
// one number while there is one, else an array oldest first, no longer than a limit and no wider
// than a window measured from the newest.

import type { Times } from './account-entry.js';

/** Inserts t in order, keeping at most `max` times within `findtime` of the newest (in place: no array made but the first). */
export function push(v: Times, t: number, max: number, findtime: number): Times {
  if (max <= 1) return Math.max(typeof v === 'number' ? v : v[v.length - 1]!, t);
  if (typeof v === 'number') {
    const older = Math.min(v, t);
    const newer = Math.max(v, t);
    return older < newer - findtime ? newer : [older, newer];
  }
  let i = v.length;
  v.push(t);
  for (; i > 0 && v[i - 1]! > t; i--) v[i] = v[i - 1]!;
  v[i] = t;
  const lower = v[v.length - 1]! - findtime;
  // the oldest go from the front (the newest is never below lower: v keeps one at least)
  while (v.length > max || v[0]! < lower) v.shift();
  return v.length === 1 ? v[0]! : v;
}

/** Failures in v. */
export function count(v: Times): number {
  return typeof v === 'number' ? 1 : v.length;
}

/** Failures in v at or after `lower`. */
export function countSince(v: Times, lower: number): number {
  if (typeof v === 'number') return v >= lower ? 1 : 0;
  let n = 0;
  for (const t of v) if (t >= lower) n++;
  return n;
}
