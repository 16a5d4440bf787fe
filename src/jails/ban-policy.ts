// How long a ban lasts. A closed set of formulas, never a config-supplied expression (fail2ban
// evals `bantime.formula`; voipguard warns and ignores it):
//   first ban (no earlier ban in the history)   bantime
//   repeat, with bantime.multipliers            bantime × factor × multipliers[min(n, last)]
//   repeat, without                             bantime × factor × 2^min(n, 20)
// where n = earlier bans. Then the cap (bantime.maxtime), then the jitter (up to bantime.rndtime,
// from the injected random source), in fail2ban's order: the jitter keeps a botnet from timing
// the unban even at the cap.

import { PERMANENT } from '../core/duration.js';
import type { IncrementConfig } from '../config/jail-schema.js';

export type BanIncrement = Pick<IncrementConfig, 'enabled' | 'factor' | 'multipliers' | 'maxtime' | 'rndtime'>;

export const NO_INCREMENT: BanIncrement = Object.freeze({ enabled: false, factor: 1, multipliers: [], maxtime: null, rndtime: null });

/** Ban length in ms, or PERMANENT (-1). `earlierBans` counts the address's bans before this one. */
export function banDuration(bantime: number, earlierBans: number, inc: BanIncrement, random: () => number): number {
  if (bantime === PERMANENT) return PERMANENT;
  if (!inc.enabled || earlierBans <= 0) return bantime;
  const m = inc.multipliers;
  const growth = m.length > 0 ? m[Math.min(earlierBans, m.length - 1)]! : 2 ** Math.min(earlierBans, 20);
  let t = bantime * inc.factor * growth;
  if (inc.maxtime !== null) t = Math.min(t, inc.maxtime);
  if (inc.rndtime !== null) t += random() * inc.rndtime;
  return Math.round(t);
}
