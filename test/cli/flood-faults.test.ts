// A flood meets faults and large batches, through the real Jail, JailRuntime, JailActions and
// SQLite (:memory:), with the memory firewall's flaky twin. Counted, never timed:
// - a flush of 100,000 bans gives the event loop turns all along (no slice of work larger than
//   SLICE addresses between two turns, seen from the store and the firewall);
// - a kernel transaction that fails is retried as one batch: no ban lost, no rule doubled;
// - a store that refuses every write never holds back the kernel write;
// - 1,000,000 distinct addresses never track more than the tracked-address cap;
// - a restore yields to new bans: one decided while it runs goes between two of its slices.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.js';
import { memoryReader } from '../../src/config/config-set.js';
import { ManualClock } from '../../src/core/clock.js';
import { SLICE } from '../../src/core/slices.js';
import { Jail } from '../../src/jails/jail.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { NoopMetrics } from '../../src/metrics/noop-metrics.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { storeHistory, type Store } from '../../src/store/store.js';
import { loadJailActions } from '../../src/actions/jail-actions.js';
import { JailRuntime } from '../../src/daemon/jail-runtime.js';
import { packageRoot } from '../../src/core/paths.js';
import { FIREWALL_BACKOFF, FLUSH_MAX, RESTORE_SLICE } from '../../src/actions/action-instance.js';
import { FlakyFirewall } from '../fakes/flaky-firewall.js';
import { waitFor } from '../helpers/wait-for.js';
import { fakeFilter, PushSource, T0 } from './daemon-kit.js';

const conf = (extra = '') => `
[DEFAULT]
maxretry = 1
findtime = 10m
bantime = 1h
filter = fake
action = iptables[name=flood, port="5060", protocol="udp"]
${extra}

[asterisk]
enabled = true
logpath = /var/log/asterisk/messages
`;

const ipOf = (i: number): string => `10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255}`;

/** Counts the turns of the event loop: the stand-in for the control socket and /metrics. */
function turnCounter() {
  let turns = 0;
  let on = true;
  const serve = (): void => {
    if (!on) return;
    turns++;
    setImmediate(serve);
  };
  setImmediate(serve);
  return { now: () => turns, stop: () => (on = false) };
}

function build(
  opts: { store?: (s: SqliteStore) => Store; turnNow?: () => number; extra?: string; maxTracked?: number; before?: (s: SqliteStore) => void } = {},
) {
  const cfg = loadConfig('/cfg', { reader: memoryReader({ '/cfg/jail.conf': conf(opts.extra) }) }).jails.find((j) => j.name === 'asterisk')!;
  const clock = new ManualClock(T0);
  const sqlite = SqliteStore.open(':memory:');
  opts.before?.(sqlite);
  const store = opts.store ? opts.store(sqlite) : sqlite;
  const { log, records } = memoryLogger('error');
  let fw!: FlakyFirewall;
  const actions = loadJailActions(
    { jail: cfg.name, actions: cfg.actions, params: cfg.raw },
    {
      configDir: packageRoot(),
      firewalls: { firewall: (def, l) => (fw = new FlakyFirewall(`${def.action}[${def.name}]`, l, opts.turnNow)), conntrack: () => null },
      store,
      log,
    },
  );
  const jail = new Jail(cfg, { history: storeHistory(store, 86_400_000), random: () => 0, ...(opts.maxTracked ? { maxTracked: opts.maxTracked } : {}) });
  let source!: PushSource;
  const runtime = new JailRuntime(cfg, { store, clock, log, metrics: new NoopMetrics() }, (sink) => {
    source = new PushSource(sink, cfg.logpath);
    return { engine: jail, filter: fakeFilter(cfg.logpath[0]!), ami: null, gate: null, actions, sources: [source] };
  });
  const sec = Math.floor(T0 / 1000);
  const push = (i: number) => source.push(`FAIL ${ipOf(i)} ${sec}`, clock);
  return { runtime, actions, sqlite, records, clock, jail, push, fw: () => fw };
}

