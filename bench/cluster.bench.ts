// bench:cluster — the fleet on real parts (docs/cluster.md, "Benchmark"): built daemons in their own
// network namespaces, nftables sets, one redis-server with a password on a unix socket. Measures:
//   1. a ban on node A in B's and C's kernels (nft monitor in each namespace), p50/p99;
//   2. a new node D receiving 100,000 active shared bans (seeded into Redis): time from its spawn to
//      its log's `ready` (said once every kernel command of the catch-up has ended), then a listing
//      of its kernel checks that it holds them all;
//   3. Redis down during a 10,000-address burst on A (60 s; 5 s with --quick): A's kernel has every
//      ban while Redis is away, and B and C converge after Redis returns (nft monitor's times, then
//      a listing of each set confirms it holds them all). Before it, the same burst on a node E
//      without [cluster] gives the daemon's own time for it, to set A's beside.
// Run once, as root; report the figures with the load average it prints.
// Options: --quick (smaller sizes), --only=1,2,3 (the sections to run), --seed=N (section 2's size),
// --alone (section 2 only, D started with no other node running: its own start, apart from the
// machine's other daemons taking the same bans in),
// --prof=DIR (the daemons write V8 CPU profiles there when they stop: `node --cpu-prof`), --logs=DIR
// (the daemons log at DEBUG, and each node's log is kept there as <node>.log, with <node>.seen.json:
// when each address appeared in its set; INFO otherwise), --level=info|debug (the daemons' log level),
// --idle=S (section 2: D's CPU over S seconds once ready, holding the bans: its periodic checks),
// --node-flags='…' (flags for every daemon's node, space-separated, such as V8's heap flags).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createNetnsPair, type NetnsPair } from '../test/helpers/netns.js';
import { TestRedis } from '../test/helpers/redis-server.js';
import { attackLine, build, cli, CLI, Daemon, makeConfig, removeConfig, waitFor, type E2eConfig } from '../test/e2e/daemon-harness.js';
import { RedisBus } from '../src/cluster/redis-bus.js';
import { encodeEntry } from '../src/cluster/wire.js';
import { load } from './daemon-proc.js';

const quick = process.argv.includes('--quick');
const arg = (name: string): string | undefined => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const alone = process.argv.includes('--alone');
const only = new Set(alone ? ['2'] : (arg('only') ?? '1,2,3').split(','));
const profDir = arg('prof');
const logsDir = arg('logs');
// made when missing: the logs are copied there at the end, after minutes of running
if (logsDir) mkdirSync(logsDir, { recursive: true });
const logLevel = arg('level')?.toUpperCase() ?? (logsDir ? 'DEBUG' : 'INFO');
const idleS = Number(arg('idle') ?? 0);
const nodeFlags = (arg('node-flags') ?? '').split(' ').filter(Boolean);
const P99_N = quick ? 30 : 100;
const SEED = Number(arg('seed') ?? (quick ? 20_000 : 100_000));
const BURST = quick ? 2_000 : 10_000;
const OUTAGE_MS = quick ? 5_000 : 60_000;
const PREFIX = `vgb${process.pid}`;

const JAIL = `
[asterisk]
enabled = true
logpath = $LOG
maxretry = 1
findtime = 10m
bantime = 1h
banaction = nftables
`;

interface Node {
  readonly name: string;
  readonly pair: NetnsPair;
  readonly cfg: E2eConfig;
  daemon: Daemon | null;
  monitor: ChildProcess | null;
  /** ip → when it first appeared in the node's nft set. */
  readonly seen: Map<string, number>;
  /** When the monitor last printed a line (performance.now()). */
  lastEvent: number;
}

const nodes: Node[] = [];
let redis: TestRedis | undefined;

