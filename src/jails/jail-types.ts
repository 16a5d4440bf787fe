// What a jail is made with and what it reports (jail.ts): its settings, the parts passed in, the
// status record, and the defaults of its bounds.

import type { JailConfig } from '../config/jail-schema.js';
import type { GuardCaps, GuardSettings } from './account-guard.js';
import type { BannedEntry } from './ban-table.js';
import type { ProtectedEntry, RegisteredGuard } from './registered-guard.js';
import type { SubnetBans } from './subnet-bans.js';

/**
 * Tracked addresses per jail. At ~180 bytes each (bench/jail.bench.ts) that is ~18 MB: an attacker
 * would need over 100,000 other addresses failing between two attempts of one address to push it
 * out, and 2,000 new addresses a second for a findtime of a minute. Raise it with memory to spare.
 */
export const DEFAULT_MAX_TRACKED = 100_000;
/** Event times further than this from `now` (the jail key maxskew) are refused: a line dated far
 *  away is old, replayed or forged (docs/security.md, "Forged lines"), never counted at `now`. */
export const DEFAULT_MAX_SKEW = 10 * 60_000;

export type JailSettings = Pick<JailConfig, 'name' | 'maxretry' | 'findtime' | 'bantime' | 'increment' | 'ignoreip' | 'ignoreself'> &
  Partial<Pick<JailConfig, 'maxskew'>> &
  GuardSettings;

export interface JailDeps {
  /** Earlier bans of `ip` in `jail` (every jail when null), e.g. from Store.banCount. Default: none. */
  readonly history?: (ip: string, jail: string | null, now: number) => number;
  /** The host's own addresses (ignoreself). */
  readonly selfAddresses?: readonly string[];
  /** [0, 1), for bantime.rndtime. */
  readonly random?: () => number;
  /** Seeds the keyed hash of the jail's address and account tables (string-hasher.ts). Default: a random one. */
  readonly hashSeed?: number;
  readonly maxTracked?: number;
  readonly maxSkew?: number;
  /** Bounds of the per-account, challenge and alarm tables (docs/beyond-one-address.md). */
  readonly guardCaps?: GuardCaps;
  /** protectregistered: failures against an address's own registered account never ban it. */
  readonly registered?: RegisteredGuard;
  /** Subnet bans (subnetmaxbans > 0): app.ts makes it with the host's addresses and the registrations. */
  readonly subnets?: SubnetBans;
}

export interface JailStatus {
  readonly currentlyFailed: number;
  readonly totalFailed: number;
  readonly currentlyBanned: number;
  readonly totalBanned: number;
  readonly banned: readonly BannedEntry[];
  /** Failures dated further than maxskew from now (refused), addresses evicted by the cap, ignored failures. */
  readonly counters: { readonly clamped: number; readonly evicted: number; readonly ignored: number; readonly tracked: number };
  /** Registered addresses whose failures against their own account were counted, not toward a ban (docs/registrations.md). */
  readonly protectedRegistered: readonly ProtectedEntry[];
}
