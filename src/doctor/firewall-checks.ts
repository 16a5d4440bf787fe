// The firewall: the programs the jails' actions run are installed, and no `ESTABLISHED,RELATED
// -j ACCEPT` stands in front of the jump to the ban chains. A UDP SIP scanner keeps one conntrack
// flow ESTABLISHED; a ban placed after that rule never reaches its packets unless the flow is cut.
// The listing and the jump come from the actions (hooklist/hookjump), judged by the same function
// the daemon's start-up warning uses.

import { establishedBeforeJump } from '../firewall/hook-check.js';
import type { DoctorContext, DoctorJail, Finding, FirewallHook } from './doctor-types.js';

export async function checkFirewallTools(ctx: DoctorContext): Promise<Finding[]> {
  const id = 'firewall-tools';
  const tools = neededTools(ctx.config.jails);
  if (tools.length === 0) return [{ id, status: 'skip', message: 'no enabled jail has a firewall action' }];
  const missing: string[] = [];
  for (const tool of tools) {
    const r = await ctx.env.runner.run([tool, '--version']);
    if (r.exitCode !== 0) missing.push(tool);
  }
  if (missing.length) {
    return [
      {
        id,
        status: 'fail',
        message: `the jails' actions run ${missing.join(', ')}, which ${missing.length > 1 ? 'are' : 'is'} not installed or does not run: bans cannot be applied`,
        fix: `apt-get install ${[...new Set(missing.map(packageOf))].join(' ')}`,
      },
    ];
  }
  return [{ id, status: 'ok', message: `${tools.join(', ')} installed` }];
}

function neededTools(jails: readonly DoctorJail[]): string[] {
  return [...new Set(jails.flatMap((j) => j.firewallTools))].sort();
}

function packageOf(tool: string): string {
  return tool === 'nft' ? 'nftables' : tool === 'ip6tables' ? 'iptables' : tool;
}

export async function checkEstablished(ctx: DoctorContext): Promise<Finding[]> {
  const out: Finding[] = [];
  let conntrack: boolean | null = null;
  for (const [family, id] of [
    ['inet4', 'established-v4'],
    ['inet6', 'established-v6'],
  ] as const) {
    // one listing per distinct command: the tcp and udp actions of a jail hook the same chain
    const byList = new Map<string, FirewallHook[]>();
    for (const h of ctx.config.jails.flatMap((j) => j.hooks).filter((h) => h.family === family)) {
      const key = h.list.join('\0');
      byList.set(key, [...(byList.get(key) ?? []), h]);
    }
    if (byList.size === 0) continue;
    const unreadable: string[] = [];
    const unhooked: string[] = [];
    const shadowed: string[] = [];
    for (const hooks of byList.values()) {
      const argv = hooks[0]!.list;
      const r = await ctx.env.runner.run(argv);
      if (r.exitCode !== 0) {
        unreadable.push(`${argv.join(' ')}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
        continue;
      }
      for (const h of hooks) {
        if (!r.stdout.split('\n').some((l) => new RegExp(h.jump.source, 'm').test(l))) unhooked.push(h.action);
        const rule = establishedBeforeJump(r.stdout, h.jump);
        if (rule !== null && !shadowed.includes(rule)) shadowed.push(rule);
      }
    }
    if (shadowed.length) {
      conntrack ??= (await ctx.env.runner.run(['conntrack', '--version'])).exitCode === 0;
      const tool = family === 'inet4' ? 'iptables' : 'ip6tables';
      out.push({
        id,
        status: conntrack ? 'warn' : 'fail',
        message: `"${shadowed[0]}" comes before the jump to the ban chain: a banned scanner whose UDP flow is already ESTABLISHED keeps getting through${conntrack ? ' until voipguard deletes its conntrack entries (it does at each ban)' : ', and conntrack is not installed to cut such flows'}`,
        fix: `move that rule below the ban jumps (${tool} ${shadowed[0]!.replace(/^-A /, '-D ')}, then ${tool} ${shadowed[0]}, after voipguard has started)${conntrack ? '' : ', or apt-get install conntrack'}`,
      });
    } else if (unreadable.length) {
      out.push({
        id,
        status: 'warn',
        message: `cannot list the hooked chain: ${unreadable.join('; ')}`,
        fix: 'run voipguard doctor as root, with the firewall tools installed',
      });
    } else if (unhooked.length) {
      out.push({
        id,
        status: 'warn',
        message: `no jump to the ban chain of ${unhooked.join(', ')}: no ban is in effect`,
        fix: 'start voipguard (it hooks its chains at start)',
      });
    } else {
      out.push({
        id,
        status: 'ok',
        message: `the ban chain jumps come before any ESTABLISHED accept (${[...byList.values()].map((h) => h[0]!.list.join(' ')).join(', ')})`,
      });
    }
  }
  return out;
}
