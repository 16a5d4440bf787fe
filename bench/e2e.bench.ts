// npm run bench:e2e: the whole daemon as an administrator meets it. The BUILT CLI runs as a process
// in a network namespace this benchmark creates (test/helpers/netns.ts), on the shipped jail.conf
// with [asterisk] enabled on a real log file and nothing else changed (maxretry, findtime, the
// default action: two chains, f2b-asterisk-tcp and -udp); a second run sets banaction =
// iptables-ipset. Attack lines are appended to the file; a ban counts when the kernel holds it for
// both protocols:
//   - iptables (iptables-nft here): `nft monitor rules` in the namespace, timestamped as each rule
//     event arrives (not polled);
//   - ipset: ipset sends no events, so `ipset list -t` is polled every POLL_MS (the figures carry
//     that resolution);
//   - nftables (`--actions nftables`, banaction = nftables): `nft monitor elements`, timestamped as
//     each element arrives; should the monitor lose events (it can, when thousands land at once),
//     a listing of the sets settles the count after STALL_MS without one, and the figure says so.
// The status section asks `status` over the control socket, runs `voipguard status` as a process,
// and GETs /metrics (the daemon then listens on its namespace's loopback; the scrape is timed by a
// process inside the namespace) during the largest burst.
// With iptables-ipset and nftables, the restart section also kills the daemon with -9 (the sets
// keep every ban) and times the next start's reconcile with the database.
// Every wait is bounded; the namespaces, processes and files are removed on exit, also on error
// and on Ctrl-C.
//
// Options (after `--`): --quick (50 single addresses, bursts of 1,000, restart 1,000, regex on
// 200,000 lines), --sections start,single,burst,restart,status,regex,feed, --actions iptables,ipset,nftables,
// --sizes 1000,10000,100000, --timeout <s> per burst or restore (default 300), --prof <dir>, --single <n>,
// --family 4,6 (the single-address measure per address family: IPv4 attackers in 198.18.0.0/15,
// IPv6 attackers in the attacker namespace's /64, fd00:213::/64; the rules come from iptables and
// ip6tables respectively, and the v4 and v6 samples alternate so both see the same load),
// --env systemd|inherit (below), --lines sip|security and --accountretry N (the attack lines, and
// per-account counting on in the jail; below).

import { execFile, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs, promisify } from 'node:util';
import { createNetnsPair, type NetnsPair } from '../test/helpers/netns.js';
import { attackLine, build, CLI, Daemon, makeConfig, removeConfig, ROOT, stamp, type E2eConfig } from '../test/e2e/daemon-harness.js';
import { writeAsteriskLog } from './gen-asterisk-log.js';
import { childCpuSeconds } from './child-cpu.js';
import { runFeedBench } from './feed-section.js';

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    sections: { type: 'string' },
    actions: { type: 'string' },
    sizes: { type: 'string' },
    timeout: { type: 'string' },
    prof: { type: 'string' },
    single: { type: 'string' },
    family: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    env: { type: 'string', default: 'systemd' },
    accountretry: { type: 'string', default: '0' },
    lines: { type: 'string', default: 'sip' },
  },
});
// --env systemd (the default): the daemon and the CLI processes run without the shell's
// NODE_EXTRA_CA_CERTS, as under the shipped unit (systemd gives a unit a clean environment). Set,
// it makes Node read the CA bundle at every process start: 35 to 45 ms on the development
// machine, whose shell sets it. --env inherit keeps the shell's environment.
if (opt.env !== 'systemd' && opt.env !== 'inherit') throw new Error(`--env takes systemd or inherit, not "${opt.env}"`);
const EXTRA_CA = process.env.NODE_EXTRA_CA_CERTS;
if (opt.env === 'systemd') delete process.env.NODE_EXTRA_CA_CERTS;
const QUICK = opt.quick!;
const SECTIONS = new Set((opt.sections ?? 'start,single,burst,restart,status,regex,feed').split(','));
type Action = 'iptables' | 'ipset' | 'nftables';
// the rows name ipset's action `iptables-ipset`: accepted for `ipset`; anything else is refused
// (an unknown name once ran the default action while the watch looked for nftables elements)
const ACTIONS = (opt.actions ?? 'iptables,ipset').split(',').map((a): Action => {
  const name = a.trim() === 'iptables-ipset' ? 'ipset' : a.trim();
  if (name !== 'iptables' && name !== 'ipset' && name !== 'nftables')
    throw new Error(`--actions takes iptables, ipset (iptables-ipset) or nftables, not "${a}"`);
  return name;
});
// --lines sip (chan_sip's failed registration, the default) or security (the security log's
// InvalidPassword, naming an account: securityLine below); --accountretry N: the jail counts per
// account too (docs/beyond-one-address.md), which only the security lines feed
if (opt.lines !== 'sip' && opt.lines !== 'security') throw new Error(`--lines takes sip or security, not "${opt.lines}"`);
const SECURITY_LINES = opt.lines === 'security';
const ACCOUNTRETRY = Number(opt.accountretry);
if (!(Number.isInteger(ACCOUNTRETRY) && ACCOUNTRETRY >= 0)) throw new Error(`--accountretry takes a whole number, not "${opt.accountretry}"`);
if (ACCOUNTRETRY > 0 && !SECURITY_LINES)
  throw new Error('--accountretry needs --lines security: a chan_sip registration line names no account the filter reads');
