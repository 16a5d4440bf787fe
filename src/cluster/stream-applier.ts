// The fleet's entries into this node's jails (docs/cluster.md): the catch-up at start or after a
// reconnection (the whole active set when the node never read the stream or its position was
// trimmed away, else nothing: the stream resumes after the saved ID), and each read of the stream.
// Entries are checked like any input (entry-batch.ts, entry-check.ts) and their bans made through
// the jails' own door with reason 'cluster'; the cursor in SQLite moves only once the kernel and the
// store have them. The node (cluster-node.ts) runs the loop that reads and calls this.

import { turn } from '../core/slices.js';
import type { RawStreamEntry, Snapshot } from './bus.js';
import type { ClusterJails, ClusterNodeDeps, ClusterReport } from './ports.js';
import { decideBatch, type RawEntry } from './entry-batch.js';
import type { Origins } from './origins.js';
import type { Refusals } from './refusals.js';
import type { StreamPosition } from './stream-position.js';
import { compareIds, idTime, parseJson } from './wire.js';

/**
 * A read of this many entries (and every snapshot) takes the bulk path: the same checks, one
 * commit per jail, but each ban logged at debug and the batch summed up in one line
 * (cluster-applied, cluster-snapshot): a catch-up of 10,000 bans wrote 20,000 lines at info.
 */
export const BULK_ENTRIES = 100;
/**
 * A snapshot (first start) is checked and committed this many entries at a time, a turn between:
 * as small as the firewall path's own slices (core/slices.ts), so the two take turns and the first
 * kernel commands run (on the other core) while later pieces are decoded. With pieces of 20,000,
 * the firewall path got one slice per piece and its first command waited until nearly all were
 * decoded (bench:cluster --alone, 100,000 bans: ready at 4.9 s, against 4.2 to 4.3 s).
 */
export const SNAPSHOT_PIECE = 2_000;

export interface ApplierDeps extends Pick<ClusterNodeDeps, 'bus' | 'clock' | 'heap' | 'log' | 'metrics' | 'settings' | 'host' | 'registrations'> {
  readonly jails: ClusterJails;
  readonly pos: StreamPosition;
  readonly origins: Origins;
  readonly refusals: Refusals;
  /** True when the fleet shares `jail` ([cluster] jails). */
  readonly shares: (jail: string) => boolean;
}

export class StreamApplier {
  /** Set at start and at every loss of the connection: the next read catches up first. */
  needCatchUp = true;
  private lastAppliedEntry: ClusterReport['lastApplied'] = null;
  private appliedCount = 0;
  private lag: number | null = null;

  constructor(private readonly deps: ApplierDeps) {}

  /** The last entry applied. */
  get lastApplied(): ClusterReport['lastApplied'] {
    return this.lastAppliedEntry;
  }

  /** Bans made from the fleet so far. */
  get applied(): number {
    return this.appliedCount;
  }

  /** From the last applied read's newest entry to its bans in the kernel; null before one. */
  get lagMs(): number | null {
    return this.lag;
  }

  /** Resume after the cursor, or load the active set when there is none or the stream was trimmed past it. */
  async catchUp(): Promise<void> {
    const pos = this.deps.pos;
    pos.rewind(); // every read before has been committed (settled): the cursor is the position
    const cursor = pos.saved;
    const first = cursor === null ? null : await this.deps.bus.firstId();
    if (cursor !== null && (first === null || compareIds(first, cursor) <= 0)) {
      this.needCatchUp = false;
      return; // the stream still holds everything after the cursor (or is empty)
    }
    const now = this.deps.clock.now();
    const snap = await this.deps.bus.snapshot(now);
    const release = this.deps.heap.relax();
    try {
      await this.applySnapshot(snap, cursor, now);
    } finally {
      this.relaxUntil(this.deps.jails.stored(), release);
    }
  }

