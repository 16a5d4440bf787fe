// A blocklist feed in the kernel: one set per feed (`f2b-feed-NAME`), matched by a rule hooked ahead
// of the jail chains. `replace` swaps the whole content in one step (ipset swap, or one nft
// transaction), so there is never a moment without the list nor one with two lists. The command
// versions are feed-set-ipset.ts and feed-set-nft.ts; MemoryFeedSet is the dry-run one.

import type { Cidr } from '../core/ip.js';
import type { PortSpec } from '../config/feed-ports.js';
import type { FeedBlocktype } from '../config/feed-schema.js';
import type { Logger } from '../log/logger.js';

export interface FeedSetSpec {
  /** The feed's name: kernel objects are f2b-feed-NAME. */
  readonly name: string;
  readonly blocktype: FeedBlocktype;
  /** null: every port (TCP, UDP and everything else). */
  readonly ports: PortSpec;
  /** The set's capacity (ipset maxelem). */
  readonly maxentries: number;
}

export interface FeedSet {
  /** `ipset[f2b-feed-NAME]`, for logs. */
  readonly id: string;
  /** Creates what is missing (sets, chain, rules, hook); a set that exists keeps its entries. */
  start(): Promise<void>;
  /** Replaces the whole content atomically. */
  replace(entries: readonly Cidr[]): Promise<void>;
  /** Puts the hook ahead of every jail hook again (a jail started later inserts its own first). */
  hookFirst(): Promise<void>;
  /** The entries the kernel holds, canonical (tests, status checks). */
  list(): Promise<string[]>;
  /** Removes sets, rules and hook; with `tolerant`, failing commands are skipped. */
  stop(tolerant?: boolean): Promise<void>;
}

export function feedObject(name: string): string {
  return `f2b-feed-${name}`;
}

export const FEED_CHUNK = 5_000;

/** The dry-run feed set: keeps the entries in memory and logs what the kernel would get. */
export class MemoryFeedSet implements FeedSet {
  readonly id: string;
  private entries: string[] = [];
  replaced = 0;
  constructor(
    readonly spec: FeedSetSpec,
    private readonly log: Logger,
  ) {
    this.id = `memory[${feedObject(spec.name)}]`;
  }
  async start(): Promise<void> {}
  async replace(entries: readonly Cidr[]): Promise<void> {
    this.entries = entries.map((e) => e.text);
    this.replaced++;
    this.log.debug({ event: 'feed-set-replaced', set: this.id, entries: entries.length });
  }
  async hookFirst(): Promise<void> {}
  async list(): Promise<string[]> {
    return [...this.entries];
  }
  async stop(): Promise<void> {
    this.entries = [];
  }
}
