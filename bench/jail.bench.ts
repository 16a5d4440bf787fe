// npm run bench:jail — 1,000,000 failures from 1,000,000 distinct addresses through one jail with
// the tracked-address cap at its default (a botnet spray: every address new, none reaches maxretry,
// so the cap evicts all the time). Then 1,000,000 failures from 20,000 addresses (bans happen).
// Reports failures/s, peak RSS and bytes per tracked address. Targets: ≥ 1,000,000 failures/s,
// ≤ 300 MB RSS. Run with --expose-gc (the npm script does) for the bytes-per-address figure. The
// process runs with the daemon's heap policy (V8's memory-saving one); `-- --default-heap` without it.
// Each row is timed warm: 100,000 failures of its kind go through a jail of their own first, and
// the row prints what they took (for the first row, the process compiling the jail's code). Then
// three runs, each on a fresh jail: the row gives their median and prints all three, with what the
// median run spent in page faults, in the kernel and in the collector's pauses.
//
// `npm run bench:jail -- accounts`: the same with per-account counting on (accountretry 20,
// accountminfailures 2): 1,000,000 failures naming 1,000,000 distinct accounts of 128 characters
// (the length cap) from 1,000,000 addresses, then 1,000,000 failures from 20,000 addresses against
// 50 accounts (attacks start, bans happen); then 1,000,000 addresses against 9,000 extension
// numbers (the shape of a real scan: the names repeat); then the heap of a jail fed 1,000,000 distinct accounts,
// which the account cap bounds.

import { loadavg } from 'node:os';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { resourceUsage } from 'node:process';
import type { Failure } from '../src/core/types.js';
import { NO_INCREMENT } from '../src/jails/ban-policy.js';
import { DEFAULT_MAX_TRACKED, Jail, type JailSettings } from '../src/jails/jail.js';
import { ACCOUNT_NAME_MAX, DEFAULT_MAX_ACCOUNTS } from '../src/jails/account-windows.js';
import { V8HeapPolicy } from '../src/cli/v8-heap-policy.js';

const ACCOUNTS = process.argv.includes('accounts');
// the heap policy the daemon runs with once ready (core/heap-policy.ts): V8's memory-saving one;
// `--default-heap` leaves V8's default (the figures before the sixteenth session were taken so)
const DEFAULT_HEAP = process.argv.includes('--default-heap');
if (!DEFAULT_HEAP) new V8HeapPolicy().saveMemory();

// `-- --caps ADDRESSES,ACCOUNTS`: the timed rows with other caps (tracked addresses; tracked
// accounts, and as many names seen once) than the defaults: what the default caps' memory costs
// (docs/benchmarks.md, twenty-third session). The memory rows keep the defaults.
const CAPS = capsOf(process.argv);
const ROW_DEPS = { selfAddresses: ['192.0.2.1'], ...(CAPS === null ? {} : { maxTracked: CAPS.addresses, guardCaps: { accounts: CAPS.accounts } }) };

function capsOf(argv: readonly string[]): { addresses: number; accounts: number } | null {
  const i = argv.indexOf('--caps');
  if (i < 0) return null;
  const m = /^(\d+),(\d+)$/.exec(argv[i + 1] ?? '');
  const addresses = Number(m?.[1]);
  const accounts = Number(m?.[2]);
  if (m === null || !(addresses >= 1 && accounts >= 1)) {
    console.error(`--caps wants ADDRESSES,ACCOUNTS (two whole numbers, at least 1), not ${JSON.stringify(argv[i + 1] ?? '')}`);
    process.exit(2);
  }
  return { addresses, accounts };
}

const N = 1_000_000;
const T0 = Date.UTC(2026, 10, 21, 9, 0, 0);
const settings: JailSettings = {
  name: 'asterisk',
  maxretry: 5,
  findtime: 600_000,
  bantime: 600_000,
  increment: { ...NO_INCREMENT, overalljails: false },
  ignoreip: ['127.0.0.1/8', '::1'],
  ignoreself: true,
  ...(ACCOUNTS ? { accountretry: 20, accountminfailures: 2 } : {}),
};

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (b: number) => (b / 1048576).toFixed(1);

