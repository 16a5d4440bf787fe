// npm run bench:family — why one IPv6 ban took 340 ms when IPv4 bans took 52-100 ms.
// In a fresh pair of network namespaces (test/helpers/netns.ts), through the same JailActions the
// daemon uses with the stock [asterisk] jail's two actions (asterisk-tcp, asterisk-udp):
//   - one ban apply() timed per family, the very first of the namespace and then later ones, in
//     both orders (v4 first, v6 first): a first-use cost (a table, a target, a module) shows as a
//     slow first ban of one family only;
//   - a v6 ban queued while a v4 ban is in flight (the daemon batches decisions that arrive while
//     the firewall is busy): the time the v6 address waits behind the v4 step;
//   - a v6 ban that arrives while the periodic check runs (it waits for the check: one queue);
//   - the bare commands: iptables-restore / ip6tables-restore of one rule, and conntrack -L per family.
// Prints medians of RUNS fresh namespaces, with the load average (the machine may be shared).

import { loadavg } from 'node:os';
import { execa } from 'execa';
import { ExecaRunner } from '../src/exec/execa-runner.js';
import { loadJailActions } from '../src/actions/jail-actions.js';
import { firewallMaker } from '../src/app.js';
import { packageRoot } from '../src/core/paths.js';
import type { Decision } from '../src/core/types.js';
import { silentLogger } from '../src/log/logger.js';
import { createNetnsPair, type NetnsPair } from '../test/helpers/netns.js';
import { TinyStore } from '../test/helpers/tiny-store.js';

const NOW = 1_800_000_000_000;
const RUNS = Number(process.env['RUNS'] ?? 5);

function jail(pair: NetnsPair) {
  const runner = new ExecaRunner({ prefix: ['ip', 'netns', 'exec', pair.defender], timeoutMs: 60_000 });
  return loadJailActions(
    {
      jail: 'asterisk',
      actions: [
        { name: 'iptables', args: { name: 'asterisk-tcp', protocol: 'tcp' } },
        { name: 'iptables', args: { name: 'asterisk-udp', protocol: 'udp' } },
      ],
      params: { port: '5060,5061' },
    },
    { configDir: packageRoot(), firewalls: firewallMaker(runner, false), store: new TinyStore(), log: silentLogger() },
  );
}

const ban = (ip: string): Decision => ({ type: 'ban', jail: 'asterisk', ip, time: NOW, until: NOW + 600_000, banCount: 1, reason: 'detected', failures: 5 });

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function run(): Promise<Record<string, number>> {
  const pair = await createNetnsPair();
  try {
    const out: Record<string, number> = {};
    const a = jail(pair);
    await a.start();
    await a.reconcile([], NOW);
    const firstV6 = Math.random() < 0.5;
    const order = firstV6 ? (['v6', 'v4'] as const) : (['v4', 'v6'] as const);
    const ip = { v4: (k: number) => `198.51.100.${k}`, v6: (k: number) => `2001:db8::${k}` };
    for (const fam of order) out[`first ${fam} ban${fam === order[0] ? ' (first of the namespace)' : ''}`] = await timed(() => a.apply([ban(ip[fam](1))], NOW));
    for (const fam of ['v4', 'v6'] as const) {
      const xs: number[] = [];
      for (let k = 2; k < 7; k++) xs.push(await timed(() => a.apply([ban(ip[fam](k))], NOW)));
      out[`later ${fam} ban`] = median(xs);
    }
    // a v6 ban that arrives while a v4 one is being applied
    const v4 = a.apply([ban(ip.v4(20))], NOW);
    out['v6 ban queued behind a v4 ban'] = await timed(() => a.apply([ban(ip.v6(20))], NOW));
    await v4;
    // a ban that arrives while the periodic check (every 5 s in the daemon) lists the chains
    out['periodic check alone'] = await timed(() => a.check(NOW));
    const check = a.check(NOW);
    out['v6 ban arriving during the check'] = await timed(() => a.apply([ban(ip.v6(22))], NOW));
    await check;
    out['one v4+v6 batch'] = await timed(() => a.apply([ban(ip.v4(21)), ban(ip.v6(21))], NOW));
    for (const [fam, tool] of [
      ['v4', 'iptables-restore'],
      ['v6', 'ip6tables-restore'],
    ] as const) {
      out[`bare ${tool}`] = await timed(() =>
        pair.exec(pair.defender, [tool, '-w', '--noflush'], `*filter\n-I f2b-asterisk-udp 1 -s ${ip[fam](30)} -p udp -j REJECT\nCOMMIT\n`),
      );
    }
    for (const f of ['ipv4', 'ipv6'])
      out[`bare conntrack -L -f ${f}`] = await timed(() => execa('ip', ['netns', 'exec', pair.defender, 'conntrack', '-L', '-f', f], { reject: false }));
    await a.stop();
    return out;
  } finally {
    await pair.destroy();
  }
}

const all: Record<string, number[]> = {};
for (let i = 0; i < RUNS; i++) for (const [k, v] of Object.entries(await run())) (all[k] ??= []).push(v);
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; median of ${RUNS} fresh namespaces (first-ban rows: of the runs that had them)`,
);
for (const [k, xs] of Object.entries(all))
  console.log(
    `${k.padEnd(45)} ${median(xs).toFixed(1).padStart(8)} ms  (n=${xs.length}, min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)})`,
  );