const SIZES = (opt.sizes ?? (QUICK ? '1000' : '1000,10000,100000')).split(',').map(Number);
const TIMEOUT_MS = Number(opt.timeout ?? 300) * 1000;
const SINGLE = Number(opt.single ?? (QUICK ? 50 : 200));
const FAMILIES = (opt.family ?? '4,6').split(',').map((f) => {
  if (f !== '4' && f !== '6') throw new Error(`--family takes 4, 6 or 4,6, not "${f}"`);
  return f === '4' ? ('IPv4' as const) : ('IPv6' as const);
});
const REGEX_LINES = QUICK ? 200_000 : 1_000_000;
const POLL_MS = 20;
/** nftables: a listing is taken when the monitor has printed nothing for this long short of a target. */
const STALL_MS = 2_000;
const run = promisify(execFile);
const CHAINS = ['f2b-asterisk-tcp', 'f2b-asterisk-udp'];

const maxretry = Number(/^maxretry\s*=\s*(\d+)/m.exec(readFileSync(join(ROOT, 'jail.conf'), 'utf8'))?.[1] ?? 5);

// ---- cleanup, whatever happens ----
const cleanups: (() => Promise<void> | void)[] = [];
let cleaning: Promise<void> | null = null;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch {
        /* best effort on the way out */
      }
    }
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: cleaning up`);
    void cleanup().then(() => process.exit(130));
  });
}
// a rejection nobody awaited would end the process without its cleanups (daemons, namespaces)
process.on('unhandledRejection', (e) => {
  console.error(e);
  void cleanup().then(() => process.exit(1));
});

// ---- measuring ----
const now = (): number => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
const ms = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v) ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;

const rows: [string, string, string][] = [];
function row(action: string, measure: string, value: string): void {
  rows.push([action, measure, value]);
  console.log(`  ${action.padEnd(15)} ${measure.padEnd(52)} ${value}`);
}

/** The daemon's own CPU (user+system, ms) and its waited-for children's (iptables…), peak RSS (MB). */
function procStats(pid: number): { cpu: number; childCpu: number; hwmMb: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const tick = 1000 / 100; // USER_HZ
    const cpu = (Number(f[11]) + Number(f[12])) * tick;
    const childCpu = (Number(f[13]) + Number(f[14])) * tick;
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { cpu, childCpu, hwmMb: hwm ? Number(hwm[1]) / 1024 : NaN };
  } catch {
    return { cpu: NaN, childCpu: NaN, hwmMb: NaN };
  }
}

/** Counts the addresses the kernel holds in both chains/sets, with the time each got there. */
interface KernelWatch {
  /** Forgets what was seen (a new phase starts). */
  reset(): void;
  readonly inKernel: Map<string, number>;
  /** True when a count was settled by a listing, not by events (nftables only). */
  readonly listed?: boolean;
  /** Resolves at the moment `n` addresses are held (or rejects after `deadline` ms). */
  count(n: number, deadline: number): Promise<number>;
  stop(): void;
}

function nftWatch(pair: NetnsPair): KernelWatch {
  const monitor = spawn('ip', ['netns', 'exec', pair.defender, 'nft', 'monitor', 'rules'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const seen = new Map<string, number>(); // ip → bit per chain
  const inKernel = new Map<string, number>();
  const waiters: { n: number; resolve: (t: number) => void }[] = [];
  createInterface({ input: monitor.stdout! }).on('line', (line) => {
    const t = now();
    // `add rule ip filter …` from iptables, `add rule ip6 filter …` from ip6tables
    const m = /^(?:add|insert) rule ip6? filter (f2b-asterisk-(?:tcp|udp)) .*saddr (\S+) /.exec(line);
    if (!m) return;
    const ip = canonical(m[2]!);
    const bit = m[1] === CHAINS[0] ? 1 : 2;
    const v = (seen.get(ip) ?? 0) | bit;
    seen.set(ip, v);
    if (v === 3 && !inKernel.has(ip)) {
      inKernel.set(ip, t);
      settle(waiters, inKernel.size, t);
    }
  });
  return {
    inKernel,
    reset() {
      seen.clear();
      inKernel.clear();
    },
    count(n, deadline) {
      if (inKernel.size >= n) return Promise.resolve(Math.max(...inKernel.values()));
      return bounded(new Promise<number>((resolve) => waiters.push({ n, resolve })), deadline, () => `${inKernel.size} of ${n} in the kernel`);
    },
    stop() {
      monitor.kill('SIGKILL');
    },
  };
}

/**
 * nftables: `nft monitor elements` prints each element as the kernel takes it, timestamped as it
 * arrives. It can lose events when a batch of thousands lands at once faster than it prints them
 * (docs/cluster.md): when its count has not moved for STALL_MS short of a wait's target, one
 * listing of each table's set counts what the kernel holds (the figure is then the listing's time,
 * an upper bound, and the result says so).
 */
function nftSetWatch(pair: NetnsPair): KernelWatch {
  const monitor = spawn('ip', ['netns', 'exec', pair.defender, 'nft', 'monitor', 'elements'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const seen = new Map<string, number>(); // ip → bit per table
  const inKernel = new Map<string, number>();
  const waiters: { n: number; resolve: (t: number) => void }[] = [];
  let lastEvent = now();
  let listed = false;
  createInterface({ input: monitor.stdout! }).on('line', (line) => {
    const t = now();
    lastEvent = t;
    const m = /^add element inet (f2b-asterisk-(?:tcp|udp)) addr[46] \{(.*)\}/.exec(line);
    if (!m) return;
    const bit = m[1] === CHAINS[0] ? 1 : 2;
    for (const e of m[2]!.matchAll(/(?:^|,)\s*([0-9a-f:.]+) timeout/g)) {
      const ip = canonical(e[1]!);
      const v = (seen.get(ip) ?? 0) | bit;
      seen.set(ip, v);
      if (v === 3 && !inKernel.has(ip)) inKernel.set(ip, t);
    }
    settle(waiters, inKernel.size, t);
  });
  /** The addresses in both tables' addr4 sets, by one listing of each. */
  const list = async (): Promise<number> => {
    const counts = await Promise.all(
      CHAINS.map(async (table) => {
        // 100,000 elements list as about 10 MB of JSON: past execFile's default 1 MB buffer
        const r = await run('ip', ['netns', 'exec', pair.defender, 'nft', '-j', 'list', 'set', 'inet', table, 'addr4'], { maxBuffer: 512 * 1024 * 1024 }).catch(
          () => ({
            stdout: '{}',
          }),
        );
        const set = (JSON.parse(r.stdout) as { nftables?: { set?: { elem?: unknown[] } }[] }).nftables?.find((x) => x.set)?.set;
        return set?.elem?.length ?? 0;
      }),
    );
    return Math.min(...counts);
  };
  let stopped = false;
  void (async () => {
    while (!stopped) {
      await sleep(STALL_MS / 4);
      if (waiters.length === 0 || now() - lastEvent < STALL_MS) continue;
      const want = Math.min(...waiters.map((w) => w.n));
      const held = await list();
      const t = now();
      if (held >= want) {
        listed = true;
        settle(waiters, held, t);
      }
      lastEvent = t; // the next listing waits for another stall
    }
  })();
  return {
    inKernel,
    get listed() {
      return listed;
    },
    reset() {
      seen.clear();
      inKernel.clear();
      listed = false;
    },
    count(n, deadline) {
      if (inKernel.size >= n) return Promise.resolve(Math.max(...inKernel.values()));
      return bounded(new Promise<number>((resolve) => waiters.push({ n, resolve })), deadline, () => `${inKernel.size} of ${n} seen in the sets`);
    },
    stop() {
      stopped = true;
      monitor.kill('SIGKILL');
    },
  };
}

/** ipset has no event stream: the header of each set (its entry count) is polled. */
function ipsetWatch(pair: NetnsPair): KernelWatch {
  const inKernel = new Map<string, number>(); // synthetic keys: the n-th address, time it was counted
  let stopped = false;
  let held = 0;
  const waiters: { n: number; resolve: (t: number) => void }[] = [];
  const entries = async (set: string): Promise<number> => {
    const r = await run('ip', ['netns', 'exec', pair.defender, 'ipset', 'list', '-t', set]).catch(() => ({ stdout: '' }));
    return Number(/Number of entries: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  };
  void (async () => {
    while (!stopped) {
      const n = Math.min(...(await Promise.all(CHAINS.map(entries))));
      const t = now();
      if (n > held) {
        for (let i = held; i < n; i++) inKernel.set(String(i), t);
        held = n;
      } else if (n < held) held = n; // a stop flushed the sets
      settle(waiters, held, t);
      await sleep(POLL_MS);
    }
  })();
  return {
    inKernel,
    reset() {
      inKernel.clear();
      held = 0;
    },
    count(n, deadline) {
      return bounded(new Promise<number>((resolve) => waiters.push({ n, resolve })), deadline, () => `${held} of ${n} in the sets`);
    },
    stop() {
      stopped = true;
    },
  };
}

function settle(waiters: { n: number; resolve: (t: number) => void }[], held: number, t: number): void {
  for (let i = waiters.length - 1; i >= 0; i--) {
    if (held >= waiters[i]!.n) waiters.splice(i, 1)[0]!.resolve(t);
  }
}

function bounded<T>(p: Promise<T>, deadlineMs: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`timed out after ${ms(deadlineMs)}: ${what()}`)), deadlineMs))),
  ]);
}

// ---- the daemon ----
type Client = { request(req: { cmd: string; [k: string]: unknown }): Promise<unknown> };
let ClientClass: new (path: string, timeoutMs?: number) => Client;

async function startDaemon(pair: NetnsPair, cfg: E2eConfig): Promise<{ d: Daemon; t0: number; ready: number }> {
  const t0 = now();
  // --prof DIR: each daemon writes a V8 CPU profile there when it stops (--cpu-prof is refused in NODE_OPTIONS)
  const d = new Daemon(pair.defender, cfg, opt.prof ? ['--cpu-prof', `--cpu-prof-dir=${opt.prof}`, CLI] : [CLI]);
  cleanups.push(() => stopDaemon(d));
  const client = new ClientClass(cfg.socket, 2000);
  const end = t0 + 60_000;
  for (;;) {
    if (d.proc.exitCode !== null) throw new Error(`daemon exited ${d.proc.exitCode}: ${d.stderr.slice(-2000)}`);
    if (now() > end) throw new Error('daemon not ready within 60 s');
    try {
      // ready: the control socket answers about the jail (which runs once its files are followed)
      await client.request({ cmd: 'jail-status', jail: 'asterisk', short: true });
      return { d, t0, ready: now() - t0 };
    } catch {
      await sleep(5);
    }
  }
}

async function stopDaemon(d: Daemon): Promise<void> {
  if (d.proc.exitCode !== null || d.proc.signalCode !== null) return;
  d.proc.kill('SIGTERM');
  // the bound's timer is cleared once the daemon exits: a pending timer would hold the benchmark open
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), TIMEOUT_MS)));
  const code = await Promise.race([d.exited, late]).finally(() => clearTimeout(timer));
  if (code === 'late') {
    d.proc.kill('SIGKILL');
    await d.exited;
  }
}

function jailLocal(action: Action): string {
  const banaction = action === 'ipset' ? 'iptables-ipset' : action === 'nftables' ? 'nftables' : null;
  const accounts = ACCOUNTRETRY > 0 ? `accountretry = ${ACCOUNTRETRY}\n` : '';
  return `${banaction ? `[DEFAULT]\nbanaction = ${banaction}\n\n` : ''}[asterisk]\nenabled = true\nlogpath = $LOG\n${accounts}`;
}

function freshConfig(action: Action, metrics = false): E2eConfig {
  const cfg = makeConfig(jailLocal(action));
  // info, not the harness's debug: a flood logs every failure at debug level
  const local = readFileSync(join(cfg.dir, 'voipguard.local'), 'utf8').replace('loglevel = DEBUG', 'loglevel = INFO');
  writeFileSync(join(cfg.dir, 'voipguard.local'), local + (metrics ? `\n[metrics]\nlisten = 127.0.0.1:${METRICS_PORT}\n` : ''));
  writeFileSync(cfg.log, '');
  cleanups.push(() => removeConfig(cfg));
  return cfg;
}

async function chainsUp(pair: NetnsPair, action: Action): Promise<void> {
  const end = now() + 30_000;
  for (;;) {
    const tools = FAMILIES.map((f) => (f === 'IPv4' ? 'iptables' : 'ip6tables'));
    // nftables: one table per action, named as the chains are (f2b-<name>)
    const ok =
      action === 'nftables'
        ? CHAINS.every((t) => spawnSync('ip', ['netns', 'exec', pair.defender, 'nft', 'list', 'chain', 'inet', t, 'input'], { stdio: 'ignore' }).status === 0)
        : tools.every((tool) => CHAINS.every((c) => spawnSync('ip', ['netns', 'exec', pair.defender, tool, '-S', c], { stdio: 'ignore' }).status === 0));
    if (ok) return;
    if (now() > end) throw new Error('the chains were not created within 30 s');
    await sleep(20);
  }
}

function ipOf(i: number, base: number): string {
  const n = base + i;
  return `198.${18 + (n >>> 16)}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The n-th IPv6 attacker: inside the attacker namespace's /64 (no packet is sent; the address is only logged and banned). */
