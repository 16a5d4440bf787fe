// One action of a jail (iptables[name=asterisk-tcp]) and its conversation with the kernel; what it
// believes the kernel holds and what is pending is its ledger (kernel-ledger.ts). Decisions queue
// up as pending; flush() sends everything pending, FLUSH_MAX changes a transaction; a failure keeps
// it pending and schedules a retry on the caller's clock (exponential backoff). check() finds a
// structure someone flushed or deleted, rebuilds it and re-sends the bans: each time is a repair.
// Nothing here throws to the caller. Every call to the firewall is counted in Metrics, ok or failed.

import type { Logger } from '../log/logger.js';
import type { FirewallOp, Metrics } from '../metrics/metrics.js';
import { NoopMetrics } from '../metrics/noop-metrics.js';
import { backoffDelay, type BackoffOptions } from '../core/backoff.js';
import { FirewallCommandError, type Firewall, type FirewallBan } from '../firewall/firewall.js';
import type { ListingRound } from '../firewall/listing-round.js';
import { AuditPace } from './audit-pace.js';
import { compareListing, MAX_TOUCHED, type CheckProbe } from './kernel-audit.js';
import { KernelLedger, type PendingProbe } from './kernel-ledger.js';

export type { CheckProbe } from './kernel-audit.js';
export { FLUSH_MAX, RESTORE_SLICE } from './kernel-ledger.js';

export const FIREWALL_BACKOFF: BackoffOptions = Object.freeze({ firstMs: 1000, baseMs: 2000, factor: 2, capMs: 60_000, jitter: 0 });

export interface InstanceStats {
  readonly repairs: number;
  readonly failures: number;
  readonly retryAt: number | null;
}

export interface InstanceOptions {
  readonly backoff?: BackoffOptions;
  readonly metrics?: Metrics;
}

export class ActionInstance {
  private started = false;
  private readonly ledger = new KernelLedger();
  private attempt = 0;
  private retryAt: number | null = null;
  private resync = false;
  private repairs = 0;
  private failures = 0;
  /** Bumped before and after every call that changes the whole structure: a probe taken across one is stale. */
  private generation = 0;
  /** The `touched` sets of the probes in flight (and not yet used by check()). */
  private readonly probing = new Set<Set<string>>();
  /** The change apply() is sending now: a probe begun meanwhile may list the kernel before it lands. */
  private sending: { readonly ban: readonly FirewallBan[]; readonly unban: readonly string[] } | null = null;
  private readonly auditPace = new AuditPace();

  private readonly backoff: BackoffOptions;
  private readonly metrics: Metrics;
  /** The `action` label: the action.d name, without the instance's name= (a bounded set). */
  private readonly action: string;

  constructor(
    readonly firewall: Firewall,
    private readonly log: Logger,
    opts: InstanceOptions = {},
  ) {
    this.backoff = opts.backoff ?? FIREWALL_BACKOFF;
    this.metrics = opts.metrics ?? new NoopMetrics();
    this.action = firewall.id.split('[')[0]!;
  }

  get id(): string {
    return this.firewall.id;
  }

  async start(now: number, round?: ListingRound): Promise<boolean> {
    try {
      await this.counted('start', () => this.changing(() => this.firewall.start(round)));
      this.started = true;
      this.retryAt = null;
      this.attempt = 0;
    } catch (e) {
      this.failed(e, now, 'start', 0);
      return false;
    }
    try {
      // its own listing, taken after this action's start (a shared one could predate our jump)
      for (const w of await this.firewall.hookWarnings()) this.log.warn({ event: 'firewall-hook-order', action: this.id }, w);
    } catch (e) {
      this.log.warn({ event: 'firewall-hook-check-failed', action: this.id, err: describe(e) });
    }
    return true;
  }

  async stop(keepRules: boolean): Promise<void> {
    // also after a failed start: what it half made is removed (errors tolerated)
    if (keepRules) return;
    try {
      await this.counted('stop', () => this.changing(() => this.firewall.stop(true)));
    } catch (e) {
      this.log.warn({ event: 'firewall-stop-failed', action: this.id, err: describe(e) });
    }
    this.started = false;
    this.ledger.emptied();
  }

