// The firewall's structure is queued first at a jail's start, but its commands wait until the jail
// follows its logs and the service says every jail does: spawned earlier, they held the start
// (docs/flood.md, "Ready first").

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.js';
import { memoryReader } from '../../src/config/config-set.js';
import { ManualClock } from '../../src/core/clock.js';
import { JailRuntime } from '../../src/daemon/jail-runtime.js';
import type { SourcePort } from '../../src/daemon/ports.js';
import { Jail } from '../../src/jails/jail.js';
import { NoopMetrics } from '../../src/metrics/noop-metrics.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { TinyStore } from '../helpers/tiny-store.js';
import { fakeFilter, files, JAIL, RecordingActions, SessionGate, T0 } from './daemon-kit.js';

test("the structure's commands wait for the sources and for the service's go; the structure is still first in the queue", async () => {
  const cfg = loadConfig('/cfg', { reader: memoryReader(files(JAIL)) }).jails.find((j) => j.name === 'asterisk')!;
  let sourceUp = () => {};
  const held = new Promise<void>((r) => (sourceUp = r));
  const source: SourcePort = {
    start: () => held,
    stop: async () => undefined,
    status: () => ({ kind: 'file', files: [], waitingFor: [] }),
  };
  let after: Promise<void> | undefined;
  const actions = new RecordingActions();
  const start = actions.start.bind(actions);
  actions.start = (a?: Promise<void>) => {
    after = a;
    return start();
  };
  const { log } = memoryLogger();
  const rt = new JailRuntime(cfg, { store: new TinyStore(), clock: new ManualClock(T0), log, metrics: new NoopMetrics() }, () => ({
    engine: new Jail(cfg, { random: () => 0 }),
    filter: fakeFilter('x'),
    ami: null,
    gate: new SessionGate(),
    actions,
    sources: [source],
  }));
  let go = () => {};
  const ready = new Promise<void>((r) => (go = r));
  let settled = false;
  const starting = rt.start(ready);
  assert.equal(actions.started, 1, 'queued at once');
  void after!.then(() => (settled = true));
  const turns = async () => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  };
  await turns();
  assert.equal(settled, false, 'the source is not followed yet');
  sourceUp();
  await starting;
  await turns();
  assert.equal(settled, false, 'the other jails are not followed yet');
  go();
  await turns();
  assert.equal(settled, true);
});