test('a flush of 100,000 bans leaves the event loop turns all along: at most a slice of work between two turns', { timeout: 300_000 }, async () => {
  const turns = turnCounter();
  // the store's writes, by the turn they ran in
  const perTurn = new Map<number, number>();
  const k = build({
    turnNow: turns.now,
    store: (s) =>
      new Proxy(s, {
        get(target, prop) {
          const v = Reflect.get(target, prop, target) as unknown;
          if (prop === 'setApplied') {
            return (...a: unknown[]) => {
              perTurn.set(turns.now(), (perTurn.get(turns.now()) ?? 0) + 1);
              return (v as (...x: unknown[]) => unknown).apply(target, a);
            };
          }
          return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
        },
      }),
  });
  await k.runtime.start();
  const n = 100_000;
  // the firewall is busy while the flood is read: all of it goes in one flush, of FLUSH_MAX bans per transaction
  const decisions = Array.from({ length: n }, (_, i) => ({
    type: 'ban' as const,
    jail: 'asterisk',
    ip: ipOf(i),
    time: T0,
    until: T0 + 3_600_000,
    banCount: 1,
    reason: 'detected' as const,
    failures: 1,
  }));
  const before = turns.now();
  await k.actions.apply(decisions, T0);
  const after = turns.now();
  turns.stop();
  // one transaction per FLUSH_MAX bans, one after the other (never a single script of every ban)
  const calls = k.fw().calls.filter((c) => c.ban > 0);
  assert.deepEqual(
    calls.map((c) => c.ban),
    Array.from({ length: n / FLUSH_MAX }, () => FLUSH_MAX),
    'the flush went as transactions of FLUSH_MAX bans',
  );
  const first = calls[0]!;
  const last = calls[calls.length - 1]!;
  // before the first kernel write: the decisions read and its pending bans gathered, a turn every slice
  assert.ok(first.turn - before >= n / SLICE + FLUSH_MAX / SLICE - 2, `${first.turn - before} turns before the first kernel write for ${n} bans`);
  // between two writes, and after the last: what the kernel now holds recorded, the next gathered, the store told, a turn every slice
  for (let i = 1; i < calls.length; i++)
    assert.ok(calls[i]!.turn - calls[i - 1]!.turn >= 2 * (FLUSH_MAX / SLICE) - 2, `turns between writes ${i - 1} and ${i}`);
  assert.ok(after - last.turn >= n / SLICE - 2, `${after - last.turn} turns after the last kernel write`);
  assert.equal(
    [...perTurn.values()].reduce((a, b) => a + b, 0),
    n,
    'every ban confirmed in the store',
  );
  assert.ok(Math.max(...perTurn.values()) <= SLICE, `at most ${SLICE} store writes in one turn, saw ${Math.max(...perTurn.values())}`);
  assert.deepEqual(k.actions.pending(), []);
  await k.runtime.stop(true);
  k.sqlite.close();
});

test('a kernel transaction that fails mid-batch is retried as one batch: no ban lost, no rule doubled', async () => {
  const k = build();
  await k.runtime.start();
  await k.runtime.restored();
  k.fw().failNext = 1;
  for (let i = 0; i < 5_000; i++) k.push(i);
  const fw = k.fw();
  await waitFor(() => fw.calls.length === 1 && k.actions.pending().length === 5_000, { what: 'the failed flush' });
  // the failed flush left everything pending; the retry falls due after the backoff's first delay
  assert.equal(fw.calls.filter((c) => c.failed).length, 1);
  assert.equal(fw.banned.size, 0, 'the failed transaction applied nothing');
  assert.equal(k.actions.pending().length, 5_000, 'every ban still pending, none lost');
  await k.actions.check(T0 + FIREWALL_BACKOFF.firstMs);
  const retries = fw.calls.filter((c) => !c.failed);
  assert.equal(retries.length, 1, 'retried as one batch');
  assert.equal(retries[0]!.ban, 5_000);
  assert.equal(fw.banned.size, 5_000, 'no ban lost');
  assert.equal(fw.doubled, 0, 'no rule doubled');
  assert.deepEqual(k.actions.pending(), []);
  assert.equal(k.sqlite.activeBans('asterisk').filter((b) => b.applied).length, 5_000, 'the store knows they are applied');
  // the next check finds nothing to send again
  await k.actions.check(T0 + 60_000);
  assert.equal(fw.calls.length, retries.length + 1);
  await k.runtime.stop(true);
  k.sqlite.close();
});