/** A node in its own namespace; `fleet` false: without [cluster] (the section 3 control). */
async function makeNode(name: string, watch = true, fleet = true): Promise<Node> {
  const pair = await createNetnsPair();
  const cfg = makeConfig(JAIL);
  writeFileSync(cfg.log, '');
  const pw = join(cfg.dir, 'redis.password');
  writeFileSync(pw, redis!.password, { mode: 0o600 });
  if (fleet)
    appendFileSync(
      join(cfg.dir, 'voipguard.local'),
      `\n[cluster]\nenabled = yes\nredis = unix:${redis!.socket}\nredis.passwordfile = ${pw}\nnode = ${name}\nprefix = ${PREFIX}\nmaxbantime = 1d\n`,
    );
  // the bench reads the kernel, not the daemon's log: a node logs at its default level (INFO), as in production
  const local = join(cfg.dir, 'voipguard.local');
  writeFileSync(local, readFileSync(local, 'utf8').replace('loglevel = DEBUG', `loglevel = ${logLevel}`));
  const n: Node = { name, pair, cfg, daemon: null, monitor: null, seen: new Map(), lastEvent: 0 };
  nodes.push(n);
  if (!watch) return n;
  const mon = spawn('ip', ['netns', 'exec', pair.defender, 'nft', 'monitor', 'elements'], { stdio: ['ignore', 'pipe', 'ignore'] });
  n.monitor = mon;
  createInterface({ input: mon.stdout! }).on('line', (line) => {
    const t = performance.now();
    n.lastEvent = t;
    if (!line.startsWith('add element')) return;
    for (const m of line.matchAll(/(\d+\.\d+\.\d+\.\d+)/g)) if (!n.seen.has(m[1]!)) n.seen.set(m[1]!, t);
  });
  return n;
}

async function start(n: Node): Promise<number> {
  const t0 = performance.now();
  // only the daemon is profiled, not the CLI calls that follow (--cpu-prof is refused in NODE_OPTIONS)
  const prof = [...nodeFlags, ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])];
  n.daemon = new Daemon(n.pair.defender, n.cfg, [...prof, CLI]);
  // ping answers before the start; `status` waits for it (the fleet's catch-up included)
  await waitFor(`${n.name} ready`, () => cli(n.cfg, ['status']).code === 0 || n.daemon!.proc.exitCode !== null, 600_000);
  if (n.daemon.proc.exitCode !== null) throw new Error(`${n.name} died: ${n.daemon.stderr}`);
  return performance.now() - t0;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/**
 * CPU seconds of a process (utime + stime, and the system part apart) and of its reaped children
 * (cutime + cstime), and its minor page faults, from /proc.
 */
function cpuOf(pid: number | undefined): { own: number; system: number; faults: number; children: number } | null {
  if (pid === undefined) return null;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const tick = 100; // USER_HZ on Linux
    return {
      own: (Number(f[11]) + Number(f[12])) / tick,
      system: Number(f[12]) / tick,
      faults: Number(f[7]),
      children: (Number(f[13]) + Number(f[14])) / tick,
    };
  } catch {
    return null;
  }
}

/** Busy and total CPU seconds of the whole machine so far, from /proc/stat (every process, every core). */
function machineCpu(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const idle = f[3]! + f[4]!; // idle and iowait
  return { busy: (total - idle) / 100, total: total / 100 };
}

/** A process's resident set now and at its peak (VmRSS, VmHWM), in MB, from /proc. */
function rssOf(pid: number | undefined): { now: number; peak: number } | null {
  if (pid === undefined) return null;
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { now: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
  } catch {
    return null;
  }
}

/** The time (epoch ms) of the node's `ready` line in its log, or null before it. */
function readyLine(n: Node): number | null {
  if (!existsSync(n.cfg.daemonLog)) return null;
  const m = /"time":"([^"]+)"[^\n]*"event":"ready"/.exec(readFileSync(n.cfg.daemonLog, 'utf8'));
  return m ? Date.parse(m[1]!) : null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The IPv4 addresses in a node's nft set (both actions hold the same bans: the tcp one is listed). */
