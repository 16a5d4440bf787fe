// Small builders for jail tests: a jail config with fail2ban's defaults and failures at given times.

import type { JailSettings } from '../../src/jails/jail.js';
import { NO_INCREMENT } from '../../src/jails/ban-policy.js';
import type { Failure } from '../../src/core/types.js';
import { StringHasher } from '../../src/jails/string-hasher.js';

export const MIN = 60_000;
export const T0 = Date.UTC(2026, 10, 21, 9, 0, 0);

export function settings(over: Partial<JailSettings> = {}): JailSettings {
  return {
    name: 'asterisk',
    maxretry: 5,
    findtime: 10 * MIN,
    bantime: 10 * MIN,
    increment: { ...NO_INCREMENT, overalljails: false },
    ignoreip: ['127.0.0.1/8', '::1'],
    ignoreself: true,
    ...over,
  };
}

export function failure(ip: string, time: number, kind = 'InvalidPassword'): Failure {
  return { ip, time, kind, origin: 'log', source: '/var/log/asterisk/security' };
}

/** xorshift32: a fixed sequence of numbers in [0, 1) for each seed (the randomised tests). */
export function rng(seed: number): () => number {
  let s = seed | 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

/** A hash that puts every string (and every account name's bytes) on one value: each lookup then
 *  compares keys for real, where the keyed hash makes that rare. */
export class CollidingHasher extends StringHasher {
  override hash(): number {
    return 0;
  }

  override hashWords(): number {
    return 0;
  }
}
