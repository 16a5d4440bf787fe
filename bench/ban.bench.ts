// npm run bench:ban: time from an attack line appended to the log to its address's REJECT rule in
// the kernel, through the whole daemon (file tail → filter → jail → store → iptables), in a
// network namespace it creates. The kernel side is observed with `nft monitor rules` (iptables
// here is iptables-nft), so the time is when the rule is committed, not when a command returned.
// A ban counts as in the kernel when both chains of the stock [asterisk] jail (f2b-asterisk-tcp
// and -udp) hold it. maxretry = 1 so that every line is a ban.
//
// Two runs over 100 addresses each: one line at a time (each written 50 ms after the previous
// rule appeared, so the firewall has finished its follow-up work, e.g. the conntrack purge, and
// the figure is the latency of one ban), and a burst of 100 lines written at once (what a flood
// looks like; bans decided while the firewall is busy go in one transaction).

import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createNetnsPair } from '../test/helpers/netns.js';
import { attackLine, cli, Daemon, makeConfig, removeConfig, ROOT, waitFor } from '../test/e2e/daemon-harness.js';

const N = 100;
const JAIL = `
[asterisk]
enabled = true
logpath = $LOG
maxretry = 1
findtime = 10m
bantime = 1h
`;

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

function report(name: string, xs: number[]): void {
  const f = (v: number) => v.toFixed(1).padStart(6);
  console.log(`${name.padEnd(26)} n=${xs.length}  p50 ${f(pct(xs, 50))} ms  p90 ${f(pct(xs, 90))} ms  p99 ${f(pct(xs, 99))} ms  max ${f(Math.max(...xs))} ms`);
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:ban needs root (network namespace, iptables)');
  const pair = await createNetnsPair();
  const cfg = makeConfig(JAIL);
  let daemon: Daemon | null = null;
  const monitor = spawn('ip', ['netns', 'exec', pair.defender, 'nft', 'monitor', 'rules'], { stdio: ['ignore', 'pipe', 'inherit'] });
  // ip → chains seen holding it, and when the second one arrived
  const seen = new Map<string, Set<string>>();
  const inKernel = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  createInterface({ input: monitor.stdout! }).on('line', (line) => {
    const t = performance.now();
    const m = /^(?:add|insert) rule ip6? filter (f2b-asterisk-(?:tcp|udp)) .*saddr (\S+) /.exec(line);
    if (!m) return;
    const chains = seen.get(m[2]!) ?? new Set<string>();
    chains.add(m[1]!);
    seen.set(m[2]!, chains);
    if (chains.size === 2 && !inKernel.has(m[2]!)) {
      inKernel.set(m[2]!, t);
      waiters.get(m[2]!)?.();
    }
  });
  try {
    daemon = new Daemon(pair.defender, cfg, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'voipguard.ts')]);
    await waitFor('the daemon', () => cli(cfg, ['ping']).code === 0 || daemon!.proc.exitCode !== null, 60_000);
    if (daemon.proc.exitCode !== null) throw new Error(`daemon died: ${daemon.stderr}`);
    await waitFor('the chains', async () => (await pair.exec(pair.defender, ['iptables', '-S', 'f2b-asterisk-udp']).catch(() => null)) !== null);
    await new Promise((r) => setTimeout(r, 300));

    const one: number[] = [];
    for (let i = 1; i <= N; i++) {
      const ip = `198.18.0.${i}`;
      const done = new Promise<void>((r) => waiters.set(ip, r));
      const t0 = performance.now();
      appendFileSync(cfg.log, attackLine(ip));
      await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error(`no rule for ${ip} within 5 s`)), 5000))]);
      one.push(inKernel.get(ip)! - t0);
      await new Promise((r) => setTimeout(r, 50));
    }
    const burstIps = Array.from({ length: N }, (_, i) => `198.18.1.${i + 1}`);
    const all = Promise.all(burstIps.map((ip) => new Promise<void>((r) => waiters.set(ip, r))));
    const t0 = performance.now();
    appendFileSync(cfg.log, burstIps.map((ip) => attackLine(ip)).join(''));
    await Promise.race([all, new Promise((_, rej) => setTimeout(() => rej(new Error('burst not in the kernel within 10 s')), 10_000))]);
    const burst = burstIps.map((ip) => inKernel.get(ip)! - t0);

    console.log(`line appended → REJECT rule in both chains (iptables-nft, ${N} addresses each)`);
    report('one line at a time', one);
    report(`burst of ${N} lines`, burst);
    console.log(`target p99 ≤ 50 ms (one line at a time): ${pct(one, 99) <= 50 ? 'met' : 'NOT met'}`);
  } finally {
    if (daemon && daemon.proc.exitCode === null) {
      daemon.proc.kill('SIGTERM');
      await daemon.exited;
    }
    monitor.kill('SIGKILL');
    await pair.destroy();
    removeConfig(cfg);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
