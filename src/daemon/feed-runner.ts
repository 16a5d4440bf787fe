// One blocklist feed at run time: its kernel set, its last good list, its schedule and status.
// start() fills the set from the database (a restart without network still protects); each due
// refresh downloads, parses, checks and screens the list, saves it and swaps it into the kernel. A
// failed, timed-out, oversized or unreadable download keeps the last good list and records why.
// No timers here: FeedService calls due() from the service's tick with the clock's `now`.

import { VoipguardError } from '../core/errors.js';
import type { FeedConfig } from '../config/feed-schema.js';
import type { PortSpec } from '../config/feed-ports.js';
import type { HostAddresses, LiveRegistrations } from '../core/protection.js';
import type { FeedSet } from '../firewall/feed-set.js';
import type { Logger } from '../log/logger.js';
import { parseApibanPage, parseCsvColumn, parsePlain, type ParsedList } from '../sources/feed-parse.js';
import { redactUrl, type FeedFetcher, type FetchLimits } from '../sources/feed-fetch.js';
import { screenEntries, skippedTotal, type SkipCounts } from '../sources/feed-screen.js';
import type { FeedListRow, FeedStore } from '../store/feed-store.js';
import type { FeedStatus } from '../control/replies.js';

/** A failed refresh is tried again after this long (or after `refresh`, when shorter). */
export const FEED_RETRY_MS = 5 * 60_000;
/** APIBan: pulls are incremental from the stored ID; the list is pulled whole again after this long. */
export const APIBAN_FULL_MS = 7 * 24 * 3_600_000;
/** APIBan: most pages one refresh follows. */
export const APIBAN_MAX_PAGES = 1_000;

export interface FeedRunnerDeps {
  readonly log: Logger;
  readonly store: FeedStore;
  readonly fetcher: FeedFetcher;
  readonly host: HostAddresses;
  readonly registrations: LiveRegistrations;
}

/** What a feed takes from its jails (config/feed-service.ts works it out). */
export interface FeedContext {
  readonly ports: PortSpec;
  readonly ignore: readonly string[];
  readonly firewall: 'iptables' | 'nftables';
}

interface Pulled {
  readonly entries: string[];
  readonly garbage: number;
  readonly cursor: string | null;
  readonly fullAt: number;
}

export class FeedRunner {
  private nextAt = 0;
  private running: Promise<void> | null = null;
  private kernelEntries = 0;
  private listed = 0;
  private skipped: SkipCounts = { ignoreip: 0, allowfile: 0, host: 0, registered: 0, wide: 0 };
  private folded = 0;
  private garbage = 0;
  private lastRefresh: number | null = null;
  private lastAttempt: number | null = null;
  private lastError: { code: string; message: string } | null = null;
  private cursor: string | null = null;

  constructor(
    readonly cfg: FeedConfig,
    readonly ctx: FeedContext,
    readonly set: FeedSet,
    private readonly deps: FeedRunnerDeps,
  ) {}

  private get limits(): FetchLimits {
    return { timeoutMs: this.cfg.timeout, maxBytes: this.cfg.maxsize > 0 ? this.cfg.maxsize : this.cfg.maxentries * 128 };
  }

  /** Creates the kernel objects and loads the last good list; the first download is due at once unless the saved list is fresh. */
  async start(now: number): Promise<void> {
    await this.set.start();
    const row = this.loadRow();
    if (row) {
      this.cursor = row.cursor;
      this.lastRefresh = row.fetchedAt;
      this.garbage = 0;
      try {
        await this.apply(row.entries, now);
      } catch (e) {
        const err = e instanceof VoipguardError ? e : new VoipguardError('VG_INTERNAL', String((e as Error).message ?? e), {}, { cause: e });
        this.lastError = { code: err.code, message: err.message };
        this.deps.log.error({ event: 'feed-restore-failed', feed: this.cfg.name, code: err.code, err: e });
      }
      this.nextAt = row.fetchedAt + this.cfg.refresh > now ? row.fetchedAt + this.cfg.refresh : now;
      this.deps.log.info({ event: 'feed-restored', feed: this.cfg.name, entries: this.kernelEntries, fetchedAt: row.fetchedAt });
    } else {
      this.nextAt = now;
    }
  }