test('a store that refuses every write never holds back the kernel write', async () => {
  let refused = 0;
  const k = build({
    store: (s) =>
      new Proxy(s, {
        get(target, prop) {
          const v = Reflect.get(target, prop, target) as unknown;
          if (prop === 'batch' || prop === 'addBan' || prop === 'setApplied' || prop === 'saveWindows') {
            return () => {
              refused++;
              throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
            };
          }
          return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
        },
      }),
  });
  await k.runtime.start();
  await k.runtime.restored();
  for (let i = 0; i < 100; i++) k.push(i);
  await k.runtime.stop(true);
  const fw = k.fw();
  assert.ok(refused > 0, 'the store was asked and refused');
  assert.equal(fw.calls.length, 1, 'one kernel write for the read, as with a working store');
  assert.equal(fw.banned.size, 100, 'every ban reached the kernel');
  assert.ok(
    k.records.some((r) => r.event === 'store-failed'),
    'the failure is logged',
  );
  assert.ok(k.runtime.counters.storeErrors > 0);
  k.sqlite.close();
});

test('1,000,000 distinct addresses never track more than the tracked-address cap', { timeout: 300_000 }, async () => {
  const cap = 20_000;
  const k = build({ extra: 'maxretry = 5', maxTracked: cap });
  await k.runtime.start();
  let most = 0;
  for (let i = 0; i < 1_000_000; i++) {
    k.push(i);
    if (i % 1000 === 999) {
      most = Math.max(most, k.jail.trackedCount);
      await new Promise((r) => setImmediate(r));
    }
  }
  most = Math.max(most, k.jail.trackedCount);
  assert.equal(k.jail.bannedCount, 0, 'one failure each: nobody banned');
  assert.ok(most <= cap, `tracked ${most}, cap ${cap}`);
  await k.runtime.tick(T0, true); // the periodic check prunes the stored windows to the cap
  const stored = k.sqlite.loadWindows('asterisk', T0 - 600_000).length;
  assert.ok(stored <= cap, `${stored} windows stored, cap ${cap}`);
  await k.runtime.stop(true);
  k.sqlite.close();
});

test('a restore yields to new bans: a ban decided while it runs reaches the kernel before the rest of the restore', async () => {
  const stored = 2 * RESTORE_SLICE + 5_000;
  const k = build({
    before: (s) =>
      s.batch(() => {
        for (let i = 0; i < stored; i++) {
          s.addBan(
            {
              jail: 'asterisk',
              ip: `172.${16 + (i >>> 16)}.${(i >>> 8) & 255}.${i & 255}`,
              start: T0 - 1000,
              until: T0 + 3_600_000,
              banCount: 1,
              reason: 'detected',
            },
            true,
          );
        }
      }),
  });
  await k.runtime.start();
  const fw = k.fw();
  // the first slice of the restore is in the kernel's hands: an attacker's line arrives now
  let pushed = false;
  fw.onApply = () => {
    if (pushed) return;
    pushed = true;
    k.push(7);
  };
  await k.runtime.restored();
  assert.deepEqual(
    fw.calls.map((c) => c.ban),
    [RESTORE_SLICE, 1, RESTORE_SLICE, 5_000],
    'the new ban went between the first and the second slice',
  );
  assert.equal(fw.banned.size, stored + 1);
  assert.equal(fw.doubled, 0);
  assert.deepEqual(k.actions.pending(), []);
  assert.equal(k.sqlite.activeBans('asterisk').filter((b) => b.applied).length, stored + 1);
  await k.runtime.stop(true);
  k.sqlite.close();
});
