// The jails' door on the fleet's bulk path (RuntimeClusterJails.commit with bulk): the same store
// rows and firewall call as any decision, but each ban is logged at debug, not at info (the fleet
// logs one summary line for the batch: cluster-node.test.ts), and the store is written once the
// firewall has had the bans (stored() settles then): a new node is ready without waiting for it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.js';
import { ManualClock } from '../../src/core/clock.js';
import { RuntimeClusterJails } from '../../src/daemon/cluster-jails.js';
import { JailRuntime } from '../../src/daemon/jail-runtime.js';
import { Jail } from '../../src/jails/jail.js';
import { NoopMetrics } from '../../src/metrics/noop-metrics.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { MemoryStore } from '../fakes/memory-store.js';
import { CONFIG_DIR, fixtureReader } from '../config/config-kit.js';
import { fakeFilter, PushSource, RecordingActions, T0 } from '../cli/daemon-kit.js';

/** The recording twin with JailActions.presume and awaiting: what the door said it wrote as applied, and what the kernel refused. */
class PresumingActions extends RecordingActions {
  readonly presumed: string[] = [];
  readonly refused = new Set<string>();
  presume(ips: Iterable<string>): void {
    this.presumed.push(...ips);
  }
  awaiting(ip: string): boolean {
    return this.refused.has(ip);
  }
}

async function door() {
  const c = loadConfig(CONFIG_DIR, { reader: fixtureReader(null, { 'jail.local': '[asterisk]\nenabled = true\nlogpath = /var/log/asterisk/security\n' }) });
  assert.deepEqual(c.errors, []);
  const cfg = c.jails.find((j) => j.name === 'asterisk')!;
  const clock = new ManualClock(T0);
  const { log, records } = memoryLogger('debug');
  const store = new MemoryStore();
  const actions = new PresumingActions();
  const runtime = new JailRuntime(cfg, { store, clock, log, metrics: new NoopMetrics() }, (sink) => ({
    engine: new Jail(cfg),
    filter: fakeFilter('log'),
    ami: null,
    gate: null,
    actions,
    sources: [new PushSource(sink, cfg.logpath)],
  }));
  await runtime.start();
  return { jails: new RuntimeClusterJails(new Map([['asterisk', runtime]]), store), records, actions, store, runtime };
}

test('bulk commit: every ban reaches the store and the firewall in one call, each logged at debug', async () => {
  const d = await door();
  const ds = ['203.0.113.1', '203.0.113.2', '203.0.113.3'].flatMap((ip) => d.jails.ban('asterisk', ip, T0, 3_600_000));
  await d.jails.commit('asterisk', ds, true);
  assert.deepEqual(d.actions.calls, [3]);
  await d.jails.stored();
  assert.equal(d.jails.activeBans().length, 3);
  const lines = d.records.filter((r) => r.event === 'ban');
  assert.deepEqual(
    lines.map((r) => r.level),
    ['debug', 'debug', 'debug'],
  );
  // and the single path still logs each at info
  await d.jails.commit('asterisk', d.jails.ban('asterisk', '203.0.113.4', T0, 3_600_000));
  assert.equal(d.records.filter((r) => r.event === 'ban' && r.level === 'info').length, 1);
  await d.runtime.stop(true);
});

test('bulk commit: the bans are stored as applied and the actions told so (no second write per ban); the single path stores them not applied until the kernel has them', async () => {
  const d = await door();
  const ds = ['203.0.113.1', '203.0.113.2'].flatMap((ip) => d.jails.ban('asterisk', ip, T0, 3_600_000));
  await d.jails.commit('asterisk', ds, true);
  await d.jails.stored();
  assert.deepEqual(d.actions.presumed, ['203.0.113.1', '203.0.113.2']);
  assert.deepEqual(
    d.store.activeBans().map((b) => [b.ip, b.applied]),
    [
      ['203.0.113.1', true],
      ['203.0.113.2', true],
    ],
  );
  await d.jails.commit('asterisk', d.jails.ban('asterisk', '203.0.113.3', T0, 3_600_000));
  assert.deepEqual(d.actions.presumed, ['203.0.113.1', '203.0.113.2'], 'the single path presumes nothing');
  assert.equal(d.store.activeBans().find((b) => b.ip === '203.0.113.3')!.applied, false);
  await d.runtime.stop(true);
});

test('bulk commit: the store is written after the firewall has the bans, never before; a ban the kernel refused is stored as not applied', async () => {
  const d = await door();
  let release!: () => void;
  d.actions.gate = new Promise((r) => (release = r));
  d.actions.refused.add('203.0.113.2');
  const ds = ['203.0.113.1', '203.0.113.2'].flatMap((ip) => d.jails.ban('asterisk', ip, T0, 3_600_000));
  const kernel = d.jails.commit('asterisk', ds, true);
  let stored = false;
  void d.jails.stored().then(() => (stored = true));
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  assert.equal(d.store.activeBans().length, 0, 'nothing in the store while the kernel commands run');
  assert.equal(stored, false);
  release();
  await kernel;
  await d.jails.stored();
  assert.deepEqual(
    d.store.activeBans().map((b) => [b.ip, b.applied]),
    [
      ['203.0.113.1', true],
      ['203.0.113.2', false],
    ],
  );
  await d.runtime.stop(true);
});

test('bulk commit: a decision for the same address made while the bulk write waits lands after it (a manual unban is not undone)', async () => {
  const d = await door();
  let release!: () => void;
  d.actions.gate = new Promise((r) => (release = r));
  const ds = ['203.0.113.1', '203.0.113.2'].flatMap((ip) => d.jails.ban('asterisk', ip, T0, 3_600_000));
  const kernel = d.jails.commit('asterisk', ds, true);
  // the operator unbans one of them before the kernel commands end
  const un = d.runtime.engine.unban('203.0.113.1', T0 + 1);
  assert.equal(un.length, 1);
  const unbanned = d.jails.commit('asterisk', un);
  await new Promise((r) => setImmediate(r));
  release();
  await Promise.all([kernel, unbanned]);
  await d.jails.stored();
  assert.deepEqual(
    d.store.activeBans().map((b) => b.ip),
    ['203.0.113.2'],
  );
  await d.runtime.stop(true);
});

test('bulk commit: a stop writes what is still deferred', async () => {
  const d = await door();
  const ds = ['203.0.113.7', '203.0.113.8'].flatMap((ip) => d.jails.ban('asterisk', ip, T0, 3_600_000));
  void d.jails.commit('asterisk', ds, true);
  await d.runtime.stop(true);
  assert.equal(d.store.activeBans().length, 2);
});
