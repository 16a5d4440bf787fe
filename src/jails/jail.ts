// A jail: failures in, decisions out. Pure: no I/O, no clock (every call takes `now`), the history
// of earlier bans and the random source are passed in. Detected bans, manual bans and restored bans
// all come out as the same Decision records, so actions and the store have one path to follow.

import { VoipguardError } from '../core/errors.js';
import { cidrOverlaps, normalizeIp, parseBanTarget, parseCidr, type Cidr } from '../core/ip.js';
import type { BanDecision, BanReason, BanRecord, Decision, Failure, UnbanDecision } from '../core/types.js';
import type { FailureWindowRow } from '../store/store.js';
import type { AuthSignal, GuardNotice } from '../core/auth-signal.js';
import { AccountGuard, type GuardStatus } from './account-guard.js';
import { banDuration } from './ban-policy.js';
import { BanTable, type BannedEntry } from './ban-table.js';
import { banTarget, describeIgnore, ignoreRange } from './ban-target.js';
import { DEFAULT_MAX_SKEW, DEFAULT_MAX_TRACKED, type JailDeps, type JailSettings, type JailStatus } from './jail-types.js';
import { FailureWindows } from './failure-windows.js';
import { IgnoreMatcher } from './ignore-matcher.js';
import { randomSeed, StringHasher } from './string-hasher.js';
import type { RegisteredGuard } from './registered-guard.js';
import type { SubnetBans, SubnetRefusal, SubnetRefused } from './subnet-bans.js';

/** What most failures decide: nothing (one shared array, not a new one per failure). */
const NO_DECISIONS: readonly Decision[] = Object.freeze([]);

export { DEFAULT_MAX_SKEW, DEFAULT_MAX_TRACKED, type JailDeps, type JailSettings, type JailStatus } from './jail-types.js';
export type { BannedEntry } from './ban-table.js';

export class Jail {
  readonly name: string;
  private readonly windows: FailureWindows;
  private readonly ignore: IgnoreMatcher;
  private readonly banned = new BanTable();
  private totalFailed = 0;
  private totalBanned = 0;
  private clamped = 0;
  private ignored = 0;
  private maxSkew: number;
  private readonly fixedSkew: number | undefined;
  private readonly trackedCap: number;
  private readonly history: (ip: string, jail: string | null, now: number) => number;
  private readonly random: () => number;
  /** protectregistered (registered-guard.ts); null when off. */
  private readonly registered: RegisteredGuard | null;
  private readonly subnets: SubnetBans | null;
  /** Per-account counting, unanswered challenges, the compromise alarm (account-guard.ts). */
  private readonly guard: AccountGuard;
  /** The jail's keyed hash, shared by its tables: an address is hashed once per failure. */
  private readonly hasher: StringHasher;

  constructor(
    private cfg: JailSettings,
    deps: JailDeps = {},
  ) {
    this.name = cfg.name;
    this.trackedCap = deps.maxTracked ?? DEFAULT_MAX_TRACKED;
    // one keyed hash for the jail's address and account tables (string-hasher.ts)
    const hasher = new StringHasher(deps.hashSeed ?? randomSeed());
    this.hasher = hasher;
    // a record that goes takes with it the address's single failure kept for the account windows
    this.windows = new FailureWindows(cfg.maxretry, cfg.findtime, this.trackedCap, hasher, { gone: (r) => this.guard.addressGone(r) });
    this.ignore = new IgnoreMatcher(cfg.ignoreip, cfg.ignoreself ? (deps.selfAddresses ?? []) : []);
    this.fixedSkew = deps.maxSkew;
    this.maxSkew = deps.maxSkew ?? cfg.maxskew ?? DEFAULT_MAX_SKEW;
    this.history = deps.history ?? (() => 0);
    this.random = deps.random ?? Math.random;
    this.guard = new AccountGuard(cfg, deps.guardCaps, hasher, this.windows);
    this.registered = deps.registered ?? null;
    this.subnets = deps.subnets?.enabled ? deps.subnets : null;
  }

