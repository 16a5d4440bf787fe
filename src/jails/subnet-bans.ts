// Subnet bans (docs/firewall.md, "Subnet bans"): when `subnetmaxbans` distinct addresses of one
// prefix (/subnetprefix4, /subnetprefix6) are banned within `subnetfindtime`, the prefix is due to
// be banned as one entry. Never when the prefix holds an address that must keep working: an
// ignoreip entry (or loopback, or the host under ignoreself, as the jail's own matcher says), one of
// the host's own addresses, or an address with a live registration (a phone, a trunk). A refusal
// is remembered for the window (one log line per prefix, not one per ban) and kept for `status`.
//
// Pure: every call takes `now`; the host's addresses and the registrations are interfaces passed
// in (app.ts picks them, tests pass literals). Memory is bounded: at most `maxPrefixes` prefixes
// are tracked, each with fewer than subnetmaxbans addresses; the least recently touched goes first.

import { cidrContains, parseCidr, parseIp, type Cidr } from '../core/ip.js';
import type { HostAddresses, LiveRegistrations } from '../core/protection.js';
import type { JailConfig } from '../config/jail-schema.js';
import { VoipguardError } from '../core/errors.js';

export interface SubnetSettings {
  /** subnetmaxbans: 0 is off. */
  readonly maxBans: number;
  readonly prefix4: number;
  readonly prefix6: number;
  /** subnetfindtime, ms. */
  readonly findtime: number;
}

/** The jail keys subnetmaxbans, subnetprefix4, subnetprefix6, subnetfindtime. */
export function subnetSettingsOf(cfg: Pick<JailConfig, 'subnetmaxbans' | 'subnetprefix4' | 'subnetprefix6' | 'subnetfindtime'>): SubnetSettings {
  return { maxBans: cfg.subnetmaxbans, prefix4: cfg.subnetprefix4, prefix6: cfg.subnetprefix6, findtime: cfg.subnetfindtime };
}

/**
 * A subnet ban is one range entry: with subnetmaxbans on, every firewall action of the jail must
 * hold ranges (banranges = yes). `refusing`: the actions that do not (JailActions.rangesRefusedBy).
 */
export function requireRanges(cfg: Pick<JailConfig, 'name' | 'file' | 'subnetmaxbans'>, refusing: readonly string[]): void {
  if (cfg.subnetmaxbans === 0 || refusing.length === 0) return;
  throw new VoipguardError(
    'VG_CONFIG_ARGS',
    `subnetmaxbans needs actions that hold ranges; ${refusing.join(', ')} hold${refusing.length > 1 ? '' : 's'} single addresses only (use iptables-ipset, iptables or route)`,
    { file: cfg.file, section: cfg.name, key: 'subnetmaxbans' },
  );
}

export type SubnetRefusal = 'ignoreip' | 'host' | 'registered';

export interface SubnetRefused {
  readonly prefix: string;
  readonly why: SubnetRefusal;
  /** The protected address, or the ignoreip entry, that kept the prefix from being banned. */
  readonly address: string;
  /** The banned addresses that made the prefix due. */
  readonly addresses: readonly string[];
  readonly at: number;
}

export type SubnetVerdict =
  { readonly kind: 'ban'; readonly prefix: string; readonly addresses: readonly string[] } | ({ readonly kind: 'refused' } & SubnetRefused);

/** The jail's own "is any address of this range never banned" (its IgnoreMatcher): why, and which entry. */
export type IgnoreOverlap = (range: Cidr) => { readonly why: SubnetRefusal; readonly address: string } | null;

export const DEFAULT_MAX_PREFIXES = 10_000;
/** Refusals kept for status (the newest). */
export const KEPT_REFUSALS = 20;

export class SubnetBans {
  /** prefix → address → when it was banned (insertion order: least recently touched first). */
  private readonly recent = new Map<string, Map<string, number>>();
  /** prefix → until when a refusal stands (not re-checked, not re-logged). */
  private readonly refusedUntil = new Map<string, number>();
  private readonly kept: SubnetRefused[] = [];
  private fresh: SubnetRefused[] = [];

