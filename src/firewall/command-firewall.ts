// A Firewall that runs an action.d definition: argv commands through the CommandRunner, and,
// when the action declares a batch form, one script per transaction on the batch command's stdin.
// Families whose structure commands are identical (nftables' inet table) share them: they run once.

import type { Logger } from '../log/logger.js';
import { normalizeIp, parseCidr, parseIp } from '../core/ip.js';
import { VoipguardError } from '../core/errors.js';
import type { CommandRunner } from '../exec/command-runner.js';
import { FAMILIES, type ActionDefinition, type BatchPlan, type Family, type FamilyPlan } from './action-definition.js';
import { renderCommand, renderScriptLine, type ScriptTemplate, type Slot } from './command-template.js';
import { mergeElementLines, ScriptLines } from './script-merge.js';
import { banTagValues, tagsUsed } from './ban-tags.js';
import { familyOf, FirewallCommandError, Listing, type ApplyResult, type Firewall, type FirewallChange } from './firewall.js';
import { establishedBeforeJump } from './hook-check.js';
import { SLICE, turn } from '../core/slices.js';
import type { ListingRound } from './listing-round.js';
import type { BatchJoiner } from './batch-joiner.js';

type Argv = readonly string[];

// A large transaction (a restore of 100,000 bans) is checked and rendered in slices (core/slices.ts);
// the kernel still gets one script per flush and per tool.
export { SLICE };

interface StructureGroup {
  readonly families: readonly Family[];
  readonly plan: FamilyPlan;
}

export class CommandFirewall implements Firewall {
  readonly id: string;
  readonly kernelTimeouts: boolean;
  readonly listable: boolean;
  private readonly structure: StructureGroup[];

  constructor(
    private readonly def: ActionDefinition,
    private readonly runner: CommandRunner,
    private readonly log: Logger,
    /** Joins the batch scripts of actions with `batchjoin = yes` (one per daemon: app.ts). */
    private readonly joiner: BatchJoiner | null = null,
  ) {
    this.id = `${def.action}[${def.name}]`;
    const plans = FAMILIES.map((f) => def.families[f]);
    this.listable = plans.every((p) => p.listBan !== null);
    this.kernelTimeouts = plans.some(usesKernelTimeout);
    this.structure = groupBy(plans, (p) => JSON.stringify([p.start, p.stop, p.check, p.checkMatch.map((r) => r.source), p.repair, p.flush])).map((ps) => ({
      families: ps.map((p) => p.family),
      plan: ps[0]!,
    }));
  }

  // families are independent (iptables and ip6tables, one ipset each): their commands run side by side
  async start(round?: ListingRound): Promise<void> {
    await Promise.all(
      this.structure.map(async (g) => {
        const seen = await this.tableState(g, round);
        if (seen === 'whole') return;
        if (seen === 'absent') {
          // the listing shows nothing of ours: no half-made structure to clear first (the stop
          // commands would all fail); should start fail all the same, the full path below runs
          try {
            return await this.runAll(g.plan.start, false);
          } catch (e) {
            if (!(e instanceof FirewallCommandError)) throw e;
          }
        }
        if (g.plan.check.length > 0) {
          if (await this.groupIntact(g)) return;
          // a half-made structure (chain without its hook…) would make start fail: clear it first
          await this.runAll(g.plan.stop, true);
        }
        await this.runAll(g.plan.start, false);
      }),
    );
  }

  async stop(tolerant = false): Promise<void> {
    let first: FirewallCommandError | null = null;
    for (const g of this.structure) {
      try {
        await this.runAll(g.plan.stop, tolerant);
      } catch (e) {
        if (!(e instanceof FirewallCommandError)) throw e;
        first ??= e;
      }
    }
    if (first) throw first;
  }

  async intact(round?: ListingRound): Promise<boolean> {
    for (const g of this.structure) {
      // the shared listing says whole: trusted. Anything else is confirmed by actioncheck, so a
      // listing pattern that does not fit a changed rule costs commands, never a needless repair
      if ((await this.tableState(g, round)) === 'whole') continue;
      if (!(await this.groupIntact(g))) return false;
    }
    return true;
  }