/** Distinct public-looking IPv4 addresses: 11.0.0.0 upwards. */
function ipOf(i: number): string {
  const n = 0x0b000000 + i;
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function failureOf(ip: string, time: number, account?: string): Failure {
  // two literals, not a spread: one object shape per mode, as a filter's rule gives
  if (account === undefined) return { ip, time, kind: 'InvalidPassword', origin: 'log', source: '/var/log/asterisk/security' };
  return { ip, time, kind: 'InvalidPassword', origin: 'log', source: '/var/log/asterisk/security', account };
}

/**
 * A distinct account name of the length cap (the attacker's longest that counts apart), cut out of
 * a line as the filter does (a concatenation would be a rope V8 flattens at its first hash: a cost
 * the daemon never pays).
 */
function accountOf(i: number): string {
  const id = String(i);
  const field = `AccountID="${'x'.repeat(ACCOUNT_NAME_MAX - id.length)}${id}",SessionID="s"`;
  return field.slice(11, 11 + ACCOUNT_NAME_MAX);
}

/** An extension number cut out of a line as the filter does: a fresh string, its hash not yet computed. */
function extensionOf(n: number): string {
  const id = String(n);
  return `AccountID="${id}",SessionID="s"`.slice(11, 11 + id.length);
}

/**
 * Feeds `count` failures; addresses come from `ipsFor(block)` in blocks of BLOCK, made outside the
 * timed part (a filter hands the jail fresh strings; holding a million of them would only measure
 * the bench).
 */
const BLOCK = 100_000;
/** Failures of a row's kind fed to a jail of their own before the row is timed (one block). */
const WARM = BLOCK;
/** Timed runs per row, each on a fresh jail; the row gives their median. */
const REPEAT = 3;
async function run(
  label: string,
  ipsFor: (block: number) => readonly string[],
  count: number,
  accountsFor?: (block: number) => readonly string[],
): Promise<void> {
  // first the same kind of failures through a jail of their own, untimed in the row: the row
  // measures the rate a flood meets once the process has compiled this path (the first row would
  // otherwise pay the compiling for all of them); what those first ones took is printed with it
  const warm = new Jail(settings, ROW_DEPS);
  const warmSecs = timed(
    ipsFor,
    WARM,
    accountsFor,
    (f, t) => void warm.failure(f, t),
    () => warm.takeWindowChanges(),
  );
  if (gc !== undefined) settle(); // that jail gone before the row starts
  // REPEAT runs, each on a jail of its own: the machine's speed drifts by 10 to 25 % within
  // minutes (docs/benchmarks.md), so the row gives their median and prints every one
  const runs: { secs: number; bans: number; kernel: typeof spent; tracked: number; evicted: number; timedParts: (readonly [number, number])[] }[] = [];
  for (let r = 0; r < REPEAT; r++) {
    const jail = new Jail(settings, ROW_DEPS);
    const take = () => jail.takeWindowChanges();
    let bans = 0;
    const secs = timed(
      ipsFor,
      count,
      accountsFor,
      (f, t) => {
        if (jail.failure(f, t).length > 0) bans++;
      },
      take,
    );
    const c = jail.status(T0 + count).counters;
    runs.push({ secs, bans, kernel: { ...spent }, tracked: c.tracked, evicted: c.evicted, timedParts: [...timedParts] });
    if (gc !== undefined) settle();
  }
  const rate = (x: { secs: number }) => Math.round(count / x.secs);
  const median = [...runs].sort((a, b) => a.secs - b.secs)[Math.floor(REPEAT / 2)]!;
  // the same loop over the same inputs with the jail left out: what the bench itself costs (its
  // Failure records, and the collector copying its blocks of young input strings inside the timed part)
  const own = timed(ipsFor, count, accountsFor, sink, () => []);
  const collector = await pausesIn(median.timedParts);
  console.log(
    `${label}: ${count.toLocaleString('en')} failures in ${median.secs.toFixed(3)} s = ${rate(median).toLocaleString('en')} failures/s, ` +
      `the median of ${REPEAT} runs (${runs.map((x) => rate(x).toLocaleString('en')).join(', ')} failures/s); ` +
      `tracked ${median.tracked.toLocaleString('en')}, evicted ${median.evicted.toLocaleString('en')}, bans ${median.bans.toLocaleString('en')}; ` +
      `the bench's own loop over the same inputs ${own.toFixed(3)} s (the jail's share: ${Math.round(count / Math.max(median.secs - own, 1e-9)).toLocaleString('en')} failures/s); ` +
      `before them, untimed, ${WARM.toLocaleString('en')} of the same kind through another jail in ${(warmSecs * 1000).toFixed(0)} ms; ` +
      // the process's page faults and its time in the kernel over the median run (GC threads
      // included): a fault cost about 14 µs on the development machine in the fourteenth session
      // and 1.8 to 2.7 µs in the twenty-fourth (docs/benchmarks.md)
      `${median.kernel.faults.toLocaleString('en')} minor page faults and ${median.kernel.system.toFixed(2)} s in the kernel; ` +
      // the collector's pauses inside the timed part of the median run: longer in the machine's
      // slow stretches, as the rest of the row (docs/benchmarks.md, twenty-fourth session)
      `${collector.seconds.toFixed(3)} s of it in the collector's pauses (${collector.scavenges} scavenges, ${collector.full} full collections); ${load()}`,
  );
}

let sunk = 0;
/** Reads what the jail would read, and nothing more. */
function sink(f: Failure, t: number): void {
  sunk += f.ip.length + (f.account === undefined ? 0 : f.account.length) + (t & 1);
}

/** Over the last timed(): the process's minor page faults and its CPU seconds in the kernel, in the timed part. */
const spent = { faults: 0, system: 0 };

/** The last timed()'s timed parts, as [start, end] on performance.now()'s clock. */
const timedParts: (readonly [number, number])[] = [];

/** The collector's pauses as the process saw them ('gc' performance entries: the observer does
 *  nothing per failure, unlike v8.GCProfiler, which reads the heap's statistics at every collection). */
const pauses: { start: number; duration: number; kind: number }[] = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) pauses.push({ start: e.startTime, duration: e.duration, kind: (e as { detail?: { kind?: number } }).detail?.kind ?? 0 });
}).observe({ entryTypes: ['gc'] });