  constructor(
    private settings: SubnetSettings,
    private readonly host: HostAddresses,
    private readonly registrations: LiveRegistrations,
    private readonly maxPrefixes = DEFAULT_MAX_PREFIXES,
  ) {}

  get enabled(): boolean {
    return this.settings.maxBans > 0;
  }

  setSettings(s: SubnetSettings): void {
    this.settings = s;
  }

  /** The prefix (canonical `net/len`) that holds `ip`, or null when subnet bans are off. */
  prefixOf(ip: string): string | null {
    if (!this.enabled) return null;
    const len = ip.includes(':') ? this.settings.prefix6 : this.settings.prefix4;
    return parseCidr(`${ip}/${len}`)?.text ?? null;
  }

  /**
   * A detected ban of the address `ip` at `now`. Returns 'ban' when its prefix is due (the caller
   * bans it), 'refused' the first time a due prefix holds a protected address, else null.
   */
  observe(ip: string, now: number, ignoreOverlap: IgnoreOverlap): SubnetVerdict | null {
    const prefix = this.prefixOf(ip);
    if (prefix === null) return null;
    const stands = this.refusedUntil.get(prefix);
    if (stands !== undefined) {
      if (stands > now) return null;
      this.refusedUntil.delete(prefix);
    }
    const lower = now - this.settings.findtime;
    const seen = this.recent.get(prefix) ?? new Map<string, number>();
    this.recent.delete(prefix); // re-inserted below: most recently touched last
    for (const [a, t] of seen) if (t <= lower) seen.delete(a);
    seen.set(ip, now);
    if (seen.size < this.settings.maxBans) {
      this.recent.set(prefix, seen);
      this.trim();
      return null;
    }
    const addresses = [...seen.keys()].sort();
    const refusal = this.protectedIn(prefix, now, ignoreOverlap);
    if (refusal === null) return { kind: 'ban', prefix, addresses };
    const r: SubnetRefused = { prefix, why: refusal.why, address: refusal.address, addresses, at: now };
    this.refusedUntil.set(prefix, now + this.settings.findtime);
    while (this.refusedUntil.size > this.maxPrefixes) this.refusedUntil.delete(this.refusedUntil.keys().next().value!);
    this.kept.push(r);
    if (this.kept.length > KEPT_REFUSALS) this.kept.shift();
    this.fresh.push(r);
    if (this.fresh.length > KEPT_REFUSALS) this.fresh.shift();
    return { kind: 'refused', ...r };
  }

  /** The newest refusals (at most KEPT_REFUSALS), oldest first, for status. */
  refusals(): readonly SubnetRefused[] {
    return [...this.kept];
  }

  /** Refusals since the last call, for the runtime to log. */
  takeRefusals(): SubnetRefused[] {
    const out = this.fresh;
    this.fresh = [];
    return out;
  }

  /** Prefixes tracked now (each below subnetmaxbans addresses). */
  get trackedPrefixes(): number {
    return this.recent.size;
  }

  private trim(): void {
    while (this.recent.size > this.maxPrefixes) this.recent.delete(this.recent.keys().next().value!);
  }

  private protectedIn(prefix: string, now: number, ignoreOverlap: IgnoreOverlap): { why: SubnetRefusal; address: string } | null {
    const range = parseCidr(prefix)!;
    const hostIp = firstInside(range, this.host.addresses());
    if (hostIp !== null) return { why: 'host', address: hostIp };
    const ignored = ignoreOverlap(range);
    if (ignored !== null) return ignored;
    const reg = firstInside(range, this.registrations.addresses(now));
    if (reg !== null) return { why: 'registered', address: reg };
    return null;
  }
}

function firstInside(range: Cidr, addresses: readonly string[]): string | null {
  for (const a of addresses) {
    const ip = parseIp(a);
    if (ip !== null && cidrContains(range, ip)) return ip.text;
  }
  return null;
}