function ip6Of(i: number, base: number): string {
  const n = base + i;
  return canonical(`fd00:213::6:${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`);
}

/** One spelling per address (RFC 5952, as nft prints it), so a logged address and a rule event meet. */
function canonical(ip: string): string {
  return ip.includes(':') ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip;
}

/** maxretry failures per address, interleaved as a flood arrives, in one string. */
function burstText(ips: readonly string[]): string {
  const parts: string[] = [];
  for (let k = 0; k < maxretry; k++) ips.forEach((ip, i) => parts.push(SECURITY_LINES ? securityLine(ip, i, k) : attackLine(ip, String(100 + k))));
  return parts.join('');
}

/**
 * With --lines security: the security log's InvalidPassword, its AccountID one of 500 extensions (a
 * chan_sip registration line names no account the filter reads). Address i's k-th line names
 * extension 100 + (5i + k) mod 500: each address tries 5 of them once (banned at maxretry, as
 * without accounts), and each extension is tried by 100 addresses in a burst of 10,000, so every
 * one of them comes under attack (accountretry 20).
 */
function securityLine(ip: string, i: number, k: number): string {
  const d = new Date();
  const local = stamp(d);
  const family = ip.includes(':') ? 'IPV6' : 'IPV4';
  return (
    `[${local}] SECURITY[4711] res_security_log.c: SecurityEvent="InvalidPassword",EventTV="${d.toISOString().replace('Z', '+0000')}",Severity="Error",` +
    `Service="PJSIP",EventVersion="2",AccountID="${100 + ((5 * i + k) % 500)}",SessionID="s-${i}-${k}",LocalAddress="IPV4/UDP/192.0.2.1/5060",` +
    `RemoteAddress="${family}/UDP/${ip}/5060",Challenge="c",ReceivedChallenge="c",ReceivedHash="h"\n`
  );
}

