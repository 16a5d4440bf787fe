// Ready first, restore after (issue 14, docs/flood.md): the bans a jail kept in the store go back
// into its memory page by page, in the store's key order, with a turn of the event loop between
// pages, once the jail follows its logs. The start reads only the first page, so the time to ready
// does not grow with the bans held.
//
// While the pages are read, the jail already hears failures, signals, manual and fleet bans. Two
// rules keep the answers right for a stored ban not read yet:
//   - before the jail hears about an address, the runtime asks ensure() for the keys the jail
//     would look up (the address and the subnet prefix it may be banned under): a stored ban of
//     one of them is read at once, by key, so a banned address is never banned twice;
//   - an address the runtime decided about meanwhile (a new ban, an unban, an expiry) is marked,
//     and its stored row, rewritten or deleted by that decision, is not taken again from a page.
// A stored ban that expires while the pages are read comes back like any other and is lifted by
// the jail's next tick (Jail.restore keeps expired bans for it).

import type { BanRecord, Decision } from '../core/types.js';
import type { ActiveBan, Store } from '../store/store.js';

/** Rows per page: a page is read and taken into the jail in one turn (about 10 ms for 5,000 here). */
export const RESTORE_PAGE = 5_000;

export interface RestoredBans {
  /** Every stored ban read back, for the kernel's reconcile. */
  readonly active: readonly ActiveBan[];
  /** Stored bans the current config no longer wants (ignoreip changed): to be decided. */
  readonly unbans: readonly Decision[];
}

export class JailRestore {
  /** Keys read by key or decided about while the pages are read: pages skip them. */
  private readonly seen = new Set<string>();
  private readonly active: ActiveBan[] = [];
  private readonly unbans: Decision[] = [];
  /** The last address read by a page (the next page starts after it); null before the first. */
  private after: string | null = null;
  private more = true;

  constructor(
    private readonly jail: string,
    private readonly store: Pick<Store, 'activeBansPage' | 'activeBan'>,
    private readonly engine: { restore(records: readonly BanRecord[], now: number): readonly Decision[] },
    private readonly onError: (e: unknown) => void,
    private readonly page = RESTORE_PAGE,
  ) {}

  /** True once every page is read: ensure() and decided() cost nothing from then on. */
  get done(): boolean {
    return !this.more;
  }

  /** How many stored bans were taken back so far. */
  get count(): number {
    return this.active.length;
  }

  /** Reads one page into the jail; false when none is left. Throws what the store throws. */
  readPage(now: number): boolean {
    if (!this.more) return false;
    const rows = this.store.activeBansPage(this.jail, this.after, this.page);
    this.more = rows.length === this.page;
    if (rows.length === 0) return false;
    this.after = rows[rows.length - 1]!.ip;
    this.take(
      rows.filter((r) => !this.seen.has(r.ip)),
      now,
    );
    return this.more;
  }

  /**
   * Reads the pages left, one per turn of the event loop (`turn`), calling `onPage` after each.
   * Resolves with what was read, or null when the store failed (reported to onError): the kernel
   * is then left as it is rather than matched to a part of the bans.
   */
  async rest(now: () => number, turn: () => Promise<void>, onPage: () => void = () => undefined): Promise<RestoredBans | null> {
    try {
      while (this.more) {
        await turn();
        this.readPage(now());
        onPage();
      }
      return { active: this.active, unbans: this.unbans };
    } catch (e) {
      this.onError(e);
      return null;
    } finally {
      this.more = false;
      this.seen.clear();
    }
  }

  /** Before the jail hears about these keys (canonical address or prefix): their stored bans not read yet are read now. */
  ensure(keys: readonly string[], now: number): void {
    // no page left: every row stored before the read is in, every one written since was decided here
    if (!this.more) return;
    for (const k of keys) {
      if (this.seen.has(k)) continue;
      this.seen.add(k);
      // a key at or before the last page's was read with its page, or was not stored then
      if (this.after !== null && k <= this.after) continue;
      try {
        const b = this.store.activeBan(this.jail, k);
        if (b) this.take([b], now);
      } catch (e) {
        this.onError(e); // the page will bring it, or fail the same way
        this.seen.delete(k);
      }
    }
  }

  /** A decision about `ip` while the pages are read: its stored row is not taken again. */
  decided(ip: string): void {
    if (this.more) this.seen.add(ip);
  }

  private take(rows: readonly ActiveBan[], now: number): void {
    if (rows.length === 0) return;
    for (const d of this.engine.restore(rows, now)) if (d.type === 'unban') this.unbans.push(d);
    for (const r of rows) this.active.push(r);
  }
}