  /**
   * New settings (`set <jail> KEY VALUE`, or a reload putting the file's values back): maxretry,
   * findtime, bantime, maxskew and bantime.* hold for the next decision; bans already taken keep
   * their end, windows keep their failures (counted against the new limits at the next one).
   */
  setSettings(cfg: JailSettings): void {
    if (cfg.name !== this.name) throw new RangeError(`settings of ${cfg.name} given to jail ${this.name}`);
    this.cfg = cfg;
    this.windows.setLimits(cfg.maxretry, cfg.findtime);
    this.maxSkew = this.fixedSkew ?? cfg.maxskew ?? DEFAULT_MAX_SKEW;
    this.guard.setSettings(cfg);
    this.registered?.setFindtime(cfg.findtime);
  }

  /** Failures refused because their time was further than maxskew from `now` (also in
   *  status().counters.clamped). A cheap read: the runtime compares it around failure() to report it per source. */
  get clampedTotal(): number {
    return this.clamped;
  }

  /** One failure. `f.ip` is canonical (the Failure contract). Returns a ban decision or nothing. */
  failure(f: Failure, now: number): readonly Decision[] {
    const ip = f.ip;
    if (this.ignore.match(ip) !== null) {
      this.ignored++;
      return NO_DECISIONS;
    }
    if (!(f.time >= now - this.maxSkew && f.time <= now + this.maxSkew)) {
      this.clamped++;
      return NO_DECISIONS;
    }
    const t = Math.min(f.time, now); // a clock slightly ahead counts at now
    this.totalFailed++;
    if (this.banned.has(ip)) return NO_DECISIONS; // still arriving while the firewall catches up (no lookup while none is banned)
    if (this.registered !== null && this.registered.protects(f, t, now)) return NO_DECISIONS;
    const prefix = this.subnets?.prefixOf(ip) ?? null;
    if (prefix !== null && this.banned.has(prefix)) return NO_DECISIONS; // its whole prefix is banned
    const ih = this.hasher.hash(ip);
    const count = this.windows.add(ip, t, true, ih); // also reported at the next takeWindowChanges()
    const more = this.guard.failure(f, t, ih, this.windows.lastRecord);
    if (count < this.cfg.maxretry && more.length === 0) return NO_DECISIONS;
    const out: Decision[] = [];
    if (count >= this.cfg.maxretry) {
      this.windows.delete(ip);
      out.push(this.startBan(ip, now, 'detected', count, undefined), ...this.subnetBan(ip, now));
    }
    for (const a of more) if (!this.banned.has(a) && this.ignore.match(a) === null) out.push(this.banFor(a, now, 'account-attack', this.windows.count(a)));
    return out;
  }

  /**
   * A ChallengeSent or SuccessfulAuth (never a failure): opens or answers a challenge, and a login
   * after `suspectfailures` failures raises the compromise alarm (a ban with bansuspected).
   */
  signal(s: AuthSignal, now: number): Decision[] {
    if (this.ignore.match(s.ip) !== null) return [];
    if (!(s.time >= now - this.maxSkew && s.time <= now + this.maxSkew)) {
      this.clamped++;
      return [];
    }
    const t = Math.min(s.time, now);
    const recent = s.kind === 'SuccessfulAuth' ? this.windows.countSince(s.ip, now - this.cfg.findtime) : 0;
    if (!this.guard.signal(s, t, recent) || this.banned.has(s.ip)) return [];
    return [this.banFor(s.ip, now, 'compromise', recent)];
  }

  /** Challenges that timed out unanswered by `now`: failures (kind unanswered-challenge) for the runtime to count. */
  expiredChallenges(now: number): Failure[] {
    return this.guard.settle(now);
  }

  /** True when takeNotices() has something: a cheap check for the per-failure path. */
  get hasNotices(): boolean {
    return this.guard.hasNotices;
  }

  /** Account attacks started and compromises suspected since the last call (the runtime logs, counts, notifies). */
  takeNotices(): GuardNotice[] {
    return this.guard.takeNotices();
  }

  /** Accounts under attack and the guard's tables (status, `voipguard regex`). */
  guardStatus(now: number, limit?: number): GuardStatus {
    return this.guard.status(now, limit);
  }

  /** After a detected ban of `ip`: its prefix, when subnetmaxbans addresses of it are banned in the window. */
  private subnetBan(ip: string, now: number): BanDecision[] {
    const v = this.subnets?.observe(ip, now, this.ignoreOverlap) ?? null;
    if (v === null || v.kind !== 'ban' || this.banned.has(v.prefix)) return [];
    // the prefix's own ban time and increments: the history counts earlier bans of the prefix
    return [this.startBan(v.prefix, now, 'subnet', v.addresses.length, undefined)];
  }

