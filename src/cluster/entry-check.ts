// The checks every entry from another node passes before it reaches a jail, as any input does
// (docs/cluster.md, "Security model"): the address parsed again here, the jail one of this node's
// shared jails, the origin's reason one this node accepts, the ban time within maxbantime, and the
// address none of this node's protected ones: loopback, its own addresses, the jail's ignoreip, a
// live registration. A range must not cover any of those either, and is never wider than a /16
// (IPv4) or a /32 (IPv6): one node must not be able to lock a whole provider out of the others.

import { cidrContains, cidrOverlaps, isLoopback, parseBanTarget, parseCidr, parseIp, type Cidr } from '../core/ip.js';
import type { HostAddresses, LiveRegistrations } from '../core/protection.js';
import type { ClusterEntry, RefusedReason } from './wire.js';

export const WIDEST_V4 = 16;
export const WIDEST_V6 = 32;

export interface CheckContext {
  readonly self: string;
  /** The running jails this node shares. */
  readonly jails: ReadonlySet<string>;
  readonly accept: ReadonlySet<string>;
  readonly maxBanTime: number;
  readonly ignoreip: (jail: string) => readonly string[];
  readonly host: HostAddresses;
  readonly registrations: LiveRegistrations;
  /** The host's addresses and ignoreip parsed once for the batch (made from this context when absent). */
  readonly parsed?: ParsedProtection;
}

export type CheckResult =
  | { readonly ok: true; readonly ip: string }
  | { readonly ok: false; readonly skip: 'own' | 'expired' }
  | { readonly ok: false; readonly refused: RefusedReason; readonly why: string };

/**
 * `parsed`: the entry's address as decodeEntry parsed it (e.ip is its text), so that a snapshot of
 * 100,000 entries parses each address once; without it, e.ip is parsed here.
 */
export function checkEntry(e: ClusterEntry, ctx: CheckContext, now: number, parsed?: Cidr): CheckResult {
  if (e.node === ctx.self) return { ok: false, skip: 'own' };
  if (!ctx.jails.has(e.jail)) return refuse('jail', `jail ${e.jail} is not shared here`);
  let target = parsed;
  if (target === undefined) {
    const t = parseBanTarget(e.ip);
    if (t === null || !('target' in t)) return refuse('address', `"${e.ip}" is not an address or range`);
    target = t.target;
  }
  const max = target.family === 4 ? 32 : 128;
  if (target.prefix < max && target.prefix < (target.family === 4 ? WIDEST_V4 : WIDEST_V6))
    return refuse('address', `${target.text} is wider than a /${target.family === 4 ? WIDEST_V4 : WIDEST_V6}`);
  if (e.op === 'unban') return { ok: true, ip: target.text };
  if (!ctx.accept.has(e.reason)) return refuse('reason', `reason ${e.reason} is not accepted`);
  if (target.prefix < max && e.reason !== 'subnet') return refuse('address', `a range (${target.text}) with reason ${e.reason}`);
  if (e.until === null) return refuse('bantime', 'a permanent ban');
  if (e.until - Math.max(now, e.start) > ctx.maxBanTime || e.until - e.start > ctx.maxBanTime)
    return refuse('bantime', `ban time ${Math.round((e.until - e.start) / 1000)} s is over maxbantime`);
  if (e.until <= now) return { ok: false, skip: 'expired' };
  const why = protectedBy(target, e.jail, ctx, now);
  if (why !== null) return refuse('protected', `${target.text}: ${why}`);
  return { ok: true, ip: target.text };
}

const LOOPBACK_V4 = parseCidr('127.0.0.0/8')!;
const LOOPBACK_V6 = parseCidr('::1')!;

/**
 * The protected lists parsed once for a batch: a snapshot of 100,000 entries checked against the
 * host's addresses and ignoreip parsed 100,000 times spent most of its check there. The lists are
 * read at their first use in the batch, as before.
 */
export class ParsedProtection {
  private host: readonly Cidr[] | null = null;
  private readonly ignore = new Map<string, readonly Cidr[]>();

  constructor(private readonly ctx: Pick<CheckContext, 'host' | 'ignoreip'>) {}

  hostRanges(): readonly Cidr[] {
    return (this.host ??= parseAll(this.ctx.host.addresses()));
  }

  ignoreRanges(jail: string): readonly Cidr[] {
    let l = this.ignore.get(jail);
    if (!l) this.ignore.set(jail, (l = parseAll(this.ctx.ignoreip(jail))));
    return l;
  }
}

function parseAll(texts: readonly string[]): Cidr[] {
  const out: Cidr[] = [];
  for (const t of texts) {
    const c = parseCidr(t);
    if (c !== null) out.push(c);
  }
  return out;
}

/** What makes `target` never banned here, or null. */
function protectedBy(target: Cidr, jail: string, ctx: CheckContext, now: number): string | null {
  const parsed = ctx.parsed ?? new ParsedProtection(ctx);
  const covers = (c: Cidr): boolean => cidrOverlaps(target, c);
  if (covers(target.family === 4 ? LOOPBACK_V4 : LOOPBACK_V6)) return 'loopback';
  const single = target.prefix === (target.family === 4 ? 32 : 128);
  if (single && isLoopback(target.text)) return 'loopback';
  if (parsed.hostRanges().some(covers)) return "one of this host's own addresses";
  if (parsed.ignoreRanges(jail).some(covers)) return 'in ignoreip';
  if (single ? ctx.registrations.isRegistered(target.text, now) : ctx.registrations.addresses(now).some((a) => inside(target, a))) return 'a live registration';
  return null;
}

function inside(c: Cidr, ip: string): boolean {
  const p = parseIp(ip);
  return p !== null && cidrContains(c, p);
}

function refuse(refused: RefusedReason, why: string): CheckResult {
  return { ok: false, refused, why };
}
