// A feed in nftables: table inet f2b-feed-NAME with sets addr4 and addr6 (single addresses, hashed)
// and net4 and net6 (ranges, interval sets: slower to load, so only ranges go there), and a base
// chain `input` at priority -2, ahead of the jail tables (priority -1), so it is hooked before them
// whatever order they start in.
//
// A refresh is one `nft -f -` script: flush both sets and add the new elements. nft applies a
// script as a single transaction: packets see the old list up to the commit and the new one after
// it, never an empty set and never both.

import { parseCidr, type Cidr } from '../core/ip.js';
import type { CommandRunner } from '../exec/command-runner.js';
import type { Logger } from '../log/logger.js';
import { feedObject, FEED_CHUNK, type FeedSet, type FeedSetSpec } from './feed-set.js';
import { FirewallCommandError } from './firewall.js';

export const FEED_PRIORITY = -2;

export class NftFeedSet implements FeedSet {
  readonly id: string;
  private readonly table: string;

  constructor(
    private readonly spec: FeedSetSpec,
    private readonly runner: CommandRunner,
    private readonly log: Logger,
  ) {
    this.table = feedObject(spec.name);
    this.id = `nftables[${this.table}]`;
  }

  private async run(argv: readonly string[], input?: string, tolerant = false): Promise<string> {
    const r = await this.runner.run(argv, input === undefined ? {} : { input });
    if (r.exitCode !== 0 && !tolerant) throw new FirewallCommandError(argv, r.exitCode, r.stderr, input === undefined ? 0 : input.split('\n').length);
    return r.stdout;
  }

  private static readonly SETS = [
    { name: 'addr4', family: 4, ranges: false, type: 'ipv4_addr', match: 'ip' },
    { name: 'addr6', family: 6, ranges: false, type: 'ipv6_addr', match: 'ip6' },
    { name: 'net4', family: 4, ranges: true, type: 'ipv4_addr', match: 'ip' },
    { name: 'net6', family: 6, ranges: true, type: 'ipv6_addr', match: 'ip6' },
  ] as const;

  private rule(family: 'ip' | 'ip6', set: string): string {
    const verdict = this.spec.blocktype === 'DROP' ? 'drop' : 'reject with icmpx type port-unreachable';
    const ports = this.spec.ports;
    const match =
      ports === null ? '' : `meta l4proto { tcp, udp } th dport { ${ports.map((p) => (p.lo === p.hi ? `${p.lo}` : `${p.lo}-${p.hi}`)).join(', ')} } `;
    return `add rule inet ${this.table} input ${match}${family} saddr @${set} ${verdict}`;
  }

  async start(): Promise<void> {
    // the table block adds what is missing and keeps sets that exist (with their elements); the
    // chain's rules are rewritten in the same transaction
    const script = [
      `table inet ${this.table} {`,
      ...NftFeedSet.SETS.map((s) => `  set ${s.name} { type ${s.type};${s.ranges ? ' flags interval;' : ''} }`),
      `  chain input { type filter hook input priority ${FEED_PRIORITY}; policy accept; }`,
      `}`,
      `flush chain inet ${this.table} input`,
      ...NftFeedSet.SETS.map((s) => this.rule(s.match, s.name)),
      '',
    ].join('\n');
    await this.run(['nft', '-f', '-'], script);
    this.log.info({ event: 'feed-set-started', set: this.id });
  }

  async replace(entries: readonly Cidr[]): Promise<void> {
    const lines = NftFeedSet.SETS.map((s) => `flush set inet ${this.table} ${s.name}`);
    for (const s of NftFeedSet.SETS) {
      const full = s.family === 4 ? 32 : 128;
      const mine = entries.filter((e) => e.family === s.family && e.prefix < full === s.ranges);
      for (let i = 0; i < mine.length; i += FEED_CHUNK) {
        const chunk = mine.slice(i, i + FEED_CHUNK).map((e) => e.text);
        lines.push(`add element inet ${this.table} ${s.name} { ${chunk.join(', ')} }`);
      }
    }
    await this.run(['nft', '-f', '-'], lines.join('\n') + '\n');
    this.log.debug({ event: 'feed-set-replaced', set: this.id, entries: entries.length });
  }

  async hookFirst(): Promise<void> {
    // the chain's priority puts it ahead of the jail chains: nothing to move
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    for (const s of NftFeedSet.SETS) {
      const text = await this.run(['nft', 'list', 'set', 'inet', this.table, s.name]);
      const body = /elements\s*=\s*\{([^}]*)\}/s.exec(text)?.[1] ?? '';
      for (const w of body.split(/[\s,]+/)) {
        const c = w ? parseCidr(w) : null;
        if (c) out.push(c.text);
      }
    }
    return out;
  }

  async stop(tolerant = false): Promise<void> {
    await this.run(['nft', 'delete', 'table', 'inet', this.table], undefined, tolerant);
  }
}