// ---- sections ----
async function runAction(pair: NetnsPair, action: Action): Promise<void> {
  const label =
    (action === 'ipset' ? 'iptables-ipset' : action) + (SECURITY_LINES ? ', security lines' : '') + (ACCOUNTRETRY > 0 ? `, accountretry ${ACCOUNTRETRY}` : '');
  const how =
    action === 'iptables'
      ? 'shipped default action, rule events from nft monitor'
      : action === 'ipset'
        ? `sets polled every ${POLL_MS} ms`
        : 'element events from nft monitor, a listing when they stall';
  console.log(`\n== ${label} (${how}) ==`);
  const watch = action === 'iptables' ? nftWatch(pair) : action === 'ipset' ? ipsetWatch(pair) : nftSetWatch(pair);
  cleanups.push(() => watch.stop());

  if (SECTIONS.has('start') || SECTIONS.has('single')) {
    const cfg = freshConfig(action);
    const starts: number[] = [];
    let daemon: Daemon | null = null;
    for (let i = 0; i < (SECTIONS.has('start') ? 3 : 1); i++) {
      const s = await startDaemon(pair, cfg);
      starts.push(s.ready);
      daemon = s.d;
      if (i < 2 && SECTIONS.has('start')) {
        await stopDaemon(s.d);
        daemon = null;
      }
    }
    if (SECTIONS.has('start')) row(label, 'start to ready, empty database (median of 3)', `${ms(pct(starts, 50))} (${starts.map(ms).join(', ')})`);
    if (SECTIONS.has('single') && action === 'iptables' && daemon) {
      await chainsUp(pair, action);
      await sleep(300);
      watch.reset();
      // the families alternate sample by sample, so a load change on the machine hits both alike
      const times = new Map(FAMILIES.map((f) => [f, [] as number[]]));
      const firsts = new Map<string, number>();
      const missed = new Map(FAMILIES.map((f) => [f, 0]));
      for (let i = 0; i < SINGLE; i++) {
        for (const fam of FAMILIES) {
          const ip = fam === 'IPv4' ? ipOf(i, 60_000) : ip6Of(i, 60_000);
          const done = watch.count(watch.inKernel.size + 1, 30_000);
          const t0 = now();
          appendFileSync(cfg.log, burstText([ip]));
          try {
            await done;
            const held = watch.inKernel.get(ip);
            if (held === undefined) throw new Error(`another address than ${ip} reached the kernel`);
            times.get(fam)!.push(held - t0);
            if (!firsts.has(fam)) firsts.set(fam, held - t0);
          } catch {
            missed.set(fam, missed.get(fam)! + 1); // not within 30 s: counted apart, the next address starts from what the kernel holds
          }
          await sleep(50);
        }
      }
      for (const fam of FAMILIES) {
        const xs = times.get(fam)!;
        const lost = missed.get(fam)!;
        row(
          label,
          `one ${fam} attacker (${maxretry} lines in one write) to both chains, n=${SINGLE}`,
          `p50 ${ms(pct(xs, 50))}  p99 ${ms(pct(xs, 99))}  max ${ms(Math.max(...xs))}  (first ${ms(firsts.get(fam))})${lost ? `  (${lost} over 30 s)` : ''}`,
        );
      }
    }
    if (daemon) await stopDaemon(daemon);
  }

  if (SECTIONS.has('burst') || SECTIONS.has('restart') || SECTIONS.has('status')) {
    const largest = Math.max(...SIZES);
    for (const n of SIZES) {
      // the status run also serves /metrics, probed from inside the namespace (metricsProbe)
      const cfg = freshConfig(action, SECTIONS.has('status') && n === largest);
      const { d } = await startDaemon(pair, cfg);
      await chainsUp(pair, action);
      await sleep(300);
      watch.reset();
      const ips = Array.from({ length: n }, (_, i) => ipOf(i, 0));
      const text = burstText(ips);
      const before = procStats(d.proc.pid!);
      const statusTimes: number[] = [];
      const cliTimes: number[] = [];
      let probing = SECTIONS.has('status') && n === largest;
      const probes = probing ? statusProbes(cfg, statusTimes, cliTimes, () => probing) : Promise.resolve();
      const metricsTimes = probing ? metricsProbe(pair) : null;
      const t0 = now();
      appendFileSync(cfg.log, text);
      const first = watch.count(1, TIMEOUT_MS);
      const half = watch.count(Math.ceil(n / 2), TIMEOUT_MS);
      // awaited below; one that times out while `all` is awaited must not go unhandled (that ended
      // the bench before its cleanups, a daemon and its iptables-restore left running for minutes)
      first.catch(() => undefined);
      half.catch(() => undefined);
      let result: string;
      try {
        const all = await watch.count(n, TIMEOUT_MS);
        result = `first ${ms((await first) - t0)}  50% ${ms((await half) - t0)}  100% ${ms(all - t0)}${watch.listed ? ' (by a listing: events were lost)' : ''}`;
      } catch (e) {
        result = `first ${ms((await first.catch(() => NaN)) - t0)}  50% ${ms((await half.catch(() => NaN)) - t0)}  100% NOT REACHED (${(e as Error).message})`;
      }
      probing = false;
      await probes;
      const scrapes = metricsTimes ? await metricsTimes.stop() : [];
      const after = procStats(d.proc.pid!);
      if (SECTIONS.has('burst')) {
        row(label, `burst of ${n.toLocaleString('en-US')} addresses × ${maxretry} lines, in the kernel`, result);
        // the proof that the accounts were counted: the daemon's account-attack facts (one per account)
        if (ACCOUNTRETRY > 0)
          row(label, 'account-attack facts in the daemon log', String(readFileSync(cfg.daemonLog, 'utf8').split('"event":"account-attack"').length - 1));
        row(
          label,
          `  daemon CPU / its commands' CPU / peak RSS`,
          `${ms(after.cpu - before.cpu)} / ${ms(after.childCpu - before.childCpu)} / ${after.hwmMb.toFixed(0)} MB`,
        );
      }
      if (statusTimes.length) {
        row(
          label,
          `during the ${n.toLocaleString('en-US')} burst: status over the socket, n=${statusTimes.length}`,
          `p50 ${ms(pct(statusTimes, 50))}  max ${ms(Math.max(...statusTimes))}`,
        );
        if (scrapes.length) {
          row(
            label,
            `during the ${n.toLocaleString('en-US')} burst: GET /metrics, n=${scrapes.length}`,
            `p50 ${ms(pct(scrapes, 50))}  max ${ms(Math.max(...scrapes))}`,
          );
        }
        row(
          label,
          `during the ${n.toLocaleString('en-US')} burst: \`voipguard status\` process, n=${cliTimes.length}`,
          `p50 ${ms(pct(cliTimes, 50))}  max ${ms(Math.max(...cliTimes))}`,
        );
      }
      if (SECTIONS.has('restart') && (n >= 10_000 || QUICK)) {
        await stopDaemon(d);
        // a stop keeps the bans in the kernel (docs/service.md): what a restart must do then is
        // measured by keptRestart; here the kernel is wiped first, as by a reboot, so that every
        // ban has to come back from the database (and shows as a rule event)
        await keptRestart(pair, cfg, n, label);
        wipeKernel(pair, action);
        watch.reset();
        const logged = readFileSync(cfg.daemonLog, 'utf8').length;
        const s = await startDaemon(pair, cfg);
        let back: string;
        try {
          const first1 = watch.count(1, TIMEOUT_MS);
          // awaited below; should `all` time out first, its rejection must not go unhandled (an
          // unhandled one ended the bench before its cleanups, leaving the daemons running)
          first1.catch(() => undefined);
          const all = await watch.count(n, TIMEOUT_MS);
          // the daemon's own word too: the monitor loses events under such a refill, and the
          // listing that then settles "all back" comes at least 2 s after the last event it saw
          const done = await restoreDone(cfg, logged);
          back =
            `ready ${ms(s.ready)}  first back ${ms((await first1) - s.t0)}  all back ${ms(all - s.t0)}${watch.listed ? ' (by a listing: events were lost)' : ''}` +
            (done?.ms !== undefined ? `; the daemon's restore ${ms(done.ms)} after ready` : '');
        } catch (e) {
          back = `ready ${ms(s.ready)}  NOT all back (${(e as Error).message})`;
        }
        row(label, `restart holding ${n.toLocaleString('en-US')} bans, kernel wiped first (from spawn)`, back);
        if (action !== 'iptables') await killedRestart(pair, cfg, s.d, n, label);
        else await stopDaemon(s.d);
      } else await stopDaemon(d);
    }
  }
  watch.stop();
}