  /**
   * What the table listing (tablelist, once per round) shows of the group's structure: every
   * tablecheck pattern ('whole'), none ('absent'), some ('partial'); 'unknown' without tablelist or
   * when the listing fails.
   */
  private async tableState(g: StructureGroup, round?: ListingRound): Promise<'whole' | 'absent' | 'partial' | 'unknown'> {
    let found = 0;
    let total = 0;
    for (const f of g.families) {
      const p = this.def.families[f];
      if (p.tableCheck.length === 0) return 'unknown';
      const text = await this.tableText(p.tableList, round);
      if (text === null) return 'unknown';
      total += p.tableCheck.length;
      found += p.tableCheck.filter((re) => new RegExp(re.source, 'm').test(text)).length;
    }
    return found === total ? 'whole' : found === 0 ? 'absent' : 'partial';
  }

  /** tablelist's output, run once per round; null when a command fails. */
  private async tableText(argvs: readonly Argv[], round?: ListingRound): Promise<string | null> {
    let text = '';
    for (const argv of argvs) {
      const r = await this.shared(argv, round);
      if (r.exitCode !== 0) {
        this.log.debug({ event: 'firewall-list-failed', action: this.id, argv, exitCode: r.exitCode, stderr: r.stderr.slice(0, 500) });
        return null;
      }
      text += r.stdout + '\n';
    }
    return text;
  }

  private shared(argv: Argv, round?: ListingRound) {
    return round ? round.once(argv, () => this.runner.run(argv)) : this.runner.run(argv);
  }

  async repair(): Promise<void> {
    await Promise.all(
      this.structure.map(async (g) => {
        if (g.plan.repair) await this.runAll(g.plan.repair, false);
        else {
          await this.runAll(g.plan.stop, true);
          await this.runAll(g.plan.start, false);
        }
      }),
    );
  }

  async flush(): Promise<void> {
    for (const g of this.structure) await this.runAll(g.plan.flush, false);
  }

  async list(round?: ListingRound): Promise<Set<string>> {
    const out = new Listing();
    for (const f of FAMILIES) {
      const p = this.def.families[f];
      if (!p.listBan) throw new Error(`${this.id} cannot list bans`);
      let text = '';
      // the table listing holds our chain's rules too: the same answer serves every action of the round
      if (p.tableBans) {
        for (const argv of p.tableList) {
          const r = await this.shared(argv, round);
          if (r.exitCode !== 0) throw new FirewallCommandError(argv, r.exitCode, r.stderr);
          text += r.stdout + '\n';
        }
      } else for (const argv of p.list) text += (await this.must(argv)).stdout + '\n';
      for (const [ip, left] of await matchAll(text, p.listBan, f)) {
        out.add(ip);
        if (left !== null) out.secondsLeft.set(ip, left);
      }
      if (!p.listBanDrop) continue;
      let dropText = text;
      if (p.listDrop !== p.list && !p.tableBans) {
        dropText = '';
        for (const argv of p.listDrop) dropText += (await this.must(argv)).stdout + '\n';
      }
      for (const [ip] of await matchAll(dropText, p.listBanDrop, f)) if (out.has(ip)) out.dropped.add(ip);
    }
    return out;
  }

  async hookWarnings(round?: ListingRound): Promise<string[]> {
    const warnings: string[] = [];
    for (const f of FAMILIES) {
      const p = this.def.families[f];
      if (!p.hookJump || p.hookList.length === 0) continue;
      for (const argv of p.hookList) {
        const r = await this.shared(argv, round);
        if (r.exitCode !== 0) continue;
        const rule = establishedBeforeJump(r.stdout, p.hookJump);
        if (rule) warnings.push(`${argv.join(' ')}: "${rule}" accepts established flows before the jump to ${this.id}; banned addresses keep their open flows`);
      }
    }
    return warnings;
  }

