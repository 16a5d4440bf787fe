// npm run bench:firewall — in network namespaces it creates (and removes), through the same
// JailActions the daemon uses, with the stock [asterisk] jail's two actions (asterisk-tcp and
// asterisk-udp):
//   1. 10,000 distinct addresses banned at once with the default action (iptables): time from
//      apply() to every rule being in the kernel (apply resolves after iptables-restore returns;
//      the rules are then counted with iptables -S).
//   2. 100,000 active bans restored at start with iptables-ipset: start() + reconcile() on a fresh
//      namespace, then the set members are counted.
//   3. For scale, fail2ban's way: one `iptables -I` per ban (1,000 bans, one action).
// Targets: 10,000 bans ≤ 2 s; 100,000 restored ≤ 5 s. Median of three runs, each in a new namespace.

import { firewallMaker } from '../src/app.js';
import { execa } from 'execa';
import { ExecaRunner } from '../src/exec/execa-runner.js';
import { loadJailActions } from '../src/actions/jail-actions.js';
import { packageRoot } from '../src/core/paths.js';
import type { Decision } from '../src/core/types.js';
import { silentLogger } from '../src/log/logger.js';
import type { ActiveBan } from '../src/store/store.js';
import { createNetnsPair, type NetnsPair } from '../test/helpers/netns.js';
import { TinyStore } from '../test/helpers/tiny-store.js';

const NOW = 1_800_000_000_000;
const RUNS = 3;

function address(i: number): string {
  // 100.64.0.0/10 and up: never the namespaces' own 10.213.0.0/24
  const n = 0x64400000 + i;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function asteriskJail(pair: NetnsPair, action: string) {
  const runner = new ExecaRunner({ prefix: ['ip', 'netns', 'exec', pair.defender], timeoutMs: 120_000 });
  return loadJailActions(
    {
      jail: 'asterisk',
      actions: [
        { name: action, args: { name: 'asterisk-tcp', protocol: 'tcp' } },
        { name: action, args: { name: 'asterisk-udp', protocol: 'udp' } },
      ],
      params: { port: '5060,5061' },
    },
    { configDir: packageRoot(), firewalls: firewallMaker(runner, false), store: new TinyStore(), log: silentLogger() },
  );
}

async function count(pair: NetnsPair, argv: string[], re: RegExp): Promise<number> {
  const out = (await pair.exec(pair.defender, argv)).stdout;
  return out.match(re)?.length ?? 0;
}

async function inFreshPair<T>(fn: (pair: NetnsPair) => Promise<T>): Promise<T> {
  const pair = await createNetnsPair();
  try {
    return await fn(pair);
  } finally {
    await pair.destroy();
  }
}

async function banTenThousand(): Promise<number> {
  return inFreshPair(async (pair) => {
    const actions = asteriskJail(pair, 'iptables');
    await actions.start();
    await actions.reconcile([], NOW);
    const decisions: Decision[] = [];
    for (let i = 0; i < 10_000; i++) {
      decisions.push({ type: 'ban', jail: 'asterisk', ip: address(i), time: NOW, until: NOW + 600_000, banCount: 1, reason: 'detected', failures: 5 });
    }
    const t = performance.now();
    await actions.apply(decisions, NOW);
    const ms = performance.now() - t;
    const rules = await count(pair, ['iptables', '-S'], /^-A f2b-asterisk-(tcp|udp) -s /gm);
    if (rules !== 20_000 || actions.pending().length) throw new Error(`expected 20,000 rules, found ${rules}; pending ${actions.pending().length}`);
    await actions.stop();
    return ms;
  });
}

async function restoreHundredThousand(): Promise<number> {
  return inFreshPair(async (pair) => {
    const actions = asteriskJail(pair, 'iptables-ipset');
    const active: ActiveBan[] = [];
    for (let i = 0; i < 100_000; i++) {
      active.push({ jail: 'asterisk', ip: address(i), start: NOW - 60_000, until: NOW + 3_600_000, banCount: 1, reason: 'restored', applied: true });
    }
    const t = performance.now();
    await actions.start();
    await actions.reconcile(active, NOW);
    const ms = performance.now() - t;
    for (const set of ['f2b-asterisk-tcp', 'f2b-asterisk-udp']) {
      const header = (await pair.exec(pair.defender, ['ipset', 'list', '-t', set])).stdout;
      const n = Number(/Number of entries: (\d+)/.exec(header)?.[1]);
      if (n !== 100_000) throw new Error(`${set}: ${n} members, expected 100,000`);
    }
    if (actions.pending().length) throw new Error(`pending ${actions.pending().length}`);
    await actions.stop();
    return ms;
  });
}

async function oneCommandPerBan(n: number): Promise<number> {
  return inFreshPair(async (pair) => {
    await pair.exec(pair.defender, ['iptables', '-w', '-N', 'f2b-asterisk-udp']);
    const t = performance.now();
    for (let i = 0; i < n; i++) {
      await pair.exec(pair.defender, [
        'iptables',
        '-w',
        '-I',
        'f2b-asterisk-udp',
        '1',
        '-s',
        address(i),
        '-j',
        'REJECT',
        '--reject-with',
        'icmp-port-unreachable',
      ]);
    }
    return performance.now() - t;
  });
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function measure(label: string, fn: () => Promise<number>, targetMs?: number): Promise<void> {
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await fn());
  const m = median(runs);
  const verdict = targetMs === undefined ? '' : m <= targetMs ? `  (target ≤ ${targetMs / 1000} s: met)` : `  (target ≤ ${targetMs / 1000} s: MISSED)`;
  console.log(`${label}: ${(m / 1000).toFixed(3)} s median of ${runs.map((r) => (r / 1000).toFixed(3)).join(', ')}${verdict}`);
}

const versions = await Promise.all([execa('iptables', ['--version']), execa('ipset', ['--version'])]);
console.log(`firewall bench: ${versions.map((v) => v.stdout.trim().split('\n')[0]).join(', ')}, node ${process.version}`);
await measure('10,000 bans, default action iptables (asterisk-tcp + asterisk-udp = 20,000 rules), one apply()', banTenThousand, 2000);
await measure('100,000 bans restored at start, iptables-ipset (2 sets x 100,000 members), start() + reconcile()', restoreHundredThousand, 5000);
const per = await oneCommandPerBan(1000);
console.log(`for scale, one iptables command per ban (fail2ban's way): 1,000 bans in ${(per / 1000).toFixed(3)} s = ${Math.round(1000 / (per / 1000))} bans/s`);