/** What a reboot leaves of the namespace's firewall: empty filter tables, no sets. */
function wipeKernel(pair: NetnsPair, action: Action): void {
  for (const tool of ['iptables-restore', 'ip6tables-restore']) {
    spawnSync('ip', ['netns', 'exec', pair.defender, tool], { input: '*filter\nCOMMIT\n', stdio: ['pipe', 'ignore', 'ignore'] });
  }
  spawnSync('ip', ['netns', 'exec', pair.defender, 'ipset', 'destroy'], { stdio: 'ignore' });
  if (action === 'nftables') {
    for (const table of CHAINS) spawnSync('ip', ['netns', 'exec', pair.defender, 'nft', 'delete', 'table', 'inet', table], { stdio: 'ignore' });
  }
}

/**
 * A plain restart (stop, start): the bans stayed in the kernel; the start reconciles them with the
 * database. Measured: spawn to ready, and the reconcile's own time as the daemon logs it.
 */
async function keptRestart(pair: NetnsPair, cfg: E2eConfig, n: number, label: string): Promise<void> {
  const before = readFileSync(cfg.daemonLog, 'utf8').length;
  const s = await startDaemon(pair, cfg);
  const done = await restoreDone(cfg, before);
  row(
    label,
    `restart holding ${n.toLocaleString('en-US')} bans, kept in the kernel across it`,
    done
      ? `ready ${ms(s.ready)}  reconciled ${ms(done.ms)} (${ms(done.at - s.t0)} from spawn)`
      : `ready ${ms(s.ready)}  NOT reconciled within ${ms(TIMEOUT_MS)}`,
  );
  await stopDaemon(s.d);
}

