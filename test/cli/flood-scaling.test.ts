// The work per decision stays flat as a flood grows: 1,000, then 10,000, then 100,000 bans through
// the real Jail, the real JailRuntime, SQLite (:memory:) and the memory firewall behind the real
// JailActions. Counted, not timed: banned entries copied (status lists, pending lists), store
// transactions, firewall calls. A per-decision copy of the ban table (status() on every decision,
// as before) makes "entries copied per decision" grow with the table and fails this test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.js';
import { memoryReader } from '../../src/config/config-set.js';
import { ManualClock } from '../../src/core/clock.js';
import { packageRoot } from '../../src/core/paths.js';
import { Jail } from '../../src/jails/jail.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { firewallMaker } from '../../src/app.js';
import type { Metrics } from '../../src/metrics/metrics.js';
import { NoopMetrics } from '../../src/metrics/noop-metrics.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { storeHistory, type Store } from '../../src/store/store.js';
import { loadJailActions } from '../../src/actions/jail-actions.js';
import type { ActionsPort, JailEngine } from '../../src/daemon/ports.js';
import { JailRuntime } from '../../src/daemon/jail-runtime.js';
import { fakeFilter, PushSource, T0 } from './daemon-kit.js';

const CONF = `
[DEFAULT]
maxretry = 1
findtime = 10m
bantime = 1h
filter = fake
action = iptables[name=flood, port="5060", protocol="udp"]

[asterisk]
enabled = true
logpath = /var/log/asterisk/messages
`;

interface Work {
  decisions: number;
  copied: number;
  transactions: number;
  firewallCalls: number;
}

/** A store that counts transactions: each batch() at the outside, each write made outside one. */
function countingStore(inner: SqliteStore, work: Work): Store {
  let depth = 0;
  const writes = new Set(['addBan', 'setApplied', 'removeBan', 'setPosition', 'setMeta', 'purgeHistory']);
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function') return v;
      if (prop === 'batch') {
        return <T>(fn: () => T): T => {
          if (depth === 0) work.transactions++;
          depth++;
          try {
            return target.batch(fn);
          } finally {
            depth--;
          }
        };
      }
      if (typeof prop === 'string' && writes.has(prop)) {
        return (...args: unknown[]) => {
          if (depth === 0) work.transactions++;
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return (v as (...a: unknown[]) => unknown).bind(target);
    },
  });
}

async function flood(n: number): Promise<Work> {
  const work: Work = { decisions: 0, copied: 0, transactions: 0, firewallCalls: 0 };
  const cfg = loadConfig('/cfg', { reader: memoryReader({ '/cfg/jail.conf': CONF }) }).jails.find((j) => j.name === 'asterisk')!;
  const clock = new ManualClock(T0);
  const sqlite = SqliteStore.open(':memory:');
  const store = countingStore(sqlite, work);
  const { log } = memoryLogger('error');
  const metrics: Metrics = {
    ...new NoopMetrics(),
    firewallCommand: (_action, op) => {
      if (op === 'ban' || op === 'unban' || op === 'batch') work.firewallCalls++;
    },
  };
  const jail = new Jail(cfg, { history: storeHistory(store, 86_400_000), random: () => 0 });
  // every list the runtime asks for is a copy of entries: count them
  const engine: JailEngine = new Proxy(jail, {
    get(target, prop) {
      if (prop === 'status') {
        return (now: number, withList?: boolean) => {
          const st = target.status(now, withList);
          work.copied += st.banned.length;
          return st;
        };
      }
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const real = loadJailActions(
    { jail: cfg.name, actions: cfg.actions, params: cfg.raw },
    { configDir: packageRoot(), firewalls: firewallMaker({ run: () => Promise.reject(new Error('no commands in a dry run')) }, true), store, log, metrics },
  );
  const actions: ActionsPort = {
    start: () => real.start(),
    stop: (o) => real.stop(o),
    apply: (d, now) => real.apply(d, now),
    check: (now) => real.check(now),
    reconcile: (a, now) => real.reconcile(a, now),
    pending: () => {
      const p = real.pending();
      work.copied += p.length;
      return p;
    },
  };
  let source!: PushSource;
  const runtime = new JailRuntime(cfg, { store, clock, log, metrics }, (sink) => {
    source = new PushSource(sink, cfg.logpath);
    return { engine, filter: fakeFilter(cfg.logpath[0]!), ami: null, gate: null, actions, sources: [source] };
  });
  await runtime.start();
  const sec = Math.floor(T0 / 1000);
  // reads of 500 lines, as a file tail delivers a flood
  for (let i = 0; i < n; i++) {
    source.push(`FAIL 10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255} ${sec}`, clock);
    if (i % 500 === 499) await new Promise((r) => setImmediate(r));
  }
  await runtime.stop(true);
  work.decisions = jail.bannedCount;
  assert.equal(sqlite.activeBans('asterisk').length, n, 'every ban is in the store');
  assert.equal(sqlite.activeBans('asterisk').filter((b) => b.applied).length, n, 'and confirmed applied');
  sqlite.close();
  return work;
}

test('the work per decision stays flat from 1,000 to 100,000 bans (entries copied, store transactions, firewall calls)', { timeout: 600_000 }, async (t) => {
  const per: Record<number, { copied: number; transactions: number; firewallCalls: number }> = {};
  for (const n of [1_000, 10_000, 100_000]) {
    const w = await flood(n);
    assert.equal(w.decisions, n);
    per[n] = { copied: w.copied / n, transactions: w.transactions / n, firewallCalls: w.firewallCalls / n };
    t.diagnostic(`${n} decisions: ${w.copied} entries copied, ${w.transactions} store transactions, ${w.firewallCalls} firewall calls`);
  }
  const small = per[1_000]!;
  for (const n of [10_000, 100_000]) {
    const big = per[n]!;
    // flat: no more work per decision at 100x the flood (a margin for the first reads' fixed cost)
    assert.ok(big.copied <= small.copied * 1.5 + 0.01, `entries copied per decision: ${small.copied} at 1,000, ${big.copied} at ${n}`);
    assert.ok(
      big.transactions <= small.transactions * 1.5 + 0.01,
      `store transactions per decision: ${small.transactions} at 1,000, ${big.transactions} at ${n}`,
    );
    assert.ok(
      big.firewallCalls <= small.firewallCalls * 1.5 + 0.01,
      `firewall calls per decision: ${small.firewallCalls} at 1,000, ${big.firewallCalls} at ${n}`,
    );
  }
  // and batched: far fewer transactions and firewall calls than decisions
  assert.ok(per[100_000]!.transactions < 0.05, `transactions per decision at 100,000: ${per[100_000]!.transactions}`);
  assert.ok(per[100_000]!.firewallCalls < 0.05, `firewall calls per decision at 100,000: ${per[100_000]!.firewallCalls}`);
});