  /** Starts a refresh when one is due and none is running; returns it (tests await it). */
  due(now: number): Promise<void> | null {
    if (this.running || now < this.nextAt) return null;
    return this.refreshNow(now);
  }

  refreshNow(now: number): Promise<void> {
    this.running ??= this.refresh(now).finally(() => (this.running = null));
    return this.running;
  }

  /** Waits for a running refresh (stop, reload). */
  async idle(): Promise<void> {
    await this.running;
  }

  private loadRow(): FeedListRow | undefined {
    try {
      return this.deps.store.loadFeedList(this.cfg.name);
    } catch (e) {
      this.deps.log.error({ event: 'feed-store-failed', feed: this.cfg.name, err: e });
      return undefined;
    }
  }

  private async refresh(now: number): Promise<void> {
    this.lastAttempt = now;
    try {
      const pulled = await this.pull(now);
      if (pulled.entries.length > this.cfg.maxentries) {
        throw new VoipguardError(
          'VG_FEED_TOO_LARGE',
          `the list holds ${pulled.entries.length} entries, more than maxentries = ${this.cfg.maxentries}; the last good list stays`,
        );
      }
      if (pulled.entries.length === 0) {
        throw new VoipguardError('VG_FEED_FORMAT', `the list holds no address (${pulled.garbage} lines without one); the last good list stays`);
      }
      const row: FeedListRow = { name: this.cfg.name, entries: pulled.entries, fetchedAt: now, cursor: pulled.cursor, fullAt: pulled.fullAt };
      try {
        this.deps.store.saveFeedList(row);
      } catch (e) {
        // the kernel still gets the new list; the next restart starts from the one saved before
        this.deps.log.error({ event: 'feed-store-failed', feed: this.cfg.name, err: e });
      }
      this.garbage = pulled.garbage;
      this.cursor = pulled.cursor;
      await this.apply(pulled.entries, now);
      this.lastRefresh = now;
      this.lastError = null;
      this.nextAt = now + this.cfg.refresh;
      this.deps.log.info({
        event: 'feed-refreshed',
        feed: this.cfg.name,
        listed: this.listed,
        entries: this.kernelEntries,
        skipped: skippedTotal(this.skipped),
        garbage: this.garbage,
      });
    } catch (e) {
      const err = e instanceof VoipguardError ? e : new VoipguardError('VG_INTERNAL', String((e as Error).message ?? e), {}, { cause: e });
      this.lastError = { code: err.code, message: err.message };
      this.nextAt = now + Math.min(this.cfg.refresh, FEED_RETRY_MS);
      this.deps.log.warn({ event: 'feed-refresh-failed', feed: this.cfg.name, code: err.code, err: e, keptEntries: this.kernelEntries });
    }
  }

  private async pull(now: number): Promise<Pulled> {
    const f = this.cfg;
    if (f.format === 'apiban') return this.pullApiban(now);
    let text: string;
    if (f.path !== null) text = await this.deps.fetcher.read(f.path, this.limits);
    else {
      const res = await this.deps.fetcher.get(f.url!, this.limits);
      if (res.status !== 200) throw new VoipguardError('VG_FEED_FETCH', `${redactUrl(f.url!)} answered HTTP ${res.status}; the last good list stays`);
      text = res.body;
    }
    const parsed: ParsedList = f.format === 'csv-column' ? parseCsvColumn(text, f.column!) : parsePlain(text);
    if (!Number.isFinite(parsed.garbage))
      throw new VoipguardError('VG_FEED_FORMAT', `no column named "${(f.column as { header: string }).header}" in the first line`);
    return { entries: parsed.entries, garbage: parsed.garbage, cursor: null, fullAt: now };
  }