/** The daemon's `restore-done` fact logged after `offset`, and when it was seen. */
async function restoreDone(cfg: E2eConfig, offset: number): Promise<{ ms?: number; at: number } | null> {
  const end = now() + TIMEOUT_MS;
  while (now() < end) {
    const line = readFileSync(cfg.daemonLog, 'utf8')
      .slice(offset)
      .split('\n')
      .find((l) => l.includes('"event":"restore-done"'));
    if (line) return { ...(JSON.parse(line) as { ms?: number }), at: now() };
    await sleep(POLL_MS);
  }
  return null;
}

/**
 * Kernel timers (docs/firewall.md, "Kernel expiry and restart"): the daemon dies by kill -9, the
 * sets keep every ban; the next start reconciles them with the database in one `ipset restore`
 * (unknown entries out, timers refreshed). Measured: from spawn to ready, and the reconcile's own
 * time as the daemon logs it (`restore-done`), while the kernel never stops holding the bans.
 */
async function killedRestart(pair: NetnsPair, cfg: E2eConfig, d: Daemon, n: number, label: string): Promise<void> {
  d.proc.kill('SIGKILL');
  await d.exited;
  const before = readFileSync(cfg.daemonLog, 'utf8').length;
  const s = await startDaemon(pair, cfg);
  const end = now() + TIMEOUT_MS;
  let done: { ms?: number } | null = null;
  while (done === null && now() < end) {
    const line = readFileSync(cfg.daemonLog, 'utf8')
      .slice(before)
      .split('\n')
      .find((l) => l.includes('"event":"restore-done"'));
    if (line) done = JSON.parse(line) as { ms?: number };
    else await sleep(POLL_MS);
  }
  const fromSpawn = now() - s.t0;
  row(
    label,
    `restart after kill -9 holding ${n.toLocaleString('en-US')} bans (sets kept by the kernel)`,
    done
      ? `ready ${ms(s.ready)}  reconciled${label === 'iptables-ipset' ? ' (one ipset restore)' : ''} ${ms(done.ms)}, ${ms(fromSpawn)} from spawn`
      : `ready ${ms(s.ready)}  NOT reconciled within ${ms(TIMEOUT_MS)}`,
  );
  await stopDaemon(s.d);
}