/** The pauses that started inside `parts`, once the observer has been handed them (it is, on a
 *  later turn of the event loop); then forgets every pause seen so far. */
async function pausesIn(parts: readonly (readonly [number, number])[]): Promise<{ seconds: number; scavenges: number; full: number }> {
  // Node makes each entry on a turn of the event loop after its collection and hands them over on
  // another: turns until two in a row bring none
  for (let seen = -1, quiet = 0; quiet < 2;) {
    await new Promise((resolve) => setImmediate(resolve));
    quiet = pauses.length === seen ? quiet + 1 : 0;
    seen = pauses.length;
  }
  let ms = 0;
  let scavenges = 0;
  let full = 0;
  for (const p of pauses) {
    if (!parts.some(([a, b]) => p.start >= a && p.start <= b)) continue;
    ms += p.duration;
    // perf_hooks' kinds: NODE_PERFORMANCE_GC_MINOR 1 (a scavenge), _MAJOR 4 (a full collection)
    if (p.kind === 1) scavenges++;
    else if (p.kind === 4) full++;
  }
  pauses.length = 0;
  return { seconds: ms / 1000, scavenges, full };
}

/** Seconds spent feeding `count` failures to `feed`, the inputs made outside the timed part. */
function timed(
  ipsFor: (block: number) => readonly string[],
  count: number,
  accountsFor: ((block: number) => readonly string[]) | undefined,
  feed: (f: Failure, t: number) => void,
  take: () => unknown,
): number {
  let ns = 0n;
  spent.faults = 0;
  spent.system = 0;
  timedParts.length = 0;
  for (let b = 0; b * BLOCK < count; b++) {
    const ips = ipsFor(b);
    const names = accountsFor?.(b);
    const r0 = resourceUsage();
    const from = performance.now();
    const start = process.hrtime.bigint();
    for (let k = 0; k < BLOCK; k++) {
      const i = b * BLOCK + k;
      // ~1000 failures per second of event time; `now` moves with it
      const t = T0 + i;
      feed(failureOf(ips[k % ips.length]!, t, names?.[k % names.length]), t);
      // the runtime takes the changed windows after each read (one store transaction per burst): so here
      if ((k & 1023) === 1023) take();
    }
    take();
    ns += process.hrtime.bigint() - start;
    timedParts.push([from, performance.now()]);
    const r1 = resourceUsage();
    spent.faults += r1.minorPageFault - r0.minorPageFault;
    spent.system += (r1.systemCPUTime - r0.systemCPUTime) / 1e6;
  }
  return Number(ns) / 1e9;
}

