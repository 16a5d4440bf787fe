// The jails' door on the fleet's bulk path (RuntimeClusterJails.commit with bulk): the same store
// transaction and firewall call as any decision, but each ban is logged at debug, not at info (the
// fleet logs one summary line for the batch: cluster-node.test.ts).

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

/** The recording twin with JailActions.presume: what the door said it wrote as applied. */
class PresumingActions extends RecordingActions {
  readonly presumed: string[] = [];
  presume(ips: Iterable<string>): void {
    this.presumed.push(...ips);
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