  /** Checks and bans a snapshot's entries in pieces; the cursor moves to its last ID once the store has them. */
  private async applySnapshot(snap: Snapshot, cursor: string | null, now: number): Promise<void> {
    const pos = this.deps.pos;
    // in pieces: a piece's kernel command (a process, on the other core) runs while the next piece
    // is decoded and checked; its bans join the jail's next firewall batch (one script per flush)
    const before = this.deps.refusals.total();
    const commits: Promise<unknown>[] = [];
    let made = 0;
    for (let at = 0; at < snap.bans.length; at += SNAPSHOT_PIECE) {
      if (at > 0) await turn();
      const entries = snap.bans.slice(at, at + SNAPSHOT_PIECE).map((text) => ({ id: null, fields: parseJson(text) }));
      const r = this.check(entries, now, true);
      made += r.made;
      commits.push(r.committed);
    }
    // ready once the kernel holds the bans; the store is written after their kernel commands, and
    // the cursor only after the store (a node stopped dead before then loads the set again)
    await Promise.all(commits);
    const r = { made, refused: this.deps.refusals.since(before) };
    const advance = cursor === null || compareIds(snap.lastId, cursor) > 0;
    if (advance) pos.readTo(snap.lastId);
    pos.commit(this.deps.jails.stored(), advance ? snap.lastId : null);
    this.needCatchUp = false;
    this.deps.log.info({
      event: 'cluster-snapshot',
      reason: cursor === null ? 'first-start' : 'trimmed',
      bans: snap.bans.length,
      applied: r.made,
      refused: r.refused,
      lastId: snap.lastId,
    });
  }

  /** Checks and bans now; the commit goes on in the background, and the cursor follows it. */
  applyStream(entries: readonly RawStreamEntry[]): void {
    const now = this.deps.clock.now();
    const bulk = entries.length >= BULK_ENTRIES;
    const r = this.check(
      entries.map((e) => ({ id: e.id, fields: e.fields })),
      now,
      bulk,
    );
    const { committed } = r;
    const last = entries[entries.length - 1]!.id;
    if (bulk)
      this.deps.log.info({
        event: 'cluster-applied',
        entries: entries.length,
        applied: r.made,
        unbans: r.unbans,
        refused: r.refused,
        firstId: entries[0]!.id,
        lastId: last,
      });
    // the lag is the kernel's (the bans are in force); the cursor waits for the store as well
    const kernel = committed.then(() => {
      this.lag = Math.max(0, this.deps.clock.now() - idTime(last));
      this.deps.metrics.lag(this.lag / 1000);
    });
    const stored = kernel.then(() => this.deps.jails.stored());
    if (bulk) this.relaxUntil(stored, this.deps.heap.relax());
    this.deps.pos.commit(stored, last);
  }

  /** Holds the heap policy relaxed until `p` settles (a bulk task's kernel commands and store writes). */
  private relaxUntil(p: Promise<unknown>, release: () => void): void {
    p.then(release, release);
  }

  /**
   * Checks entries in order and makes their bans in the jails now; one commit per jail, returned.
   * The single path and the bulk path (`bulk`: a snapshot or a large read) run the same checks and
   * count the same refusals; bulk only moves the per-ban log lines to debug.
   */
  private check(entries: readonly RawEntry[], now: number, bulk: boolean): CheckResult {
    const jails = this.deps.jails;
    const refusedBefore = this.deps.refusals.total();
    const d = decideBatch(
      {
        jails,
        shared: jails.running().filter(this.deps.shares),
        settings: this.deps.settings,
        host: this.deps.host,
        registrations: this.deps.registrations,
        origins: this.deps.origins,
        refusals: this.deps.refusals,
        log: this.deps.log,
      },
      entries,
      now,
      bulk,
    );
    if (d.lastApplied) this.lastAppliedEntry = d.lastApplied;
    this.appliedCount += d.made;
    if (d.made) this.deps.metrics.applied(d.made);
    const committed = Promise.all([...d.byJail].map(([j, ds]) => jails.commit(j, ds, bulk)));
    return { made: d.made, unbans: d.unbans, refused: this.deps.refusals.since(refusedBefore), committed };
  }
}

interface CheckResult {
  /** Bans made. */
  readonly made: number;
  readonly unbans: number;
  /** This batch's refusals, by reason. */
  readonly refused: Readonly<Record<string, number>>;
  readonly committed: Promise<unknown>;
}
