// A feed in iptables + ipset: sets f2b-feed-NAME (IPv4) and f2b-feed-NAME6 (IPv6), hash:net; chains
// f2b-feed-NAME in iptables and ip6tables, jumped to from the first rule of INPUT (ahead of the jail
// chains, which insert themselves first when they start: hookFirst puts the feed back in front).
//
// A refresh is one `ipset restore` script per run: a new set f2b-fnew-NAME is filled, swapped with
// the live one (`swap` exchanges the two in one kernel operation: the rule matches the old list up
// to that instant and the new one from it) and destroyed. The chain rules go in through
// iptables-restore --noflush, so rewriting them is one commit too.

import { parseCidr, type Cidr } from '../core/ip.js';
import type { CommandRunner } from '../exec/command-runner.js';
import type { Logger } from '../log/logger.js';
import type { PortRange } from '../config/feed-ports.js';
import { feedObject, type FeedSet, type FeedSetSpec } from './feed-set.js';
import { FirewallCommandError } from './firewall.js';

interface Fam {
  readonly v: 4 | 6;
  readonly set: string;
  readonly tmp: string;
  readonly ipsetFamily: 'inet' | 'inet6';
  readonly iptables: readonly string[];
  readonly restore: readonly string[];
  readonly reject: string;
}

/** multiport takes at most 15 ports, a range counting two. */
export function multiportGroups(ports: readonly PortRange[]): string[] {
  const groups: string[] = [];
  let cur: string[] = [];
  let cost = 0;
  for (const p of ports) {
    const c = p.lo === p.hi ? 1 : 2;
    if (cost + c > 15) {
      groups.push(cur.join(','));
      cur = [];
      cost = 0;
    }
    cur.push(p.lo === p.hi ? String(p.lo) : `${p.lo}:${p.hi}`);
    cost += c;
  }
  if (cur.length) groups.push(cur.join(','));
  return groups;
}

export class IpsetFeedSet implements FeedSet {
  readonly id: string;
  private readonly chain: string;
  private readonly fams: readonly Fam[];

  constructor(
    private readonly spec: FeedSetSpec,
    private readonly runner: CommandRunner,
    private readonly log: Logger,
  ) {
    this.chain = feedObject(spec.name);
    this.id = `ipset[${this.chain}]`;
    const base = { tmp: `f2b-fnew-${spec.name}` };
    this.fams = [
      {
        v: 4,
        set: this.chain,
        tmp: base.tmp,
        ipsetFamily: 'inet',
        iptables: ['iptables', '-w'],
        restore: ['iptables-restore', '-w', '--noflush'],
        reject: 'REJECT --reject-with icmp-port-unreachable',
      },
      {
        v: 6,
        set: `${this.chain}6`,
        tmp: `${base.tmp}6`,
        ipsetFamily: 'inet6',
        iptables: ['ip6tables', '-w'],
        restore: ['ip6tables-restore', '-w', '--noflush'],
        reject: 'REJECT --reject-with icmp6-port-unreachable',
      },
    ];
  }

  private async run(argv: readonly string[], input?: string, tolerant = false): Promise<string> {
    const r = await this.runner.run(argv, input === undefined ? {} : { input });
    if (r.exitCode !== 0 && !tolerant) throw new FirewallCommandError(argv, r.exitCode, r.stderr, input === undefined ? 0 : input.split('\n').length);
    return r.stdout;
  }

  private createLine(f: Fam, name: string): string {
    return `create ${name} hash:net family ${f.ipsetFamily} hashsize 1024 maxelem ${Math.max(this.spec.maxentries, 1024)} -exist`;
  }

  async start(): Promise<void> {
    for (const f of this.fams) {
      // a set that exists keeps its entries (a restart with the rules left in place stays protected)
      const exists = (await this.runner.run(['ipset', 'list', '-n', f.set])).exitCode === 0;
      if (!exists) await this.run(['ipset', 'restore', '-exist'], this.createLine(f, f.set) + '\n');
      await this.run(f.restore, this.chainScript(f, await this.hookEdits(f)));
    }
    this.log.info({ event: 'feed-set-started', set: this.id });
  }

  private rules(f: Fam): string[] {
    const match = `-m set --match-set ${f.set} src -j ${this.spec.blocktype === 'DROP' ? 'DROP' : f.reject}`;
    if (this.spec.ports === null) return [`-A ${this.chain} ${match}`];
    const out: string[] = [];
    for (const proto of ['tcp', 'udp']) {
      for (const g of multiportGroups(this.spec.ports)) out.push(`-A ${this.chain} -p ${proto} -m multiport --dports ${g} ${match}`);
    }
    return out;
  }

  private chainScript(f: Fam, hook: readonly string[]): string {
    return ['*filter', `:${this.chain} - [0:0]`, ...this.rules(f), `-A ${this.chain} -j RETURN`, ...hook, 'COMMIT', ''].join('\n');
  }

  /** The restore lines that make the jump to the feed chain INPUT's first rule, and its only one. */
  private async hookEdits(f: Fam): Promise<string[]> {
    const rules = (await this.run([...f.iptables, '-S', 'INPUT'])).split('\n').filter((l) => l.startsWith('-A INPUT'));
    const ours: number[] = [];
    rules.forEach((l, i) => {
      if (l === `-A INPUT -j ${this.chain}`) ours.push(i + 1);
    });
    if (ours.length === 1 && ours[0] === 1) return [];
    // insert first, then delete the old jumps (each one place lower now): never a moment without one
    return [`-I INPUT 1 -j ${this.chain}`, ...ours.reverse().map((n) => `-D INPUT ${n + 1}`)];
  }

  async hookFirst(): Promise<void> {
    for (const f of this.fams) {
      const edits = await this.hookEdits(f);
      if (edits.length) await this.run(f.restore, ['*filter', ...edits, 'COMMIT', ''].join('\n'));
    }
  }

  async replace(entries: readonly Cidr[]): Promise<void> {
    const lines: string[] = [];
    for (const f of this.fams) {
      // a new set left by a refresh that died half-way may have other parameters: start clean
      await this.run(['ipset', 'destroy', f.tmp], undefined, true);
      lines.push(this.createLine(f, f.tmp));
      for (const e of entries) if (e.family === f.v) lines.push(`add ${f.tmp} ${e.text}`);
      lines.push(`swap ${f.tmp} ${f.set}`, `destroy ${f.tmp}`);
    }
    // one script: both families swap within one run of ipset
    await this.run(['ipset', 'restore'], lines.join('\n') + '\n');
    this.log.debug({ event: 'feed-set-replaced', set: this.id, entries: entries.length });
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    for (const f of this.fams) {
      for (const line of (await this.run(['ipset', 'save', f.set])).split('\n')) {
        const m = /^add \S+ (\S+)/.exec(line);
        const c = m ? parseCidr(m[1]!) : null;
        if (c) out.push(c.text);
      }
    }
    return out;
  }

  async stop(tolerant = false): Promise<void> {
    for (const f of this.fams) {
      const rules = (await this.run([...f.iptables, '-S', 'INPUT'], undefined, tolerant)).split('\n');
      for (const l of rules) if (l === `-A INPUT -j ${this.chain}`) await this.run([...f.iptables, '-D', 'INPUT', '-j', this.chain], undefined, tolerant);
      await this.run([...f.iptables, '-F', this.chain], undefined, tolerant);
      await this.run([...f.iptables, '-X', this.chain], undefined, tolerant);
      await this.run(['ipset', 'destroy', f.set], undefined, tolerant);
      await this.run(['ipset', 'destroy', f.tmp], undefined, true);
    }
  }
}
