// The actions of one jail, as the daemon drives them: start, apply decisions, a periodic check,
// start-up reconciliation with the store, stop. Every action runs on its own (one failing action
// never stops the others); calls are serialised so two transactions never interleave; no method
// rejects. A ban counts as applied when every action holds it; the store is told either way.

import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import { VoipguardError, VoipguardErrors } from '../core/errors.js';
import { normalizeIp, parseCidr } from '../core/ip.js';
import type { Decision } from '../core/types.js';
import type { ActiveBan, Store } from '../store/store.js';
import type { ConfigFileReader } from '../config/config-set.js';
import type { BackoffOptions } from '../core/backoff.js';
import type { ConntrackPurger } from '../firewall/conntrack.js';
import { familyOf, type Firewall, type FirewallBan } from '../firewall/firewall.js';
import { loadActionDefinition, type ActionDefinition } from '../firewall/action-definition.js';
import { ActionInstance, FIREWALL_BACKOFF, type InstanceStats } from './action-instance.js';
import { SLICE, Slicer, turn } from '../core/slices.js';
import { ListingRound } from '../firewall/listing-round.js';
import { dropsAt, hasDropForm } from './verdict.js';

export interface JailActionContext {
  readonly jail: string;
  readonly actions: readonly { name: string; args: Readonly<Record<string, string>> }[];
  /** Jail-level values: port, protocol, chain, blocktype… (tags for the action files). */
  readonly params: Readonly<Record<string, string>>;
  /** droprepeat: a ban whose ban count is this or more is applied with DROP (0: never). */
  readonly dropRepeat?: number;
}

/** Builds the firewalls of a jail's actions; app.ts picks the kind (command, or memory for a dry run). */
export interface FirewallMaker {
  firewall(def: ActionDefinition, log: Logger): Firewall;
  /** Cuts the flows of newly banned addresses; null when nothing reaches the kernel. */
  conntrack(log: Logger): ConntrackPurger | null;
}

export interface JailActionDeps {
  readonly configDir: string;
  readonly firewalls: FirewallMaker;
  readonly store: Store;
  readonly log: Logger;
  readonly backoff?: BackoffOptions;
  readonly reader?: ConfigFileReader;
  /** Every firewall call counted by action and operation (default: not exported). */
  readonly metrics?: Metrics;
}

export interface ActionStatus extends InstanceStats {
  readonly id: string;
  readonly pendingBans: readonly string[];
  readonly pendingUnbans: readonly string[];
}

export interface JailActions {
  /** Queues the structure (actionstart); with `after`, its commands wait for it (ready first). */
  start(after?: Promise<void>): Promise<void>;
  stop(opts?: { keepRules?: boolean }): Promise<void>;
  /** Never rejects. Decisions of other jails and invalid addresses are logged and skipped. */
  apply(decisions: readonly Decision[], now: number): Promise<void>;
  /** Due retries, repairs of flushed/deleted chains and sets. Call every few seconds. */
  check(now: number): Promise<void>;
  /**
   * Start-up: the kernel is made to match the store's active bans of this jail. A promise takes
   * its turn in the queue now and is awaited there (the bans are read back after ready:
   * daemon/jail-restore.ts); null leaves the kernel as it is (the store could not be read).
   */
  reconcile(active: readonly ActiveBan[] | PromiseLike<readonly ActiveBan[] | null>, now: number): Promise<void>;
  /** Addresses whose ban or unban has not reached every action yet. */
  pending(): readonly string[];
  /**
   * The caller writes these bans to the store as applied (the fleet's bulk door): the next apply
   * writes the flag only for those the kernel refused. Conntrack purges are as for any ban.
   */
  presume(ips: Iterable<string>): void;
  /** How many addresses pending() would list, without building the sorted list (`status --short`). */
  pendingCount(): number;
  /** True when the ban of `ip` has not reached every action yet (pending() without the list). */
  awaiting(ip: string): boolean;
  /** The actions that cannot hold a CIDR range (no `banranges = yes` in their action.d file). */
  rangesRefusedBy(): readonly string[];
  status(): readonly ActionStatus[];
  /** Resolves once the conntrack purges of applied bans have run (they run beside the firewall queue). */
  idle(): Promise<void>;
}

