// The store side of one running jail: its decisions and its changed failure windows written to
// the store in batches (one transaction per read of a source, or per burst of AMI events), and the
// windows read back at start. A write that fails is logged (`store-failed`) and counted, and never
// stops the jail or the kernel write: the caller hands decisions here and goes on to the firewall.
// Split out of jail-runtime.ts as it was; the runtime owns one and calls it.

import { VoipguardError } from '../core/errors.js';
import { turn } from '../core/slices.js';
import type { Decision } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import type { JailEngine } from './ports.js';

/** Deferred decisions written per transaction (about 70 ms for 10,000 bans), a turn between two. */
export const LATER_SLICE = 10_000;

export class JailStoreWriter {
  private storeQueue: Decision[] = [];
  /**
   * The fleet's bulk decisions, written once their kernel commands have ended (toStoreAfter), or
   * at once, ahead of anything, when any other write comes first: the store sees every (jail,
   * address) in the order of the decisions.
   */
  private later: Decision[][] = [];
  /** The deferred writes, chained in the order of their calls. */
  private writingLater: Promise<void> = Promise.resolve();
  /**
   * The fleet's bulk bans (toStoreAfter): written as applied when the actions hold them, and the
   * actions, told by JailActions.presume, write the flag only for those the kernel refused (100,000
   * bans, then 100,000 UPDATEs in 50 transactions, cost more than the inserts).
   */
  private readonly presumed = new Set<Decision>();
  private storeQueued = false;
  private windowsScheduled = false;

  constructor(
    private readonly name: string,
    private readonly store: Store,
    private readonly engine: JailEngine,
    private readonly log: Logger,
    private readonly counters: { storeErrors: number },
    /** The findtime in effect (it follows `set <jail> findtime`). */
    private readonly findtime: () => number,
    /** Whether every action holds the ban of an address (a deferred bulk ban's applied flag is its answer). */
    private readonly held: (ip: string) => boolean = () => true,
  ) {}

  /**
   * The changed failure windows reach the store once per burst: the lines a source delivers in one
   * go (or the events of one AMI read) are counted synchronously, then one transaction saves every
   * window they touched, before the event loop turns (so before a file's position is saved after
   * its read). A ban saves them at once, with the ban.
   */
  scheduleWindows(): void {
    if (this.windowsScheduled) return;
    this.windowsScheduled = true;
    queueMicrotask(this.saveWindowsTask);
  }

  private readonly saveWindowsTask = (): void => {
    this.windowsScheduled = false;
    // decisions of the same read are queued behind: their transaction saves the windows too (one
    // commit for the read, not two); it runs in this same turn, before any position is saved
    if (this.storeQueued) return;
    this.saveWindows();
  };

  /** Writes the windows the jail changed since the last call; a failing write is logged and counted. */
  saveWindows(): void {
    const rows = this.engine.takeWindowChanges();
    if (rows.length === 0) return;
    try {
      this.store.saveWindows(this.name, rows);
    } catch (e) {
      // the count lives on in memory; only a restart before the next save would forget it
      this.counters.storeErrors++;
      this.log.error({
        event: 'store-failed',
        step: 'windows',
        code: e instanceof VoipguardError ? e.code : 'VG_STORE_WRITE',
        rows: rows.length,
        err: (e as Error).message,
      });
    }
  }

  /** Start: the windows saved before the restart (a kill -9 included) come back into the jail. */
  restoreWindows(now: number): number {
    const engine = this.engine;
    let tracked = 0;
    try {
      this.store.pruneWindows(this.name, now - this.findtime(), engine.maxTracked);
      tracked = engine.restoreWindows(this.store.loadWindows(this.name, now - this.findtime()), now);
    } catch (e) {
      // an unreadable table costs the counts, never the start
      this.counters.storeErrors++;
      this.log.error({ event: 'store-failed', step: 'load-windows', code: e instanceof VoipguardError ? e.code : 'VG_STORE_WRITE', err: (e as Error).message });
    }
    this.saveWindows(); // leftovers of banned or now-ignored addresses are dropped
    return tracked;
  }