  /** Queues bans and unbans; a later decision for the same address replaces an earlier one. */
  queue(bans: readonly FirewallBan[], unbans: readonly string[]): void {
    this.ledger.queue(bans, unbans);
  }

  /** Restore bans still to send. */
  get backlogSize(): number {
    return this.ledger.backlog.size;
  }

  /** True while a failed change waits for its retry (due at or after `now`). */
  waitingRetry(now: number): boolean {
    return this.retryAt !== null && now < this.retryAt;
  }

  /**
   * Sends the next slice of the restore (and whatever else is pending). Returns the addresses of
   * the slice, for the store; a failure keeps them pending, retried as one batch like any other.
   */
  async restoreSlice(now: number): Promise<string[]> {
    const slice = this.ledger.takeSlice();
    await this.flush(now);
    return slice;
  }

  /**
   * Sends what is pending, unless a retry is scheduled later than `now` (then `force` overrides):
   * one transaction per FLUSH_MAX changes, one after the other, until nothing is left or one fails.
   */
  async flush(now: number, force = false, refresh = false): Promise<void> {
    if (!force && this.retryAt !== null && now < this.retryAt) return;
    if (!this.started && !(await this.start(now))) return;
    if (this.resync && this.firewall.listable) {
      if (!(await this.relist(now))) return;
    }
    while (await this.flushSome(now, refresh));
  }

  /** One transaction of at most FLUSH_MAX changes; true when it was sent whole and more are pending. */
  private async flushSome(now: number, refresh: boolean): Promise<boolean> {
    const batch = await this.ledger.take(this.firewall.kernelTimeouts, refresh);
    if (batch === null) return false;
    const { ban, unban, dropped, fresh } = batch;
    // one transaction: bans, unbans, or a batch of both
    const op: FirewallOp = unban.length === 0 ? 'ban' : ban.length === 0 ? 'unban' : 'batch';
    for (const t of this.probing) {
      if (t.size > MAX_TOUCHED) continue;
      for (const b of ban) t.add(b.ip);
      for (const ip of unban) t.add(ip);
    }
    let result;
    this.sending = { ban, unban };
    try {
      result = await this.firewall.apply({ ban, unban, ...(dropped.size ? { dropped } : {}), ...(fresh.size ? { fresh } : {}) }, now);
    } catch (e) {
      this.metrics.firewallCommand(this.action, op, false);
      this.failed(e, now, 'apply', ban.length + unban.length);
      return false;
    } finally {
      this.sending = null;
    }
    this.metrics.firewallCommand(this.action, op, result.failed.length === 0);
    await this.ledger.landed(result.done, batch);
    if (result.failed.length > 0) {
      this.failed(result.failed[0]!.error, now, 'apply', result.failed.length);
      return false;
    }
    this.attempt = 0;
    this.retryAt = null;
    return batch.more;
  }

  /**
   * The first half of the start-up restore, which needs no stored ban: the structure made (when
   * not yet) and, for a listable action, the kernel listed into the ledger. True when reconcile()
   * may diff against the listing; false when the start or the listing failed (reconcile() then
   * leaves everything to the retry). JailActions runs it while the store is still being read: a
   * listing of 100,000 set elements takes nft a second or more (docs/benchmarks.md, nineteenth session).
   */
  async prepare(now: number, round?: ListingRound): Promise<boolean> {
    if (!this.started && !(await this.start(now))) return false;
    if (this.firewall.listable) return this.relist(now, round);
    return true;
  }