/** The load average with every figure: the machine is shared (docs/benchmarks.md). */
function load(): string {
  return `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(', ')}`;
}

/**
 * A full collection whose freed typed arrays are counted as freed: V8 frees an array's memory on a
 * background thread after the collection, and finishes that before it starts the next one.
 */
function settle(): void {
  gc!();
  gc!();
}

/** The heap and the typed arrays' memory, which sits outside the heap (the tables' numbers and indexes). */
function used(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

/** Memory per tracked address: a full jail against an empty one, address strings created fresh (as a filter would). */
function bytesPerAddress(): void {
  if (gc === undefined) {
    console.log('bytes per tracked address: run with node --expose-gc');
    return;
  }
  settle();
  const before = used();
  const jail = new Jail(settings);
  for (let i = 0; i < DEFAULT_MAX_TRACKED; i++) {
    jail.failure(failureOf(ipOf(i), T0 + i), T0 + i);
    if ((i & 1023) === 1023) jail.takeWindowChanges(); // as the runtime does
  }
  jail.takeWindowChanges();
  settle();
  const after = used();
  const tracked = jail.status(T0 + DEFAULT_MAX_TRACKED).counters.tracked;
  console.log(
    `bytes per tracked address: ${Math.round((after - before) / tracked)} (${tracked.toLocaleString('en')} tracked, ${mb(after - before)} MB of heap and typed arrays)`,
  );
}

/**
 * Heap of a jail fed 1,000,000 distinct accounts of the length cap (each from a new address): the
 * names seen once fill their cap. Then 50,000 more names tried twice each: the tracked accounts
 * fill theirs too, and as many new names once more fill the names seen once again: the most the
 * account windows hold.
 */
function accountsHeap(): void {
  if (gc === undefined) return;
  settle();
  const before = used();
  const jail = new Jail(settings);
  for (let b = 0; b < N / BLOCK; b++) {
    const names = Array.from({ length: BLOCK }, (_, k) => accountOf(b * BLOCK + k));
    for (let k = 0; k < BLOCK; k++) {
      const i = b * BLOCK + k;
      jail.failure(failureOf(ipOf(i), T0 + i, names[k]), T0 + i);
      // the runtime takes the changed windows after each read (left here, the list would keep
      // every evicted address for the store: a cost of the bench, not of the jail)
      if ((k & 1023) === 1023) jail.takeWindowChanges();
    }
    jail.takeWindowChanges();
  }
  settle();
  const after = used();
  const seenOnce = jail.guardStatus(T0 + N).trackedAccounts;
  // then names tried twice each (the second failure from another address): tracked accounts
  for (let i = 0; i < DEFAULT_MAX_ACCOUNTS; i++) {
    const t = T0 + N + i;
    const name = accountOf(N + i);
    jail.failure(failureOf(ipOf(N + 2 * i), t, name), t);
    jail.failure(failureOf(ipOf(N + 2 * i + 1), t, name), t);
    if ((i & 511) === 511) jail.takeWindowChanges();
  }
  // and as many new names once more: their arrivals took places that the promoted left empty
  for (let i = 0; i < DEFAULT_MAX_ACCOUNTS; i++) {
    const t = T0 + N + DEFAULT_MAX_ACCOUNTS + i;
    jail.failure(failureOf(ipOf(N + 2 * DEFAULT_MAX_ACCOUNTS + i), t, accountOf(N + DEFAULT_MAX_ACCOUNTS + i)), t);
    if ((i & 1023) === 1023) jail.takeWindowChanges();
  }
  jail.takeWindowChanges();
  settle();
  const full = used();
  const both = jail.guardStatus(T0 + N + 2 * DEFAULT_MAX_ACCOUNTS).trackedAccounts;
  console.log(
    `1M distinct accounts of ${ACCOUNT_NAME_MAX} chars: heap and typed arrays +${mb(after - before)} MB with ${seenOnce.toLocaleString('en')} names seen once (their cap) and ` +
      `${jail.status(T0 + N).counters.tracked.toLocaleString('en')} addresses tracked; ` +
      `then ${DEFAULT_MAX_ACCOUNTS.toLocaleString('en')} names tried twice each and as many once: +${mb(full - before)} MB with ${both.toLocaleString('en')} names (both caps full)`,
  );
}

const mode = ACCOUNTS ? ', per-account counting on (accountretry 20, accountminfailures 2)' : '';
const heap = DEFAULT_HEAP ? "V8's default heap policy" : "the daemon's heap policy (V8's memory-saving one)";
const caps =
  CAPS === null
    ? `cap ${DEFAULT_MAX_TRACKED.toLocaleString('en')} tracked addresses`
    : `caps ${CAPS.addresses.toLocaleString('en')} tracked addresses and ${CAPS.accounts.toLocaleString('en')} accounts in the timed rows (--caps; the memory rows keep the defaults)`;
console.log(`node ${process.version}, ${caps}, maxretry 5, findtime 10m${mode}; ${heap}`);
const distinct = (b: number) => Array.from({ length: BLOCK }, (_, k) => ipOf(b * BLOCK + k));
const few = Array.from({ length: 20_000 }, (_, i) => ipOf(i));
if (ACCOUNTS) {
  await run('1M distinct accounts (128 chars), 1M addresses', distinct, N, (b) => Array.from({ length: BLOCK }, (_, k) => accountOf(b * BLOCK + k)));
  // what scanners send (sipvicious-style): every address new, the account an extension number out
  // of a dial plan's range; names repeat, so the account table's work is a lookup, not an insert
  await run('1M distinct addresses against 9,000 extensions (100-9099)', distinct, N, (b) =>
    Array.from({ length: BLOCK }, (_, k) => extensionOf(100 + ((b * BLOCK + k) % 9000))),
  );
  const fifty = Array.from({ length: 50 }, (_, i) => String(1000 + i));
  await run(
    '1M failures from 20k addresses against 50 accounts',
    () => few,
    N,
    () => fifty,
  );
  accountsHeap();
} else {
  await run('1M distinct addresses', distinct, N);
  await run('1M failures from 20k addresses', () => few, N);
}
bytesPerAddress();
const peak = resourceUsage().maxRSS * 1024;
const rss = process.memoryUsage().rss;
console.log(`peak RSS ${mb(peak)} MB (now ${mb(rss)} MB); targets: ≥ 1,000,000 failures/s, ≤ 300 MB RSS; ${load()}`);
// read once, so that the sink's work cannot be left out as unused
if (sunk < 0) console.log(sunk);
