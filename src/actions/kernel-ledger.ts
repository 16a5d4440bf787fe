// What one action believes the kernel holds, and what it still has to send: the ledger of an
// ActionInstance (action-instance.ts), apart from the conversation with the kernel. Four maps:
// the bans in the kernel, the bans and unbans pending, and a restore's backlog (bans sent a slice
// at a time, new decisions going first). An address is pending in one form at most: every move into
// one of the maps takes it out of the others. The audit (kernel-audit.ts) reads and changes the
// same maps in place (KernelView).

import { Slicer, turn } from '../core/slices.js';
import { CountedMap, CountedSet, type ChangeCounter } from './counted-collections.js';
import { Listing, type FirewallBan } from '../firewall/firewall.js';
import { placeholder, type KernelView } from './kernel-audit.js';

/**
 * Changes sent in one kernel transaction at most; more pending go in the next ones, at once. A
 * burst of 100,000 otherwise went as one or two scripts of megabytes, held several times over
 * (the script, the thread's copy, the child's stdin) at the daemon's peak memory (docs/resources.md).
 */
export const FLUSH_MAX = 10_000;

/**
 * The bans of a restore go to the kernel this many per transaction, so a new ban decided meanwhile
 * waits for one slice at most, not for the whole restore (one script per slice and per tool).
 */
export const RESTORE_SLICE = 10_000;

/**
 * A ban held in the kernel keeps its timer when the last listing showed it ending within this of
 * the ban's end (at start: the store's). The listing reads whole seconds left, set rounded up, and
 * its ends are counted from the time it was asked for, a second or so before nft or ipset answered.
 * Past it, the timer is set again; a listing slower than this sets every timer again.
 */
export const TIMER_SLACK_MS = 5_000;

/** One transaction's worth of pending changes (take()). */
export interface PendingBatch {
  readonly ban: FirewallBan[];
  /** The bans of the batch by address (landed() tells them from the unbans). */
  readonly banned: Map<string, FirewallBan>;
  readonly unban: string[];
  /** Unbans whose kernel entry carries DROP. */
  readonly dropped: Set<string>;
  /** Addresses held in neither form: an action may send them a shorter script (batchbannew). */
  readonly fresh: Set<string>;
  /** More is pending past FLUSH_MAX. */
  readonly more: boolean;
}

export class KernelLedger implements KernelView {
  readonly inKernel = new Map<string, FirewallBan>();
  /** Changes to the three pending collections below, by any path (pendingChanges). */
  private readonly counter: ChangeCounter = { changes: 0 };
  readonly pendingBan: Map<string, FirewallBan> = new CountedMap<string, FirewallBan>(this.counter);
  readonly pendingUnban: Set<string> = new CountedSet<string>(this.counter);
  /** Bans of a restore (reconcile) not sent yet: a slice at a time, new decisions go first. */
  readonly backlog: Map<string, FirewallBan> = new CountedMap<string, FirewallBan>(this.counter);
  /** When the kernel's timers end, per address, as the last listing showed them (listban's
   *  `expires`); read by the restore (or resync) that listing was for, each once. */
  private readonly listedEnds = new Map<string, number>();

  /** Grows whenever an address enters or leaves pendingBan, pendingUnban or the backlog: while it
   *  stands still, every count of them stands still. */
  get pendingChanges(): number {
    return this.counter.changes;
  }

  /** Queues bans and unbans; a later decision for the same address replaces an earlier one. */
  queue(bans: readonly FirewallBan[], unbans: readonly string[]): void {
    for (const ip of unbans) {
      this.pendingBan.delete(ip);
      this.backlog.delete(ip);
      this.pendingUnban.add(ip);
    }
    for (const b of bans) {
      this.pendingUnban.delete(b.ip);
      this.backlog.delete(b.ip);
      this.pendingBan.set(b.ip, b);
    }
  }

  /** Moves the next RESTORE_SLICE bans of the backlog to the pending ones; returns their addresses. */
  takeSlice(): string[] {
    const slice: string[] = [];
    for (const [ip, b] of this.backlog) {
      if (slice.length >= RESTORE_SLICE) break;
      this.backlog.delete(ip);
      if (!this.pendingUnban.has(ip) && !this.pendingBan.has(ip)) this.pendingBan.set(ip, b);
      slice.push(ip);
    }
    return slice;
  }

  /** The restore: `desired` goes to the backlog (sent a slice at a time), `unban` at the next flush. */
  replace(desired: ReadonlyMap<string, FirewallBan>, unban: readonly string[]): void {
    this.pendingBan.clear();
    this.pendingUnban.clear();
    this.backlog.clear();
    for (const b of desired.values()) this.backlog.set(b.ip, b);
    for (const ip of unban) this.pendingUnban.add(ip);
  }

  /** The structure was rebuilt empty: every ban believed in the kernel is pending again (sent now, not with its slice). */
  resendAll(): void {
    for (const b of this.inKernel.values()) {
      if (this.pendingBan.has(b.ip)) continue;
      this.backlog.delete(b.ip);
      this.pendingBan.set(b.ip, b);
    }
    this.inKernel.clear();
  }

  /** The kernel as listed at `now`; what we knew about an address still there is kept. */
  relisted(listed: ReadonlySet<string>, now: number): void {
    const known = new Map(this.inKernel);
    this.inKernel.clear();
    this.listedEnds.clear();
    if (listed instanceof Listing) for (const [ip, left] of listed.secondsLeft) this.listedEnds.set(ip, now + left * 1000);
    for (const ip of listed) {
      const drop = listed instanceof Listing && listed.dropped.has(ip);
      const k = known.get(ip);
      this.inKernel.set(ip, k && Boolean(k.drop) === drop ? k : placeholder(ip, drop));
    }
  }