  /**
   * Start-up: the kernel is made to hold exactly `desired`. Listable actions are diffed (missing
   * bans added, unknown ones removed; with kernel timers, every timer is set again from the store's
   * end of ban); others are flushed and refilled. The unbans and the first RESTORE_SLICE bans go
   * now, in one transaction per batch command; the rest wait in the backlog (restoreSlice()).
   * `prepared`: prepare()'s answer, when the caller took it ahead (else it is taken now).
   * Returns the addresses of the first slice.
   */
  async reconcile(desired: ReadonlyMap<string, FirewallBan>, now: number, round?: ListingRound, prepared?: Promise<boolean>): Promise<string[]> {
    const ledger = this.ledger;
    if (!(await (prepared ?? this.prepare(now, round)))) {
      ledger.replace(desired, []);
      return [];
    }
    if (!this.firewall.listable) {
      try {
        await this.counted('flush', () => this.changing(() => this.firewall.flush()));
      } catch (e) {
        this.failed(e, now, 'flush', desired.size);
      }
      ledger.inKernel.clear();
    }
    ledger.replace(
      desired,
      [...ledger.inKernel.keys()].filter((ip) => !desired.has(ip)),
    );
    // the rest follows in slices (restoreSlice), with new decisions going between them
    const slice = ledger.takeSlice();
    await this.flush(now, true, true);
    return slice;
  }

  /** The read-only half of check(), safe to run beside apply(); null when not started. */
  async probe(round?: ListingRound): Promise<CheckProbe | null> {
    if (!this.started) return null;
    const generation = this.generation;
    const touched = new Set<string>();
    // a change already on its way counts as sent during the probe: the listing may predate it
    // (else its bans were taken for lost and sent twice, a second rule each: the 10,000 burst)
    const sending = this.sending;
    if (sending && sending.ban.length + sending.unban.length <= MAX_TOUCHED) {
      for (const b of sending.ban) touched.add(b.ip);
      for (const ip of sending.unban) touched.add(ip);
    }
    this.probing.add(touched);
    let intact: boolean;
    try {
      intact = await this.firewall.intact(round);
    } catch {
      intact = false;
    }
    let listed: CheckProbe['listed'] = null;
    // a listing costs in proportion to the bans held: paced (audit-pace.ts)
    if (intact && this.firewall.listable && this.auditPace.due(this.ledger.inKernel.size)) {
      try {
        listed = await this.firewall.list(round);
      } catch (e) {
        listed = { error: e };
      }
    }
    return { generation, intact, listed, touched };
  }

  /**
   * The periodic check: structure intact? kernel still holding our bans? then due retries. With a
   * probe taken while nothing changed the kernel, its findings are used; otherwise it probes now.
   */
  async check(now: number, probe?: CheckProbe | null): Promise<void> {
    if (probe) this.probing.delete(probe.touched as Set<string>);
    if (this.started) {
      // bans sent while the probe ran do not make it stale (their addresses are left out of the
      // audit). A change of the whole structure (start, repair, relisting: each leaves the kernel's
      // state freshly known) or a probe taken before the start does: this check's audit is skipped
      // rather than probing again here, in the queue, where every ban would wait for it; the next
      // check audits. Only a caller that brings no probe at all gets one taken now.
      const usable = probe !== null && probe !== undefined && probe.generation === this.generation && probe.touched.size <= MAX_TOUCHED;
      const p = usable ? probe : probe === undefined ? await this.probe() : null;
      if (p !== probe && p) this.probing.delete(p.touched as Set<string>);
      if (p !== null) {
        // a broken structure is a failed check command (actioncheck exits non-zero)
        this.metrics.firewallCommand(this.action, 'check', p.intact);
        if (!p.intact) await this.repair(now);
        else if (p.listed !== null) await this.audit(now, p.listed, p.touched);
      }
    }
    await this.flush(now);
  }

  /** A probe that check() will not use (the caller gave up on it): stops recording for it. */
  dropProbe(probe: CheckProbe | null): void {
    if (probe) this.probing.delete(probe.touched as Set<string>);
  }