  private readonly ignoreOverlap = (range: Cidr): { why: SubnetRefusal; address: string } | null => {
    const why = this.ignore.overlap(range);
    if (why === null) return null;
    if (why !== 'ignoreip') return { why: why === 'self' ? 'host' : 'ignoreip', address: why === 'self' ? 'ignoreself' : 'loopback' };
    const entry = this.ignore.entries().find((e) => cidrOverlaps(parseCidr(e)!, range));
    return { why: 'ignoreip', address: entry ?? 'ignoreip' };
  };

  /** Subnet bans refused (the newest), for status. */
  subnetRefusals(): readonly SubnetRefused[] {
    return this.subnets?.refusals() ?? [];
  }

  /** Subnet bans refused since the last call, for the runtime's log. */
  takeSubnetRefusals(): SubnetRefused[] {
    return this.subnets?.takeRefusals() ?? [];
  }

  /** Expired bans → unban decisions; also forgets windows that went stale. */
  tick(now: number): UnbanDecision[] {
    this.windows.prune(now);
    this.guard.prune(now);
    return this.banned.expire(now).map((ip) => ({ type: 'unban', jail: this.name, ip, time: now, reason: 'expired' }));
  }

  /**
   * A manual ban, through the same door as a detected one. `duration` (ms, -1 permanent) overrides
   * the jail's policy; `reason` says who asked when it is not the operator ('cluster': another node). Returns [] when already banned; throws VG_BAD_IP or VG_IGNORED_IP.
   */
  ban(ipText: string, now: number, opts: { readonly duration?: number; readonly reason?: BanReason } = {}): BanDecision[] {
    const ip = banTarget(ipText);
    const range = ip.includes('/') ? parseCidr(ip)! : null;
    // a range is refused when any address in it is never banned: loopback, the host, ignoreip
    const why = range ? this.ignore.overlap(range) : this.ignore.match(ip);
    if (why !== null) {
      const what = range ? `${ip} holds an address that is never banned` : `${ip} is never banned`;
      throw new VoipguardError('VG_IGNORED_IP', `${what} (${describeIgnore(why)})`);
    }
    if (this.banned.has(ip)) return [];
    this.endWindow(ip);
    return [this.startBan(ip, now, opts.reason ?? 'manual', 0, opts.duration)];
  }

  /** A manual unban. Returns [] when the address is not banned here. */
  unban(ipText: string, now: number): UnbanDecision[] {
    const ip = banTarget(ipText);
    if (!this.banned.delete(ip)) return [];
    return [{ type: 'unban', jail: this.name, ip, time: now, reason: 'manual' }];
  }

  /**
   * Bans kept by the store, at start or reload. Active ones come back as 'restored' ban decisions
   * (for the firewall); expired ones are kept for the next tick() to unban; addresses ignored by the
   * current config come back as 'reload' unban decisions. Records of other jails are skipped.
   */
  restore(records: readonly BanRecord[], now: number): Decision[] {
    const out: Decision[] = [];
    for (const r of records) {
      const t = r.jail === this.name ? parseBanTarget(r.ip) : null;
      if (t === null || !('target' in t)) continue;
      const ip = t.target.text;
      if ((ip.includes('/') ? this.ignore.overlap(t.target) : this.ignore.match(ip)) !== null) {
        out.push({ type: 'unban', jail: this.name, ip, time: now, reason: 'reload' });
        continue;
      }
      this.setBanned({ ip, start: r.start, until: r.until, banCount: r.banCount, reason: r.reason });
      this.totalBanned++;
      if (r.until === null || r.until > now) {
        out.push({ type: 'ban', jail: this.name, ip, time: r.start, until: r.until, banCount: r.banCount, reason: 'restored', failures: 0 });
      }
    }
    return out;
  }