  /** Expired windows and those past the tracked-address cap leave the store (every action check). */
  pruneStoredWindows(now: number): void {
    try {
      this.store.pruneWindows(this.name, now - this.findtime(), this.engine.maxTracked);
    } catch (e) {
      this.counters.storeErrors++;
      this.log.error({
        event: 'store-failed',
        step: 'prune-windows',
        code: e instanceof VoipguardError ? e.code : 'VG_STORE_WRITE',
        err: (e as Error).message,
      });
    }
  }

  /** Queues decisions for one transaction, this turn (a microtask), before the firewall hears them. */
  toStore(decisions: readonly Decision[]): void {
    // deferred bulk decisions go first: a later decision for the same address must land after them
    if (this.later.length) for (const d of this.takeLater()) this.storeQueue.push(d);
    for (const d of decisions) this.storeQueue.push(d);
    if (this.storeQueued) return;
    this.storeQueued = true;
    queueMicrotask(() => {
      this.storeQueued = false;
      const q = this.storeQueue;
      this.storeQueue = [];
      this.persist(q);
    });
  }

  /**
   * The fleet's bulk door (a snapshot or a large read of the stream): the decisions are written
   * once `after` (their kernel commands) has settled, LATER_SLICE per transaction with a turn
   * between, each ban's applied flag being whether the actions hold it then. The node says ready
   * once its kernel holds the bans, without waiting for this write (about 1.2 s for 100,000 bans):
   * the fleet's cursor is saved only after it (stored()), so a node killed before knows nothing of
   * them and loads them again. Any other write first writes whatever is still deferred.
   */
  toStoreAfter(decisions: readonly Decision[], after: Promise<unknown>): void {
    const mine = [...decisions];
    for (const d of mine) if (d.type === 'ban') this.presumed.add(d);
    this.later.push(mine);
    const previous = this.writingLater;
    this.writingLater = (async () => {
      await previous;
      await after.then(
        () => undefined,
        () => undefined,
      );
      // each call writes its own decisions (a later call's kernel commands may still run)
      while (mine.length) {
        await turn();
        const part = mine.splice(0, LATER_SLICE);
        if (part.length) this.persist(part);
      }
      this.later = this.later.filter((b) => b.length > 0);
    })();
  }

  /** Settles once every decision handed over so far is in the store (the deferred ones included). */
  async stored(): Promise<void> {
    // a write handed over while this one waited is chained behind it: wait for that one too
    for (let p = this.writingLater; ; p = this.writingLater) {
      await p;
      if (p === this.writingLater) return;
    }
  }

  /** Writes whatever is still deferred, now (stop). */
  flushLater(): void {
    const all = this.takeLater();
    if (all.length) this.persist(all);
  }

  /** Every deferred decision not written yet, in order; their batches are left empty. */
  private takeLater(): Decision[] {
    const all: Decision[] = [];
    for (const b of this.later) for (const d of b.splice(0)) all.push(d);
    this.later = [];
    return all;
  }

  /** One transaction for the queued decisions; a failing write is logged and never stops the kernel write. */
  private persist(decisions: readonly Decision[]): void {
    const store = this.store;
    const presumed = this.presumed;
    let failed = 0;
    let first: unknown = null;
    try {
      store.batch(() => {
        this.saveWindows();
        for (const d of decisions) {
          try {
            if (d.type === 'ban')
              store.addBan(
                { jail: d.jail, ip: d.ip, start: d.time, until: d.until, banCount: d.banCount, reason: d.reason },
                presumed.delete(d) && this.held(d.ip),
              );
            else store.removeBan(d.jail, d.ip);
          } catch (e) {
            failed++;
            first ??= e;
          }
        }
      });
    } catch (e) {
      // the commit itself failed: nothing of the batch is kept
      failed = decisions.length;
      first = e;
    }
    if (failed === 0) return;
    // the bans still go to the firewall: a full disk must not let the attacker in
    this.counters.storeErrors += failed;
    const e = first as Error;
    this.log.error({
      event: 'store-failed',
      code: e instanceof VoipguardError ? e.code : 'VG_STORE_WRITE',
      decisions: failed,
      ip: decisions[0]!.ip,
      err: e.message,
    });
  }
}
