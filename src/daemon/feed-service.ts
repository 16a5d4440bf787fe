// Every blocklist feed of the config (feed.d/, docs/feeds.md): started after the jails (so the feed
// hooks go in front of theirs), refreshed from the service's tick when due, re-read on reload,
// stopped with the service (their rules stay when the jails' rules stay). What each feed takes from
// its jails (ports, ignoreip, the firewall family) is worked out here from the jail configs.

import type { LoadedConfig, JailConfig } from '../config/load-config.js';
import type { FeedConfig } from '../config/feed-schema.js';
import { parsePortList, unionPorts, type PortSpec } from '../config/feed-ports.js';
import type { FeedSet, FeedSetSpec } from '../firewall/feed-set.js';
import type { FeedStatus } from '../control/replies.js';
import { FeedRunner, type FeedContext, type FeedRunnerDeps } from './feed-runner.js';

/** The feeds as the service drives them. */
export interface FeedPort {
  start(cfg: LoadedConfig, now: number): Promise<void>;
  /** Starts the refreshes that are due; never waits for a download. */
  tick(now: number): void;
  reload(cfg: LoadedConfig, now: number): Promise<void>;
  /** After jails (re)started: put the feed hooks in front again. */
  hookFirst(): Promise<void>;
  stop(keepRules: boolean): Promise<void>;
  status(): FeedStatus[];
}

export interface FeedServiceDeps extends FeedRunnerDeps {
  /** The kernel set of a feed: ipset or nftables commands, or the memory set in a dry run. */
  readonly makeSet: (spec: FeedSetSpec, firewall: 'iptables' | 'nftables') => FeedSet;
}

/** The jails a feed follows: those it names, or every enabled jail. */
function jailsOf(feed: FeedConfig, jails: readonly JailConfig[]): JailConfig[] {
  return feed.jails.length ? jails.filter((j) => feed.jails.includes(j.name)) : jails.filter((j) => j.enabled);
}

function jailPorts(j: JailConfig): PortSpec {
  const texts = j.actions.map((a) => a.args.port).filter((p): p is string => typeof p === 'string');
  const specs = (texts.length ? texts : [j.port]).map((t) => parsePortList(t));
  // a port the feed cannot read (an unusual service name) widens to every port: blocking more is the safe side
  return unionPorts(specs.map((s) => (typeof s === 'string' ? null : s)));
}

export function feedContext(feed: FeedConfig, jails: readonly JailConfig[]): FeedContext {
  const mine = jailsOf(feed, jails);
  const named = feed.jails.length ? jails.filter((j) => feed.jails.includes(j.name)) : [];
  const ports = feed.ports !== 'jails' ? feed.ports : named.length ? unionPorts(named.map(jailPorts)) : null;
  const ignore = [...new Set(mine.flatMap((j) => j.ignoreip))];
  const nft = mine.some((j) => j.actions.some((a) => a.name.startsWith('nftables')) || (j.banaction?.name ?? '').startsWith('nftables'));
  const firewall = feed.firewall === 'auto' ? (nft ? 'nftables' : 'iptables') : feed.firewall;
  return { ports, ignore, firewall };
}

export class FeedService implements FeedPort {
  private readonly runners = new Map<string, FeedRunner>();

  constructor(private readonly deps: FeedServiceDeps) {}

  private make(feed: FeedConfig, cfg: LoadedConfig): FeedRunner {
    const ctx = feedContext(feed, cfg.jails);
    const set = this.deps.makeSet({ name: feed.name, blocktype: feed.blocktype, ports: ctx.ports, maxentries: feed.maxentries }, ctx.firewall);
    return new FeedRunner(feed, ctx, set, { ...this.deps, log: this.deps.log.child({ feed: feed.name }) });
  }

  private async startOne(r: FeedRunner, now: number): Promise<void> {
    try {
      await r.start(now);
      this.runners.set(r.cfg.name, r);
    } catch (e) {
      this.deps.log.error({ event: 'feed-not-started', feed: r.cfg.name, err: e });
    }
  }

  async start(cfg: LoadedConfig, now: number): Promise<void> {
    for (const feed of cfg.feeds ?? []) if (feed.enabled) await this.startOne(this.make(feed, cfg), now);
  }

  tick(now: number): void {
    for (const r of this.runners.values()) void r.due(now);
  }

  /** Runs a refresh now and waits for it (tests, benchmarks). */
  async refreshNow(name: string, now: number): Promise<void> {
    await this.runners.get(name)?.refreshNow(now);
  }

  runner(name: string): FeedRunner | undefined {
    return this.runners.get(name);
  }

  async reload(cfg: LoadedConfig, now: number): Promise<void> {
    const wanted = new Map((cfg.feeds ?? []).filter((f) => f.enabled).map((f) => [f.name, f]));
    for (const [name, old] of [...this.runners]) {
      await old.idle();
      const next = wanted.get(name);
      const fresh = next ? this.make(next, cfg) : null;
      if (fresh && JSON.stringify([fresh.cfg, fresh.ctx]) === JSON.stringify([old.cfg, old.ctx])) {
        wanted.delete(name);
        continue;
      }
      // the same kernel objects are rewritten in place (no gap); another family or none: the old ones go
      if (!fresh || fresh.ctx.firewall !== old.ctx.firewall) await this.stopOne(old, false);
      this.runners.delete(name);
      if (fresh) await this.startOne(fresh, now);
      wanted.delete(name);
    }
    for (const feed of wanted.values()) await this.startOne(this.make(feed, cfg), now);
  }

  async hookFirst(): Promise<void> {
    for (const r of this.runners.values()) {
      try {
        await r.set.hookFirst();
      } catch (e) {
        this.deps.log.error({ event: 'feed-hook-failed', feed: r.cfg.name, err: e });
      }
    }
  }

  private async stopOne(r: FeedRunner, keepRules: boolean): Promise<void> {
    await r.idle();
    if (keepRules) return;
    try {
      await r.set.stop(true);
    } catch (e) {
      this.deps.log.error({ event: 'feed-stop-failed', feed: r.cfg.name, err: e });
    }
  }

  async stop(keepRules: boolean): Promise<void> {
    for (const r of this.runners.values()) await this.stopOne(r, keepRules);
    this.runners.clear();
  }

  status(): FeedStatus[] {
    return [...this.runners.values()].map((r) => r.status()).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