  async apply(change: FirewallChange, now: number): Promise<ApplyResult> {
    // JailActions validates every address; this door is public, so it checks again before any command
    const all = [...change.ban.map((b) => b.ip), ...change.unban];
    for (let i = 0; i < all.length; i++) {
      if (i > 0 && i % SLICE === 0) await turn();
      const ip = all[i]!;
      // a CIDR range only for an action that declares banranges = yes
      const canonical = ip.includes('/') ? (this.def.ranges ? parseCidr(ip)?.text : null) : parseIp(ip)?.text;
      if (canonical !== ip) throw new VoipguardError('VG_ACTION_IP', `"${ip.slice(0, 60)}" is not a canonical IP address${this.def.ranges ? ' or range' : ''}`);
    }
    const bans = splitByFamily(change.ban, (b) => b.family);
    const dropped = change.dropped ?? NONE;
    const fresh = change.fresh ?? NONE;
    const unbans = splitByFamily(change.unban, familyOf);
    const done: string[] = [];
    const failed: { ip: string; error: FirewallCommandError }[] = [];
    const batchFamilies = FAMILIES.filter((f) => this.def.families[f].batch !== null);
    // one batch per tool (iptables-restore, ip6tables-restore; nft's inet table is one), all side by
    // side: an IPv6 ban never waits for the IPv4 batch of the same transaction (bench/ban-family.bench.ts)
    const batches = groupBy(batchFamilies, (f) => JSON.stringify(this.def.families[f].batch!.command)).map(async (fams) => {
      const ips: string[] = [];
      let lines: string[] = [];
      const head = new Set<string>();
      const tail = new Set<string>();
      let rendered = 0;
      for (const f of fams) {
        const b = this.def.families[f].batch!;
        const needed = tagsUsed([...b.ban, ...b.banDrop, ...b.banNew, ...b.banDropNew].map((t) => t.pieces));
        b.begin.forEach((l) => head.add(l));
        b.end.forEach((l) => tail.add(l));
        // with batchmerge, the lines of one template go by their place in it (every address's first
        // line, then every second one…): the runs script-merge.ts joins (ScriptLines)
        const out = new ScriptLines(b.merge, lines);
        for (const ip of unbans.get(f) ?? []) {
          if (++rendered % SLICE === 0) await turn();
          const ts = dropped.has(ip) && b.unbanDrop.length ? b.unbanDrop : b.unban;
          for (let k = 0; k < ts.length; k++) out.add(ts, k, renderScriptLine(ts[k]!, { ip }));
          ips.push(ip);
        }
        out.close();
        for (const ban of bans.get(f) ?? []) {
          if (++rendered % SLICE === 0) await turn();
          const values = banTagValues(ban, now, needed);
          const ts = banLines(b, ban.drop === true, fresh.has(ban.ip));
          for (let k = 0; k < ts.length; k++) out.add(ts, k, renderScriptLine(ts[k]!, values));
          ips.push(ban.ip);
        }
        out.close();
      }
      if (ips.length === 0) return;
      const argv = this.def.families[fams[0]!].batch!.command;
      const plan = this.def.families[fams[0]!].batch!;
      if (plan.merge) lines = mergeElementLines(lines);
      const r =
        plan.join && this.joiner
          ? await this.joiner.run(argv, { head: [...head], lines, tail: [...tail] })
          : await this.runner.run(argv, { input: [...head, ...lines, ...tail, ''].join('\n') });
      if (r.exitCode === 0) done.push(...ips);
      else {
        const error = new FirewallCommandError(argv, r.exitCode, r.stderr, lines.length);
        for (const ip of ips) failed.push({ ip, error });
      }
    });
    // families without a batch form: one command at a time within a family, the families side by side
    const single = FAMILIES.filter((x) => this.def.families[x].batch === null).map(async (f) => {
      const p = this.def.families[f];
      for (const ip of unbans.get(f) ?? [])
        await this.oneByOne(
          ip,
          (dropped.has(ip) && p.unbanDrop.length ? p.unbanDrop : p.unban).map((t) => renderCommand(t, { ip })),
          done,
          failed,
        );
      for (const ban of bans.get(f) ?? []) {
        const templates = ban.drop && p.banDrop.length ? p.banDrop : p.ban;
        const values = banTagValues(ban, now, tagsUsed(templates.map((t) => t.slots)));
        await this.oneByOne(
          ban.ip,
          templates.map((t) => renderCommand(t, values)),
          done,
          failed,
        );
      }
    });
    await Promise.all([...batches, ...single]);
    return { done, failed };
  }