  /** APIBan: the whole list from `url`, then `url/ID` for what is newer, page by page, until the server says there is nothing newer. */
  private async pullApiban(now: number): Promise<Pulled> {
    const base = this.cfg.url!.replace(/\/+$/, '');
    const row = this.loadRow();
    const incremental = row !== undefined && row.cursor !== null && now - row.fullAt < APIBAN_FULL_MS;
    const seen = new Set<string>(incremental ? row.entries : []);
    const entries = incremental ? [...row.entries] : [];
    let cursor = incremental ? row.cursor : null;
    let garbage = 0;
    for (let page = 0; page < APIBAN_MAX_PAGES; page++) {
      const res = await this.deps.fetcher.get(cursor === null ? base : `${base}/${encodeURIComponent(cursor)}`, this.limits);
      if (res.status !== 200 && res.status !== 400)
        throw new VoipguardError('VG_FEED_FETCH', `${redactUrl(base)} answered HTTP ${res.status}; the last good list stays`);
      let p;
      try {
        p = parseApibanPage(res.body);
      } catch (e) {
        throw new VoipguardError('VG_FEED_FORMAT', `${redactUrl(base)}: ${(e as Error).message}`, {}, { cause: e });
      }
      // 400 with ID "none": nothing newer than the cursor (APIBan's end of list)
      if (res.status === 400) {
        if (p.cursor !== null) throw new VoipguardError('VG_FEED_FETCH', `${redactUrl(base)} answered HTTP 400; the last good list stays`);
        break;
      }
      garbage += p.garbage;
      for (const e of p.entries) {
        if (seen.has(e)) continue;
        seen.add(e);
        entries.push(e);
      }
      if (entries.length > this.cfg.maxentries) break; // refused by the caller
      if (p.cursor === null || p.cursor === cursor || p.entries.length === 0) {
        cursor = p.cursor ?? cursor;
        break;
      }
      cursor = p.cursor;
    }
    return { entries, garbage, cursor, fullAt: incremental ? row.fullAt : now };
  }

  /** Screens `entries` and swaps them into the kernel set. */
  private async apply(entries: readonly string[], now: number): Promise<void> {
    let allow: string[] = [];
    if (this.cfg.allowfile !== null) {
      // an unreadable allowfile stops the refresh: blocking what the operator said never to block is worse than an old list
      allow = parsePlain(await this.deps.fetcher.read(this.cfg.allowfile, { timeoutMs: this.cfg.timeout, maxBytes: 16 * 1024 * 1024 })).entries;
    }
    const r = screenEntries({
      entries,
      ignore: this.ctx.ignore,
      allow,
      host: this.deps.host.addresses(),
      registered: this.deps.registrations.addresses(now),
    });
    await this.set.replace(r.kept);
    this.listed = entries.length;
    this.kernelEntries = r.kept.length;
    this.skipped = r.skipped;
    this.folded = r.folded;
  }

  status(): FeedStatus {
    const f = this.cfg;
    return {
      name: f.name,
      source: f.path ?? redactUrl(f.url!),
      format: f.format,
      firewall: this.ctx.firewall,
      set: this.set.id,
      blocktype: f.blocktype,
      ports: this.ctx.ports === null ? 'all' : this.ctx.ports.map((p) => (p.lo === p.hi ? `${p.lo}` : `${p.lo}:${p.hi}`)).join(','),
      entries: this.kernelEntries,
      listed: this.listed,
      skipped: skippedTotal(this.skipped),
      skippedBy: { ...this.skipped },
      folded: this.folded,
      garbage: this.garbage,
      lastRefresh: this.lastRefresh,
      lastAttempt: this.lastAttempt,
      lastError: this.lastError?.message ?? null,
      lastErrorCode: this.lastError?.code ?? null,
      nextRefresh: this.nextAt,
      cursor: f.format === 'apiban' ? this.cursor : null,
    };
  }
}