  /** The action stopped with its rules removed: the kernel holds nothing of it, and the restore is over. */
  emptied(): void {
    this.inKernel.clear();
    this.backlog.clear();
    this.listedEnds.clear();
  }

  /**
   * The next transaction: at most FLUSH_MAX pending changes. A ban already in the kernel in the same
   * form leaves the pending ones unsent, unless the kernel keeps a timer to update: one the last
   * listing showed ending elsewhere than the ban (by more than TIMER_SLACK_MS), or did not show, is
   * set again (`refresh`: the restore's first slice, at start). A flush of 100,000 gives the event
   * loop a turn every slice (core/slices.ts); the caller's queue is serialised, so nothing changes
   * the maps meanwhile.
   */
  async take(kernelTimeouts: boolean, refresh: boolean): Promise<PendingBatch | null> {
    const slicer = new Slicer();
    let more = false;
    const ban: FirewallBan[] = [];
    const banned = new Map<string, FirewallBan>();
    const unban: string[] = [];
    const dropped = new Set<string>();
    const fresh = new Set<string>();
    for (const b of this.pendingBan.values()) {
      if (slicer.due()) await turn();
      if (ban.length >= FLUSH_MAX) {
        more = true;
        break;
      }
      const have = this.inKernel.get(b.ip);
      if (have && Boolean(have.drop) !== Boolean(b.drop)) {
        // the verdict changes (droprepeat): the old entry goes, the new one comes, in one transaction
        unban.push(b.ip);
        if (have.drop) dropped.add(b.ip);
        ban.push(b);
        banned.set(b.ip, b);
      }
      // present already: a re-add would duplicate a rule, unless the kernel keeps a timer to update
      else if (have && (!kernelTimeouts || this.timerHolds(b, have, refresh))) this.pendingBan.delete(b.ip);
      else {
        if (!have) fresh.add(b.ip);
        ban.push(b);
        banned.set(b.ip, b);
      }
    }
    for (const ip of this.pendingUnban) {
      if (slicer.due()) await turn();
      if (ban.length + unban.length >= FLUSH_MAX) {
        more = true;
        break;
      }
      const have = this.inKernel.get(ip);
      if (have) {
        unban.push(ip);
        if (have.drop) dropped.add(ip);
      } else this.pendingUnban.delete(ip);
    }
    // the listed timers serve the restore (or resync) they were listed for
    if (!more && this.backlog.size === 0) this.listedEnds.clear();
    if (ban.length === 0 && unban.length === 0) return null;
    return { ban, banned, unban, dropped, fresh, more };
  }

  /** True when the kernel's timer for b (held as `have`) already ends where b ends: the last
   *  listing showed it so, within TIMER_SLACK_MS (a permanent ban is never known so); else, when
   *  not at start (`refresh`), when b's end is the one last sent. A listed end is read once. */
  private timerHolds(b: FirewallBan, have: FirewallBan, refresh: boolean): boolean {
    const end = this.listedEnds.get(b.ip);
    if (end === undefined) return have.until === b.until && !refresh;
    this.listedEnds.delete(b.ip);
    return b.until !== null && Math.abs(end - b.until) <= TIMER_SLACK_MS;
  }

  /** The kernel took these addresses of `batch`: its bans are held, its unbans gone (unless a newer decision waits). */
  async landed(done: readonly string[], batch: PendingBatch): Promise<void> {
    const slicer = new Slicer();
    for (const ip of done) {
      if (slicer.due()) await turn();
      const b = batch.banned.get(ip);
      if (b) {
        this.inKernel.set(ip, b);
        if (this.pendingBan.get(ip) === b) this.pendingBan.delete(ip);
      } else {
        this.inKernel.delete(ip);
        this.pendingUnban.delete(ip);
      }
    }
  }

  pendingBans(): string[] {
    return [...this.pendingBan.keys(), ...this.backlog.keys()];
  }

  /**
   * The addresses with a ban or unban still to send (each once: the three maps are disjoint) that
   * none of `others` has pending too: the jail's pending count across its actions. Plain loops, no
   * iterator of its own: a generator handing out 100,000 addresses during a restore cost 25 ms a
   * call against 10 ms (docs/benchmarks.md, eighteenth session), and the count is asked every tick.
   */
  countPendingBesides(others: readonly PendingProbe[]): number {
    let n = 0;
    for (const ip of this.pendingBan.keys()) if (!pendingIn(others, ip)) n++;
    for (const ip of this.backlog.keys()) if (!pendingIn(others, ip)) n++;
    for (const ip of this.pendingUnban) if (!pendingIn(others, ip)) n++;
    return n;
  }

  isPending(ip: string): boolean {
    return this.pendingBan.has(ip) || this.backlog.has(ip) || this.pendingUnban.has(ip);
  }

  /**
   * pendingBans().length, without the list: an address is in one of the two maps at most (every
   * move into pendingBan takes it out of the backlog), so the sizes add up. Asked every tick: it
   * counted the backlog address by address, 100,000 lookups a second during a restore.
   */
  pendingBanCount(): number {
    return this.pendingBan.size + this.backlog.size;
  }

  /** The ban of `ip` has reached the kernel and nothing newer is waiting. */
  holds(ip: string): boolean {
    return this.inKernel.has(ip) && !this.pendingBan.has(ip) && !this.backlog.has(ip);
  }
}

/** What can say whether it has something pending for an address (another action's ledger). */
export interface PendingProbe {
  isPending(ip: string): boolean;
}

function pendingIn(others: readonly PendingProbe[], ip: string): boolean {
  for (const o of others) if (o.isPending(ip)) return true;
  return false;
}