  private async oneByOne(ip: string, commands: Argv[], done: string[], failed: { ip: string; error: FirewallCommandError }[]): Promise<void> {
    for (const argv of commands) {
      const r = await this.runner.run(argv);
      if (r.exitCode !== 0) {
        failed.push({ ip, error: new FirewallCommandError(argv, r.exitCode, r.stderr) });
        return;
      }
    }
    done.push(ip);
  }

  private async groupIntact(g: StructureGroup): Promise<boolean> {
    if (g.plan.check.length === 0) return true;
    let out = '';
    for (const argv of g.plan.check) {
      const r = await this.runner.run(argv);
      if (r.exitCode !== 0) {
        this.log.debug({ event: 'firewall-check-failed', action: this.id, argv, exitCode: r.exitCode, stderr: r.stderr.slice(0, 500) });
        return false;
      }
      out += r.stdout + '\n';
    }
    const missing = g.plan.checkMatch.find((re) => !new RegExp(re.source, 'm').test(out));
    if (missing) this.log.debug({ event: 'firewall-check-failed', action: this.id, missing: missing.source });
    return missing === undefined;
  }

  private async must(argv: Argv): Promise<{ stdout: string }> {
    const r = await this.runner.run(argv);
    if (r.exitCode !== 0) throw new FirewallCommandError(argv, r.exitCode, r.stderr);
    return r;
  }

  private async runAll(commands: readonly Argv[], tolerant: boolean): Promise<void> {
    for (const argv of commands) {
      const r = await this.runner.run(argv);
      if (r.exitCode === 0) continue;
      if (!tolerant) throw new FirewallCommandError(argv, r.exitCode, r.stderr);
      this.log.debug({ event: 'firewall-command-tolerated', action: this.id, argv, exitCode: r.exitCode, stderr: r.stderr.slice(0, 500) });
    }
  }
}

const NONE: ReadonlySet<string> = new Set();

/** A ban's script lines: its DROP form for droprepeat, and the short form for an address the action does not hold. */
function banLines(b: BatchPlan, drop: boolean, fresh: boolean): readonly ScriptTemplate[] {
  if (drop && b.banDrop.length) return fresh && b.banDropNew.length ? b.banDropNew : b.banDrop;
  return fresh && b.banNew.length ? b.banNew : b.ban;
}

/** The addresses (or ranges) of family `f` a listing pattern finds, canonical, each with the
 *  seconds left on its kernel timer when the pattern's `expires` group matched (else null); a turn
 *  every SLICE. */
async function matchAll(text: string, pattern: RegExp, f: Family): Promise<[string, number | null][]> {
  const out: [string, number | null][] = [];
  let n = 0;
  for (const m of text.matchAll(new RegExp(pattern.source, 'gm'))) {
    if (++n % SLICE === 0) await turn();
    // an address, or a range (banranges = yes); a full-length prefix (-s 192.0.2.1/32) is the address.
    // A bare address needs no bytes: normalizeIp (a listing of 100,000 parsed each one into a range)
    const raw = m.groups?.['ip'] ?? '';
    const ip = raw.includes('/') ? (parseCidr(raw)?.text ?? null) : normalizeIp(raw);
    const left = m.groups?.['expires'];
    if (ip !== null && familyOf(ip) === f) out.push([ip, left === undefined ? null : Number(left)]);
  }
  return out;
}

function groupInto<K, T>(items: readonly T[], key: (t: T) => K): Map<K, T[]> {
  const m = new Map<K, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): T[][] {
  return [...groupInto(items, key).values()];
}

function splitByFamily<T>(items: readonly T[], fam: (t: T) => Family): Map<Family, T[]> {
  return groupInto(items, fam);
}

// kernel timers show in the ban templates as <timeout> or <duration>
function usesKernelTimeout(p: FamilyPlan): boolean {
  const timed = (s: Slot): boolean => typeof s !== 'string' && (s.tag === 'timeout' || s.tag === 'duration');
  return (p.batch?.ban ?? []).some((t) => t.pieces.some(timed)) || p.ban.some((t) => t.slots.some(timed));
}