  /**
   * Failure windows kept by the store, at start: each address gets back its failures inside
   * findtime of `now`, so a restart does not reset its count toward maxretry. Call after restore()
   * (a banned address's leftover window is dropped, and reported as changed so the store drops it
   * too); ignored addresses are dropped the same way. Rows come least recently failed first, which
   * rebuilds the eviction order. Returns how many addresses are tracked again.
   */
  restoreWindows(rows: readonly FailureWindowRow[], now: number): number {
    const lower = now - this.cfg.findtime;
    let n = 0;
    for (const r of rows) {
      const ip = normalizeIp(r.ip);
      if (ip === null) continue;
      if (ip !== r.ip || this.banned.has(ip) || this.ignore.match(ip) !== null) {
        this.windows.markChanged(r.ip);
        continue;
      }
      // a time in the future (clock stepped back) counts at now, as failure() would have counted it
      const times = r.times.filter((t) => t >= lower).map((t) => Math.min(t, now + this.maxSkew));
      if (times.length === 0) continue;
      for (const t of times) this.windows.add(ip, t, false);
      if (this.windows.count(ip) > 0) n++;
    }
    return n;
  }

  /**
   * The windows changed since the last call (an empty `times`: no longer tracked), for the runtime
   * to save in one transaction. Windows that expire or are evicted are not reported: the store
   * prunes those on its own (Store.pruneWindows with findtime and the tracked-address cap).
   */
  takeWindowChanges(): FailureWindowRow[] {
    return this.windows.takeChanges();
  }

  /** The tracked-address cap (the store keeps no more windows than this). */
  get maxTracked(): number {
    return this.trackedCap;
  }

  addIgnore(entry: string): boolean {
    return this.ignore.add(ignoreRange(entry));
  }

  delIgnore(entry: string): boolean {
    return this.ignore.remove(ignoreRange(entry));
  }

  ignoreList(): string[] {
    return this.ignore.entries();
  }

  isBanned(ip: string): boolean {
    const n = parseCidr(ip)?.text ?? null;
    return n !== null && this.banned.has(n);
  }

  /** Addresses banned now: a counter, for the per-decision paths (metrics) that must not copy the table. */
  /**
   * Addresses with failures in their window, as of the last tick's prune (each second): a count the
   * windows keep, for the currently-failed gauge, where status() walks them for the exact figure.
   */
  get trackedCount(): number {
    return this.windows.size;
  }

  get bannedCount(): number {
    return this.banned.size;
  }

  /**
   * The jail's figures. `withList` copies and sorts every banned entry (O(n log n)): only the
   * requests that show the list ask for it; counts alone cost nothing per ban.
   */
  status(now: number, withList = true): JailStatus {
    const banned = withList ? this.banned.sorted() : [];
    return {
      currentlyFailed: this.windows.currentlyFailed(now),
      totalFailed: this.totalFailed,
      currentlyBanned: this.banned.size,
      totalBanned: this.totalBanned,
      banned,
      counters: { clamped: this.clamped, evicted: this.windows.evicted, ignored: this.ignored, tracked: this.windows.size },
      protectedRegistered: this.registered?.shown(now) ?? [],
    };
  }

  private startBan(ip: string, now: number, reason: BanReason, failures: number, duration: number | undefined): BanDecision {
    const earlier = this.history(ip, this.cfg.increment.overalljails ? null : this.name, now);
    const ms = duration ?? banDuration(this.cfg.bantime, earlier, this.cfg.increment, this.random);
    const until = ms < 0 ? null : now + ms;
    const banCount = earlier + 1;
    this.setBanned({ ip, start: now, until, banCount, reason });
    this.totalBanned++;
    return { type: 'ban', jail: this.name, ip, time: now, until, banCount, reason, failures };
  }

  /** A ban decided by a rule beyond the address's own count: its window goes with it. */
  private banFor(ip: string, now: number, reason: BanReason, failures: number): BanDecision {
    this.endWindow(ip);
    return this.startBan(ip, now, reason, failures, undefined);
  }

  /**
   * A ban ends ip's window, and the store's row with it. An address with no window in memory has
   * none in the store either (the store keeps what memory tracks: rows are restored at start, after
   * the stale ones are pruned, and every eviction is reported), so it is not reported: a fleet's
   * snapshot of 100,000 bans reported 100,000 addresses, each a DELETE in the store.
   */
  private endWindow(ip: string): void {
    if (this.windows.delete(ip)) this.windows.markChanged(ip);
  }

  private setBanned(b: BannedEntry): void {
    this.banned.set(b);
  }
}