const METRICS_PORT = 9469;

/**
 * GET /metrics every 50 ms from inside the defender's namespace (the daemon listens on its
 * loopback), timed there, by one process started before the burst: no process start per sample.
 * stop() closes its stdin; it prints the times and exits.
 */
function metricsProbe(pair: NetnsPair): { stop(): Promise<number[]> } {
  const script = `
    const http = require('node:http');
    const times = []; let on = true;
    process.stdin.on('end', () => { on = false; }).resume();
    const one = () => new Promise((r) => {
      const t = performance.now();
      const req = http.get({ host: '127.0.0.1', port: ${METRICS_PORT}, path: '/metrics', timeout: 30000 }, (res) => {
        res.resume(); res.on('end', () => { if (res.statusCode === 200) times.push(performance.now() - t); r(); });
      });
      req.on('error', () => r()); req.on('timeout', () => { req.destroy(); r(); });
    });
    (async () => { while (on) { await one(); await new Promise((r) => setTimeout(r, 50)); } process.stdout.write(JSON.stringify(times)); })();
  `;
  const child = spawn('ip', ['netns', 'exec', pair.defender, process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  cleanups.push(() => void child.kill('SIGKILL'));
  return {
    async stop() {
      child.stdin!.end();
      await done;
      try {
        return JSON.parse(out || '[]') as number[];
      } catch {
        return [];
      }
    },
  };
}

/**
 * Every 50 ms a status request on the socket, and every 200 ms `voipguard status` as a whole
 * process, timed by a process of its own: this one starts a listing of the kernel's sets every
 * 20 ms and holds the burst's text, and each process start holds its event loop: its timings
 * included that (the ninth session's build, one run each way: max 719 ms timed from here, 81 ms
 * from a process of its own).
 */
async function statusProbes(cfg: E2eConfig, socketTimes: number[], cliTimes: number[], go: () => boolean): Promise<void> {
  const script = `
    const net = require('node:net');
    const times = []; let on = true; let id = 0;
    process.stdin.on('end', () => { on = false; }).resume();
    const one = () => new Promise((r) => {
      const t = performance.now();
      const s = net.connect(${JSON.stringify(cfg.socket)});
      let buf = '';
      const done = (ok) => { s.destroy(); if (ok) times.push(performance.now() - t); r(); };
      s.setEncoding('utf8');
      s.once('connect', () => s.write(JSON.stringify({ id: ++id, req: { cmd: 'status' } }) + '\\n'));
      s.on('data', (c) => { buf += c; if (buf.includes('\\n')) done(true); });
      s.on('error', () => done(false));
      s.setTimeout(30000, () => done(false));
    });
    const cli = [];
    const oneCli = () => new Promise((r) => {
      const t = performance.now();
      require('node:child_process').spawn(process.execPath, ${JSON.stringify([CLI, '-c', cfg.dir, 'status'])}, { stdio: 'ignore' }).once('exit', () => { cli.push(performance.now() - t); r(); });
    });
    const pause = (ms) => new Promise((r) => setTimeout(r, ms));
    Promise.all([
      (async () => { while (on) { await one(); await pause(50); } })(),
      (async () => { while (on) { await oneCli(); await pause(200); } })(),
    ]).then(() => process.stdout.write(JSON.stringify({ socket: times, cli })));
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'ignore'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  cleanups.push(() => void child.kill('SIGKILL'));
  while (go()) await sleep(50);
  child.stdin!.end();
  await exited;
  try {
    const r = JSON.parse(out) as { socket: number[]; cli: number[] };
    socketTimes.push(...r.socket);
    cliTimes.push(...r.cli);
  } catch {
    /* no samples */
  }
}

function runRegex(): void {
  console.log(`\n== voipguard regex, whole process, ${REGEX_LINES.toLocaleString('en-US')}-line generated Asterisk log ==`);
  const dir = mkdtempSync(join(tmpdir(), 'vg-bench-regex-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'messages');
  const gen = writeAsteriskLog(path, REGEX_LINES);
  const rates: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < 3; i++) {
    const c0 = childCpuSeconds();
    const t0 = now();
    const r = spawnSync(process.execPath, [CLI, 'regex', path, 'asterisk', '-c', ROOT, '--timezone', 'UTC', '--json'], {
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const dt = now() - t0;
    if (r.status !== 0) throw new Error(`voipguard regex failed: ${r.stderr}`);
    const res = JSON.parse(r.stdout) as { lines: { total: number; matched: number } };
    if (res.lines.total !== REGEX_LINES || res.lines.matched !== gen.failures)
      throw new Error(`wrong result ${JSON.stringify(res.lines)}, expected ${gen.failures}`);
    rates.push(REGEX_LINES / (dt / 1000));
    const c1 = childCpuSeconds();
    if (c0 !== null && c1 !== null) cpu.push(c1 - c0);
  }
  const fmt = (v: number) => Math.round(v).toLocaleString('en-US');
  row('regex', `voipguard regex lines/s, whole process (median of 3)`, `${fmt(pct(rates, 50))} (${rates.map(fmt).join(', ')})`);
  // CPU, user + system: what the run costs whatever else the machine is doing
  if (cpu.length === 3)
    row('regex', 'voipguard regex CPU s, whole process (median of 3)', `${pct(cpu, 50).toFixed(2)} (${cpu.map((c) => c.toFixed(2)).join(', ')})`);
  const f2b = spawnSync('fail2ban-regex', ['--version'], { encoding: 'utf8' });
  if (f2b.error) row('regex', 'fail2ban-regex', 'not installed here: not compared');
  else {
    const t0 = now();
    spawnSync('fail2ban-regex', [path, '/etc/fail2ban/filter.d/asterisk.conf'], { stdio: 'ignore' });
    row('regex', 'fail2ban-regex lines/s, same file', fmt(REGEX_LINES / ((now() - t0) / 1000)));
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:e2e needs root (network namespaces, iptables, ipset, nft)');
  if (!opt['no-build']) build();
  ClientClass = ((await import(join(ROOT, 'dist', 'src', 'control', 'control-client.js'))) as { ControlClient: typeof ClientClass }).ControlClient;
  const ipt = spawnSync('iptables', ['-V'], { encoding: 'utf8' }).stdout.trim();
  console.log(
    `voipguard bench:e2e — ${ipt}, node ${process.version}, load average at start ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  console.log(`shipped jail.conf: maxretry ${maxretry}; sizes ${SIZES.join(', ')}; timeout ${ms(TIMEOUT_MS)} per wait`);
  console.log(
    `environment: ${opt.env === 'systemd' ? `as the systemd unit's${EXTRA_CA !== undefined ? ' (NODE_EXTRA_CA_CERTS unset for the daemon and the CLI)' : ''}` : `the shell's${EXTRA_CA !== undefined ? ' (NODE_EXTRA_CA_CERTS set)' : ''}`}`,
  );
  const needNs = ['start', 'single', 'burst', 'restart', 'status'].some((s) => SECTIONS.has(s));
  if (needNs) {
    const pair = await createNetnsPair();
    cleanups.push(() => pair.destroy());
    for (const a of ACTIONS) {
      try {
        await runAction(pair, a);
      } catch (e) {
        // one run failing (a daemon that died, a chain never made) still leaves the others' figures
        row(a, 'run aborted', (e as Error).message.split('\n')[0]!.slice(0, 200));
      }
    }
  }
  if (SECTIONS.has('feed')) {
    // a blocklist feed of 100,000 entries, both families (bench/feed-section.ts)
    console.log('\n== blocklist feed (in-process feed runner, kernel of a namespace) ==');
    const pair = await createNetnsPair();
    cleanups.push(() => pair.destroy());
    await pair.serve([5060]);
    await runFeedBench(pair, row);
  }
  if (SECTIONS.has('regex')) runRegex();
  console.log(
    `\nload average at end ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}\n`,
  );
  console.log('| action | measure | figure |\n|---|---|---|');
  for (const [a, m, v] of rows) console.log(`| ${a} | ${m.trim()} | ${v} |`);
  if (!existsSync(CLI)) throw new Error('no built CLI');
}

main()
  .catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => cleanup());
