// The records the correlator keeps (attempt-correlator.ts): one attempt per counted login attempt,
// with the signals (log lines, AMI events) that were found to be the same attempt. Kept small: at a
// flood the correlator holds up to maxAttempts of them, most with one signal and no id.

import type { AttemptClass } from './attempt-classes.js';

export interface Signal {
  readonly channel: string;
  readonly cls: AttemptClass;
  readonly id: string | null;
  readonly pointer: boolean;
  readonly time: number;
}

export interface Attempt {
  readonly ip: string;
  tMin: number;
  tMax: number;
  readonly expiresAt: number;
  /** Its signals, oldest first: the one signal itself until a second joins (no array per attempt in a flood). */
  signals: Signal | Signal[];
  /** The ids its signals carried; null until one did (most flood lines carry none). */
  ids: string[] | null;
  dead: boolean;
}

/** What a queue slot holds once the expiry head has passed it: the attempt itself can be collected. */
export const GONE: Attempt = Object.freeze({ ip: '', tMin: 0, tMax: 0, expiresAt: 0, signals: [], ids: null, dead: true }) as Attempt;

export function join(a: Attempt, s: Signal): void {
  if (Array.isArray(a.signals)) a.signals.push(s);
  else a.signals = [a.signals, s];
  if (s.time < a.tMin) a.tMin = s.time;
  if (s.time > a.tMax) a.tMax = s.time;
}

export function countOf(a: Attempt): number {
  return Array.isArray(a.signals) ? a.signals.length : 1;
}

export function signalAt(a: Attempt, i: number): Signal {
  return Array.isArray(a.signals) ? a.signals[i]! : a.signals;
}

export function someSignal(a: Attempt, p: (x: Signal) => boolean): boolean {
  if (!Array.isArray(a.signals)) return p(a.signals);
  for (const x of a.signals) if (p(x)) return true;
  return false;
}

/** Ids that contradict (two different Call-IDs, or pointers) mean two different attempts. */
export function idsAgree(a: Attempt, s: Signal): boolean {
  return s.id === null || a.ids === null || a.ids.includes(s.id);
}