/** Loads every action of the jail; config errors (all of them) are thrown before anything runs. */
export function loadJailActions(ctx: JailActionContext, deps: JailActionDeps): JailActions {
  const errors: VoipguardError[] = [];
  const firewalls: Firewall[] = [];
  const noRanges: string[] = [];
  const log = deps.log.child({ component: 'actions', jail: ctx.jail });
  for (const a of ctx.actions) {
    try {
      const def = loadActionDefinition(a.name, a.args, {
        jail: ctx.jail,
        configDir: deps.configDir,
        params: ctx.params,
        ...(deps.reader ? { reader: deps.reader } : {}),
      });
      // notification actions (sendmail, webhook) are src/notify's: they share action.d, not this door
      if (def.kind === 'notify') continue;
      const fw = deps.firewalls.firewall(def, log);
      if (firewalls.some((f) => f.id === fw.id)) {
        throw new VoipguardError('VG_CONFIG_ARGS', `jail ${ctx.jail} uses ${fw.id} twice: give each a different name=`, { section: ctx.jail, key: 'action' });
      }
      firewalls.push(fw);
      if (!def.ranges) noRanges.push(fw.id);
      if ((ctx.dropRepeat ?? 0) > 0 && def.kind === 'command' && !hasDropForm(def)) {
        log.warn(
          { event: 'droprepeat-unsupported', action: fw.id },
          `${fw.id} has no DROP form (actionbandrop/batchbandrop): repeat offenders get its own verdict`,
        );
      }
    } catch (e) {
      if (!(e instanceof VoipguardError)) throw e;
      errors.push(
        new VoipguardError(e.code, `jail ${ctx.jail}, action ${a.name}: ${e.message}`, { section: ctx.jail, key: 'action', ...e.place }, { cause: e }),
      );
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new VoipguardErrors(errors);
  const opts = { backoff: deps.backoff ?? FIREWALL_BACKOFF, ...(deps.metrics ? { metrics: deps.metrics } : {}) };
  const instances = firewalls.map((f) => new ActionInstance(f, log, opts));
  const conntrack = deps.firewalls.conntrack(log);
  return new JailActionsImpl(ctx.jail, instances, deps.store, log, conntrack, noRanges, ctx.dropRepeat ?? 0);
}

class JailActionsImpl implements JailActions {
  private tail: Promise<unknown> = Promise.resolve();
  /** What the store was last told per banned address (absent: nothing told yet). */
  private readonly told = new Map<string, boolean>();
  /** The addresses `told` holds as not applied: a check reads them without copying `told` (100,000 at a restore). */
  private readonly unconfirmed = new Set<string>();
  /** Bans the caller wrote to the store as applied already (presume()): not written again when the kernel takes them. */
  private readonly presumed = new Set<string>();

  constructor(
    private readonly jail: string,
    private readonly instances: readonly ActionInstance[],
    private readonly store: Store,
    private readonly log: Logger,
    private readonly conntrack: ConntrackPurger | null,
    private readonly noRanges: readonly string[] = [],
    private readonly dropRepeat = 0,
  ) {}

  rangesRefusedBy(): readonly string[] {
    return this.noRanges;
  }

  /** The canonical address, or range when every action takes ranges (banranges = yes); else null. */
  private target(text: string): string | null {
    if (!text.includes('/')) return normalizeIp(text);
    return this.noRanges.length ? null : (parseCidr(text)?.text ?? null);
  }

  private readonly toPurge = new Set<string>();
  private purging: Promise<void> | null = null;
  /** The restore's slices being sent (drainBacklog), and whether stop() has been asked. */
  private draining: Promise<void> | null = null;
  private stopping = false;
  /** The last pendingCount() across several actions, and each one's pendingChanges then. */
  private counted: { readonly changes: readonly number[]; readonly count: number } | null = null;

  start(after?: Promise<void>): Promise<void> {
    return this.serial('start', async () => {
      // first in the queue at once (bans decided meanwhile wait behind it), its commands later
      await after;
      // start takes no clock: a failed start is retried by the first check()
      // one round: the actions' shared listings (the whole table per family) run once
      const round = new ListingRound();
      await Promise.all(this.instances.map((i) => i.start(0, round)));
      await this.conntrack?.detect();
    });
  }

  stop(opts: { keepRules?: boolean } = {}): Promise<void> {
    this.stopping = true;
    return this.serial('stop', async () => {
      await this.idle();
      await Promise.all(this.instances.map((i) => i.stop(opts.keepRules ?? false)));
    });
  }

  async idle(): Promise<void> {
    while (this.purging !== null) await this.purging;
  }

  apply(decisions: readonly Decision[], now: number): Promise<void> {
    return this.serial('apply', async () => {
      const bans = new Map<string, FirewallBan>();
      const unbans = new Set<string>();
      const slicer = new Slicer();
      for (const d of decisions) {
        if (slicer.due()) await turn();
        if (d.jail !== this.jail) {
          this.log.warn({ event: 'foreign-decision', decisionJail: d.jail });
          continue;
        }
        const ip = this.target(d.ip);
        if (ip === null) {
          this.log.warn({ event: 'invalid-ip', code: 'VG_ACTION_IP', ip: String(d.ip).slice(0, 80) });
          continue;
        }
        if (d.type === 'ban' && (d.until === null || d.until > now)) {
          unbans.delete(ip);
          const drop = dropsAt(this.dropRepeat, d.banCount);
          bans.set(ip, { ip, family: familyOf(ip), time: d.time, until: d.until, banCount: d.banCount, failures: d.failures, ...(drop ? { drop } : {}) });
        } else {
          bans.delete(ip);
          unbans.add(ip);
          this.told.delete(ip);
          this.unconfirmed.delete(ip);
          this.presumed.delete(ip);
        }
      }
      if (bans.size === 0 && unbans.size === 0) return;
      await Promise.all(
        this.instances.map(async (i) => {
          i.queue([...bans.values()], [...unbans]);
          await i.flush(now);
        }),
      );
      await this.settle(bans.keys());
    });
  }

  async check(now: number): Promise<void> {
    // the read-only commands (actioncheck, the listing) run outside the queue: a ban arriving now
    // does not wait for them (it did: up to 12 commands, the IPv6 ban of issue 15 took 340 ms)
    // bans sent meanwhile do not make a probe stale: check() leaves their addresses out (in the
    // queue, a fresh probe held every ban behind about 16 commands, 0.3-0.8 s under load)
    // one listing per family answers every action's structure check and audit (docs/flood.md)
    const round = new ListingRound();
    const probes = await Promise.all(this.instances.map((i) => i.probe(round)));
    return this.serial('check', async () => {
      try {
        await Promise.all(this.instances.map((i, k) => i.check(now, probes[k] ?? null)));
      } finally {
        this.instances.forEach((i, k) => i.dropProbe(probes[k] ?? null));
      }
      // a restore's bans not sent yet are left to their slices (drainBacklog settles each slice):
      // asked here, a check during a 100,000-ban restore marked every one of them not applied in
      // the store, then each slice marked them applied again
      const ips = new Set(this.unconfirmed);
      for (const i of this.instances) for (const ip of i.queuedBans()) ips.add(ip);
      await this.settle(ips);
    }).then(() => {
      // a restore stopped by a failure goes on once its retry has gone through
      if (this.instances.some((i) => i.backlogSize > 0)) void this.drainBacklog(now);
    });
  }

  /**
   * Start-up: the kernel is made to match the store. The stored bans then go in slices
   * (RESTORE_SLICE per transaction), each its own turn in the queue: an apply() called meanwhile
   * runs between two slices instead of after the whole restore. Resolves when all are sent.
   */
  async reconcile(active: readonly ActiveBan[] | PromiseLike<readonly ActiveBan[] | null>, now: number): Promise<void> {
    await this.reconcileStart(active, now);
    await this.drainBacklog(now);
  }

  /** Sends the restore's remaining slices, one queue turn each; one loop at a time. */
  private drainBacklog(now: number): Promise<void> {
    this.draining ??= (async () => {
      while (!this.stopping && this.instances.some((i) => i.backlogSize > 0 && !i.waitingRetry(now))) {
        await this.serial('restore', async () => {
          const sent = await Promise.all(this.instances.map((i) => (i.waitingRetry(now) ? Promise.resolve([]) : i.restoreSlice(now))));
          await this.settle(new Set(sent.flat()));
        });
      }
      this.draining = null;
      this.log.info({ event: 'reconciled', pending: this.pending().length });
    })();
    return this.draining;
  }

  private reconcileStart(bans: readonly ActiveBan[] | PromiseLike<readonly ActiveBan[] | null>, now: number): Promise<void> {
    return this.serial('reconcile', async () => {
      // the kernel is listed while the store is still read (nothing else changes the kernel
      // meanwhile: the queue is ours), not after it
      const round = new ListingRound();
      const prepared = this.instances.map((i) => i.prepare(now, round));
      const active = typeof (bans as PromiseLike<unknown>).then === 'function' ? await bans : (bans as readonly ActiveBan[]);
      if (active === null) {
        await Promise.all(prepared);
        return;
      }
      const desired = new Map<string, FirewallBan>();
      const stored = new Map<string, boolean>();
      for (const b of active) {
        if (b.jail !== this.jail || (b.until !== null && b.until <= now)) continue;
        const ip = this.target(b.ip);
        if (ip === null) {
          this.log.warn({ event: 'invalid-ip', code: 'VG_ACTION_IP', ip: String(b.ip).slice(0, 80) });
          continue;
        }
        const drop = dropsAt(this.dropRepeat, b.banCount);
        desired.set(ip, { ip, family: familyOf(ip), time: b.start, until: b.until, banCount: b.banCount, failures: 0, ...(drop ? { drop } : {}) });
        stored.set(ip, b.applied);
      }
      const first = await Promise.all(this.instances.map((i, k) => i.reconcile(desired, now, round, prepared[k])));
      // the store hears about each ban when its slice has gone (or a new decision replaced it)
      for (const [ip, applied] of stored) this.tell(ip, applied);
      await this.settle(new Set(first.flat()));
      this.log.info({ event: 'reconcile-started', bans: desired.size });
    });
  }

  pending(): readonly string[] {
    const s = new Set<string>();
    for (const i of this.instances) {
      for (const ip of i.pendingBans()) s.add(ip);
      for (const ip of i.pendingUnbans()) s.add(ip);
    }
    return [...s].sort();
  }

  pendingCount(): number {
    // every instance's own count, less the addresses an earlier instance already counted: no Set
    // of them all (asked every tick; 200,000 inserts a second during a two-action restore). That
    // is a walk of every address a later instance has pending, so its result is kept until one of
    // the instances' pending collections changes (the control board asks 10 to 20 times a second:
    // 1.6 s of a 15 s restore of 100,000 bans, docs/benchmarks.md, nineteenth session)
    const is = this.instances;
    if (is.length === 1) return is[0]!.pendingBanCount() + is[0]!.pendingUnbanCount();
    const kept = this.counted;
    if (kept !== null && is.every((i, k) => i.pendingChanges === kept.changes[k])) return kept.count;
    let n = 0;
    for (let k = 0; k < is.length; k++) {
      const i = is[k]!;
      n += k === 0 ? i.pendingBanCount() + i.pendingUnbanCount() : i.countPendingBesides(is.slice(0, k));
    }
    this.counted = { changes: is.map((i) => i.pendingChanges), count: n };
    return n;
  }

  awaiting(ip: string): boolean {
    return !this.instances.every((i) => i.holds(ip));
  }

  status(): readonly ActionStatus[] {
    return this.instances.map((i) => ({ id: i.id, pendingBans: i.pendingBans(), pendingUnbans: i.pendingUnbans(), ...i.stats() }));
  }

  presume(ips: Iterable<string>): void {
    for (const ip of ips) this.presumed.add(ip);
  }

  private tell(ip: string, applied: boolean): void {
    this.told.set(ip, applied);
    if (applied) this.unconfirmed.delete(ip);
    else this.unconfirmed.add(ip);
  }

  /** Tells the store whether each ban is in every action; cuts the flows of newly applied ones. */
  private async settle(ips: Iterable<string>): Promise<void> {
    const fresh: string[] = [];
    const changed: [string, boolean][] = [];
    const slicer = new Slicer();
    for (const ip of ips) {
      if (slicer.due()) await turn();
      const applied = this.instances.every((i) => i.holds(ip));
      if (this.told.get(ip) === applied) continue;
      if (applied) fresh.push(ip);
      this.tell(ip, applied);
      // written as applied by the caller (presume): only a refusal by the kernel is written
      if (this.presumed.delete(ip) && applied) continue;
      changed.push([ip, applied]);
    }
    // one transaction per flush, however many bans it confirmed; a flush of more than a slice
    // writes one transaction per slice, with a turn of the event loop between them
    for (let at = 0; at < changed.length; at += SLICE) {
      if (at > 0) await turn();
      const part = changed.slice(at, at + SLICE);
      try {
        this.store.batch(() => {
          for (const [ip, applied] of part) this.store.setApplied(this.jail, ip, applied);
        });
      } catch (e) {
        this.log.error({
          event: 'store-failed',
          code: e instanceof VoipguardError ? e.code : 'VG_STORE_WRITE',
          addresses: part.length,
          ip: part[0]![0],
          err: (e as Error).message,
        });
      }
    }
    if (fresh.length > 0) this.purgeFlows(fresh);
  }

  /**
   * Cuts the flows of newly banned addresses, off the firewall queue: the REJECT rule is already in
   * the kernel, and a conntrack listing costs a process or two, which the next ban must not wait
   * for. Addresses banned while a purge runs go into the next one.
   */
  private purgeFlows(ips: readonly string[]): void {
    const conntrack = this.conntrack;
    if (conntrack === null) return;
    for (const ip of ips) this.toPurge.add(ip);
    if (this.purging !== null) return;
    this.purging = (async () => {
      while (this.toPurge.size > 0) {
        const batch = [...this.toPurge];
        this.toPurge.clear();
        try {
          await conntrack.purge(batch);
        } catch (e) {
          this.log.warn({ event: 'conntrack-failed', err: (e as Error).message });
        }
      }
      this.purging = null;
    })();
  }

  private serial(what: string, fn: () => Promise<void>): Promise<void> {
    const run = this.tail.then(fn).catch((e: unknown) => {
      this.log.error({ event: 'actions-internal', code: 'VG_INTERNAL', step: what, err: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    });
    this.tail = run;
    return run;
  }
}
