// A feed in nftables: table inet f2b-feed-NAME with interval sets addr4 and addr6 and a base chain
// `input` at priority -2, ahead of the jail tables (priority -1), so it is hooked before them
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
      `  set addr4 { type ipv4_addr; flags interval; }`,
      `  set addr6 { type ipv6_addr; flags interval; }`,
      `  chain input { type filter hook input priority ${FEED_PRIORITY}; policy accept; }`,
      `}`,
      `flush chain inet ${this.table} input`,
      this.rule('ip', 'addr4'),
      this.rule('ip6', 'addr6'),
      '',
    ].join('\n');
    await this.run(['nft', '-f', '-'], script);
    this.log.info({ event: 'feed-set-started', set: this.id });
  }

  async replace(entries: readonly Cidr[]): Promise<void> {
    const lines = [`flush set inet ${this.table} addr4`, `flush set inet ${this.table} addr6`];
    for (const [v, set] of [
      [4, 'addr4'],
      [6, 'addr6'],
    ] as const) {
      const mine = entries.filter((e) => e.family === v);
      for (let i = 0; i < mine.length; i += FEED_CHUNK) {
        lines.push(
          `add element inet ${this.table} ${set} { ${mine
            .slice(i, i + FEED_CHUNK)
            .map((e) => e.text)
            .join(', ')} }`,
        );
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
    for (const set of ['addr4', 'addr6']) {
      const text = await this.run(['nft', 'list', 'set', 'inet', this.table, set]);
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