function listSet(n: Node): Promise<Set<string>> {
  return new Promise((resolve) => {
    const p = spawn('ip', ['netns', 'exec', n.pair.defender, 'nft', 'list', 'set', 'inet', 'f2b-asterisk-tcp', 'addr4'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const chunks: Buffer[] = [];
    p.stdout!.on('data', (c: Buffer) => chunks.push(c));
    p.on('close', () =>
      resolve(
        new Set(
          Buffer.concat(chunks)
            .toString('utf8')
            .match(/\d+\.\d+\.\d+\.\d+/g) ?? [],
        ),
      ),
    );
  });
}

/**
 * Checks, by a listing of each node's set, that its kernel holds every address (after `nft monitor`
 * has shown them: the monitor's time is the figure, an upper bound, since the kernel holds an
 * element before the monitor prints it). Listings are not polled for the figure: a listing of
 * 10,000 elements costs 0.25 to 0.45 s of CPU, and polling B and C every 0.5 s slowed the very
 * convergence it measured on this two-core machine (6.7 to 7.5 s, against 5.0 to 6.9 s without).
 */
async function confirmListed(ns: readonly Node[], ips: readonly string[]): Promise<void> {
  for (const n of ns) {
    const set = await listSet(n);
    const missing = ips.filter((ip) => !set.has(ip)).length;
    if (missing > 0) throw new Error(`${n.name}: nft monitor showed every address, but a listing lacks ${missing}`);
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:cluster needs root (network namespaces, nftables)');
  build();
  redis = new TestRedis();
  await redis.start();
  console.log(`bench:cluster${quick ? ' --quick' : ''}, ${load()}`);
  try {
    const [a, b, c] = alone ? [] : [await makeNode('a'), await makeNode('b'), await makeNode('c')];
    for (const n of alone ? [] : [a!, b!, c!]) await start(n);

    // 1. one ban on A, in B's and C's kernels
    if (only.has('1')) {
      const lat: number[] = [];
      for (let i = 0; i < P99_N; i++) {
        const ip = `198.18.${i >> 8}.${(i & 255) + 1}`;
        appendFileSync(a!.cfg.log, attackLine(ip));
        await waitFor(`${ip} everywhere`, () => a!.seen.has(ip) && b!.seen.has(ip) && c!.seen.has(ip), 20_000);
        for (const n of [b!, c!]) lat.push(n.seen.get(ip)! - a!.seen.get(ip)!);
        await sleep(20);
      }
      console.log(
        `1. A's kernel → B's and C's kernels, ${P99_N} bans one at a time: p50 ${pct(lat, 50).toFixed(0)} ms, p99 ${pct(lat, 99).toFixed(0)} ms, max ${Math.max(...lat).toFixed(0)} ms (target p99 ≤ 300 ms)`,
      );
    }

    // 2. a new node and SEED active shared bans
    if (only.has('2')) {
      const seed = new RedisBus({
        target: { kind: 'unix', path: redis.socket, username: null, password: null, db: 0 },
        password: redis.password,
        ca: null,
        prefix: PREFIX,
        maxLen: 200_000,
        commandTimeoutMs: 30_000,
      });
      seed.start(() => undefined);
      await waitFor('the seeding connection', () => seed.state() === 'connected');
      const now = Date.now();
      const ips: string[] = [];
      for (let i = 0; i < SEED; i++) ips.push(`100.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
      for (let i = 0; i < ips.length; i += 5_000) {
        await seed.publish(
          ips.slice(i, i + 5_000).map((ip) => {
            const e = { op: 'ban' as const, node: 'seed', jail: 'asterisk', ip, reason: 'detected', banCount: 1, start: now, until: now + 3_600_000 };
            return { fields: encodeEntry(e), key: `asterisk ${ip}`, until: e.until, op: 'ban' as const };
          }),
        );
      }
      // the stream's last entry: a node has stored every seeded ban once its cursor is there
      const seededTo = alone ? null : (await seed.snapshot(Date.now())).lastId;
      await seed.stop();
      // the fleet already holds them (the running nodes read the stream) before the new node comes:
      // D's start is measured alone, not beside three daemons taking the same bans in
      // (bounded: at 100,000 the running nodes took over 10 minutes, see docs/cluster.md; D then starts beside them)
      if (!alone) {
        const t1 = performance.now();
        const since = () => ((performance.now() - t1) / 1000).toFixed(0);
        // in their stores, and so in their kernels: a read's cursor moves only after its kernel
        // commands and its store write (a bulk read's store write follows its kernel commands,
        // about 1.2 s per 100,000 bans)
        const stored = () =>
          [a!, b!, c!].every((n) => (JSON.parse(cli(n.cfg, ['status', 'cluster', '--json']).out || '{}') as { cursor?: string }).cursor === seededTo);
        await waitFor('the seeded bans in the stores of A, B and C', stored, 300_000).catch(() => undefined);
        console.log(`   A, B and C have the seeded bans in their stores (their cursors at the stream's last entry) ${since()} s after the seeding`);
        // and in their kernels, by a listing: `nft monitor` can lose events when a node adds
        // 10,000 elements at a time faster than it prints them, so its view is not the check here
        const inKernel: number[] = [];
        for (const n of [a!, b!, c!]) {
          const set = await listSet(n);
          inKernel.push(ips.filter((ip) => set.has(ip)).length);
        }
        const shown = [a!, b!, c!].map((n) => ips.filter((ip) => n.seen.has(ip)).length);
        console.log(
          `   ... their kernels hold ${inKernel.join(', ')} of the ${SEED} (listed; their monitors showed ${shown.join(', ')}) ${since()} s after the seeding`,
        );
        if (inKernel.some((x) => x < SEED)) throw new Error('a running node lacks seeded bans in its kernel');
        // and the bench's own monitors done: each node's monitor prints an event per element and
        // action (200,000), parsed here, and those events can come long after the kernel has the
        // elements, on the cores D's start needs
        await waitFor('the monitors of A, B and C quiet for 1 s', () => [a!, b!, c!].every((n) => performance.now() - n.lastEvent > 1_000), 180_000).catch(
          () => undefined,
        );
        console.log(`   ... and their monitors quiet ${since()} s after the seeding`);
      }
      // D is not watched by `nft monitor`: 100,000 elements make 200,000 events (one per element
      // and action), and the monitor's CPU on this two-core machine slowed the very start it timed
      // (its figure came 30 s late anyway); nor is D polled with `status` while it starts (a CLI
      // process every 50 ms, the same): its kernel is listed once it has said ready
      const d = await makeNode('d', false);
      const spawnedAt = Date.now();
      const t0 = performance.now();
      const prof = [...nodeFlags, ...(profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])];
      d.daemon = new Daemon(d.pair.defender, d.cfg, [...prof, CLI]);
      const others = alone ? [] : [a!, b!, c!];
      const othersBefore = others.map((n) => cpuOf(n.daemon!.proc.pid));
      const readyAt = (await waitFor('D ready (its log)', () => readyLine(d), 600_000))!;
      const cpu = cpuOf(d.daemon.proc.pid);
      const rss = rssOf(d.daemon.proc.pid);
      // what the running nodes spent meanwhile (their periodic checks and audits share the cores)
      const othersSpent = others.map((n, i) => {
        const x = othersBefore[i];
        const y = cpuOf(n.daemon!.proc.pid);
        return x && y ? `${n.name} ${(y.own - x.own).toFixed(2)} s + ${(y.children - x.children).toFixed(2)} s` : `${n.name} ?`;
      });
      const listed = spawnSync('ip', ['netns', 'exec', d.pair.defender, 'nft', 'list', 'set', 'inet', 'f2b-asterisk-tcp', 'addr4'], {
        encoding: 'utf8',
        maxBuffer: 1 << 28,
      });
      const tl = performance.now() - t0;
      const inSet = new Set(listed.stdout.match(/\d+\.\d+\.\d+\.\d+/g) ?? []);
      const inKernel = ips.filter((ip) => inSet.has(ip)).length;
      const status = cli(d.cfg, ['status']);
      if (status.code !== 0) throw new Error(`D said ready, but \`status\` failed: ${status.err}`);
      console.log(
        `2. new node D, ${SEED} active shared bans: ready ${((readyAt - spawnedAt) / 1000).toFixed(1)} s after spawn (its log's \`ready\`: the catch-up has waited for every kernel command); a listing of its kernel, ${(tl / 1000).toFixed(1)} s after spawn, holds ${inKernel} of them (target: all ≤ 5 s)`,
      );
      if (inKernel < SEED) throw new Error(`D said ready with ${SEED - inKernel} of the seeded bans missing from its kernel`);
      // the work, apart from the machine's load: CPU seconds of D's daemon and of the commands it ran and reaped (nft)
      // (the system part and the page faults apart: a fault costs about 14 µs on the development machine, docs/benchmarks.md)
      if (cpu)
        console.log(
          `   D's CPU until it was ready: ${cpu.own.toFixed(2)} s in the daemon (${cpu.system.toFixed(2)} s of it in the kernel; ${cpu.faults.toLocaleString('en')} minor page faults${rss ? `, against a peak resident set of ${rss.peak.toFixed(0)} MB (${Math.round((rss.peak * 256) / 1000)}k pages)` : ''}), ${cpu.children.toFixed(2)} s in its commands (nft)`,
        );
      if (othersSpent.length) console.log(`   the other nodes' CPU meanwhile (daemon + its commands): ${othersSpent.join('; ')}`);
      // --idle=S: D left alone S seconds once ready, holding the bans: what its periodic checks
      // (every 5 s) and audits cost (its store write after ready falls in the window too)
      if (idleS > 0) {
        const a = cpuOf(d.daemon.proc.pid);
        await sleep(idleS * 1000);
        const b = cpuOf(d.daemon.proc.pid);
        if (a && b)
          console.log(
            `   D idle ${idleS} s holding them: ${(b.own - a.own).toFixed(2)} s of CPU in the daemon, ${(b.children - a.children).toFixed(2)} s in its commands (${(((b.own - a.own + b.children - a.children) / idleS) * 100).toFixed(1)} % of a core)`,
          );
      }
    }

    // 3. Redis down during a burst on A
    if (only.has('3')) {
      const burst = Array.from({ length: BURST }, (_, i) => `198.19.${i >> 8}.${i & 255}`);
      // the control: the same burst on a node E without [cluster], started now, on the same machine
      // with the fleet idle (Redis up), so A's time can be set beside the daemon's own burst time
      // (E's set starts empty; in a full run A's holds the 100,000 seeded bans)
      const e = await makeNode('e', true, false);
      await start(e);
      const te = performance.now();
      appendFileSync(e.cfg.log, burst.map((ip) => attackLine(ip)).join(''));
      await waitFor("the burst in E's kernel", () => burst.every((ip) => e.seen.has(ip)), 120_000);
      const controlMs = Math.max(...burst.map((ip) => e.seen.get(ip)!)) - te;
      await confirmListed([e], burst);
      e.daemon!.proc.kill('SIGTERM');
      await e.daemon!.exited;
      e.monitor?.kill('SIGKILL');
      await redis.stop('SIGKILL');
      const tb = performance.now();
      appendFileSync(a!.cfg.log, burst.map((ip) => attackLine(ip)).join(''));
      await waitFor("the burst in A's kernel", () => burst.every((ip) => a!.seen.has(ip)), 120_000);
      const localMs = Math.max(...burst.map((ip) => a!.seen.get(ip)!)) - tb;
      await confirmListed([a!], burst);
      const rest = OUTAGE_MS - (performance.now() - tb);
      if (rest > 0) await sleep(rest);
      const running = nodes.filter((n) => n.daemon !== null && n.daemon.proc.exitCode === null);
      const cpu0 = running.map((n) => cpuOf(n.daemon!.proc.pid));
      const mon0 = running.map((n) => cpuOf(n.monitor?.pid));
      const m0 = machineCpu();
      const tr = performance.now();
      await redis.start();
      // Redis itself: its AOF (every bench entry so far) loaded, it says it accepts connections
      const redisUp = performance.now() - tr;
      await waitFor('B and C converge', () => burst.every((ip) => b!.seen.has(ip) && c!.seen.has(ip)), 300_000);
      const conv = Math.max(...burst.flatMap((ip) => [b!.seen.get(ip)!, c!.seen.get(ip)!])) - tr;
      // who had the two cores until then: each daemon (and its nft), the bench's own monitors, Redis
      const m1 = machineCpu();
      const redisCpu = cpuOf(redis.pid);
      const spent = running.map((n, i) => {
        const x = cpu0[i];
        const y = cpuOf(n.daemon!.proc.pid);
        const mx = mon0[i];
        const my = cpuOf(n.monitor?.pid);
        const mon = mx && my ? ` (its monitor ${(my.own - mx.own).toFixed(2)} s)` : '';
        const kernel = x && y ? `, ${(y.system - x.system).toFixed(2)} s of it in the kernel, ${(y.faults - x.faults).toLocaleString('en')} faults` : '';
        return x && y ? `${n.name} ${(y.own - x.own).toFixed(2)}${kernel} + ${(y.children - x.children).toFixed(2)} s${mon}` : `${n.name} ?`;
      });
      await confirmListed([b!, c!], burst);
      console.log(
        `3. Redis down ${OUTAGE_MS / 1000} s, burst of ${BURST} addresses on A: all in A's kernel ${(localMs / 1000).toFixed(1)} s after the burst (Redis down the whole time; the same burst on a node without [cluster]: ${(controlMs / 1000).toFixed(1)} s); B and C converged ${(conv / 1000).toFixed(1)} s after Redis returned (target ≤ 5 s; Redis itself ready ${(redisUp / 1000).toFixed(1)} s after its spawn)`,
      );
      // (the machine's figure runs to this line, a little past the convergence)
      console.log(
        `   CPU from Redis's spawn to the convergence (daemon + its commands): ${spent.join('; ')}; Redis ${redisCpu ? redisCpu.own.toFixed(2) : '?'} s; ` +
          `the whole machine busy ${(m1.busy - m0.busy).toFixed(1)} of ${(m1.total - m0.total).toFixed(1)} CPU seconds`,
      );
    }
    console.log(`end, ${load()}`);
  } finally {
    await cleanup();
  }
}

let cleaning: Promise<void> | null = null;
/** Stops the daemons and Redis and removes the namespaces: once, from the end of main or from a signal. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const n of nodes) {
      try {
        if (n.daemon && n.daemon.proc.exitCode === null) {
          n.daemon.proc.kill('SIGTERM');
          await n.daemon.exited;
        }
        n.monitor?.kill('SIGKILL');
        if (logsDir && existsSync(n.cfg.daemonLog)) copyFileSync(n.cfg.daemonLog, join(logsDir, `${n.name}.log`));
        // when each address appeared in the node's set, in epoch ms (to set beside the daemon's log)
        if (logsDir)
          writeFileSync(
            join(logsDir, `${n.name}.seen.json`),
            JSON.stringify(Object.fromEntries([...n.seen].map(([ip, t]) => [ip, Math.round(performance.timeOrigin + t)]))),
          );
        await n.pair.destroy();
        removeConfig(n.cfg);
      } catch (e) {
        console.error(`cleaning up ${n.name}:`, e);
      }
    }
    await redis?.destroy().catch((e: unknown) => console.error('cleaning up redis:', e));
  })();
  return cleaning;
}
// a signal (Ctrl-C, a timeout's SIGTERM) cleans up too: the finally above never runs then
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\n${sig}: cleaning up`);
    void cleanup().then(() => process.exit(130));
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