  pendingBans(): string[] {
    return this.ledger.pendingBans();
  }
  /** The addresses with a ban or unban still to send that none of `others` has pending too. */
  countPendingBesides(others: readonly PendingProbe[]): number {
    return this.ledger.countPendingBesides(others);
  }
  isPending(ip: string): boolean {
    return this.ledger.isPending(ip);
  }
  /** Grows with every change of what is pending (kernel-ledger.ts). */
  get pendingChanges(): number {
    return this.ledger.pendingChanges;
  }
  /** The bans waiting to be sent, apart from a restore's backlog. */
  queuedBans(): IterableIterator<string> {
    return this.ledger.pendingBan.keys();
  }
  /** pendingBans().length, without the list. */
  pendingBanCount(): number {
    return this.ledger.pendingBanCount();
  }
  pendingUnbanCount(): number {
    return this.ledger.pendingUnban.size;
  }
  pendingUnbans(): string[] {
    return [...this.ledger.pendingUnban];
  }
  /** The ban of `ip` has reached the kernel and nothing newer is waiting. */
  holds(ip: string): boolean {
    return this.ledger.holds(ip);
  }
  stats(): InstanceStats {
    return { repairs: this.repairs, failures: this.failures, retryAt: this.retryAt };
  }

  private async repair(now: number): Promise<void> {
    this.repairs++;
    this.log.warn({ event: 'firewall-repair', action: this.id, bans: this.ledger.inKernel.size, repairs: this.repairs });
    // whatever the structure held is gone: every ban we believed in is sent again
    this.ledger.resendAll();
    try {
      await this.counted('repair', () => this.changing(() => this.firewall.repair()));
      this.attempt = 0;
      this.retryAt = null;
    } catch (e) {
      // start() runs again when the retry falls due
      this.started = false;
      this.failed(e, now, 'repair', this.ledger.pendingBan.size);
    }
  }

  private async audit(now: number, result: Set<string> | { readonly error: unknown }, touched: ReadonlySet<string>): Promise<void> {
    const ok = result instanceof Set;
    this.metrics.firewallCommand(this.action, 'check', ok);
    if (!ok) {
      this.log.warn({ event: 'firewall-list-failed', action: this.id, ...fieldsOf(result.error) });
      return;
    }
    const { lost, unknown } = await compareListing(this.ledger, result, touched, now, this.firewall.kernelTimeouts);
    if (lost > 0) {
      this.repairs++;
      this.log.warn({ event: 'firewall-repair', action: this.id, lost, repairs: this.repairs });
    }
    if (unknown > 0) this.log.warn({ event: 'firewall-unknown-bans', action: this.id, unknown });
    if (lost > 0 || unknown > 0) {
      this.attempt = 0;
      this.retryAt = null;
    }
  }

  /** Reloads inKernel from the kernel; keeps what we know about addresses still there. */
  private async relist(now: number, round?: ListingRound): Promise<boolean> {
    try {
      const listed = await this.counted('reconcile', () => this.changing(() => this.firewall.list(round)));
      this.ledger.relisted(listed, now);
      this.resync = false;
      return true;
    } catch (e) {
      this.failed(e, now, 'list', this.ledger.pendingBan.size + this.ledger.pendingUnban.size);
      return false;
    }
  }

  private async changing<T>(call: () => Promise<T>): Promise<T> {
    this.generation++;
    try {
      return await call();
    } finally {
      this.generation++;
    }
  }

  private async counted<T>(op: FirewallOp, call: () => Promise<T>): Promise<T> {
    let ok = false;
    try {
      const r = await call();
      ok = true;
      return r;
    } finally {
      this.metrics.firewallCommand(this.action, op, ok);
    }
  }

  private failed(e: unknown, now: number, step: string, count: number): void {
    this.failures++;
    const delay = backoffDelay(this.attempt, this.backoff, () => 0);
    this.attempt++;
    this.retryAt = now + delay;
    this.resync = true;
    this.log.error(
      { event: 'firewall-failed', action: this.id, step, addresses: count, attempt: this.attempt, retryAt: this.retryAt, ...fieldsOf(e) },
      `${this.id} ${step} failed; retry in ${delay} ms`,
    );
  }
}

function fieldsOf(e: unknown): Record<string, unknown> {
  if (e instanceof FirewallCommandError) return { code: e.code, ...e.fields() };
  return { code: 'VG_INTERNAL', err: describe(e) };
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
