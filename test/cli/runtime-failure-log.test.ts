// The per-failure debug lines of a jail runtime: written at debug, skipped (and their object never
// made) at info, and the level followed when it changes at run time (`voipguard set loglevel`).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.js';
import { memoryReader } from '../../src/config/config-set.js';
import { ManualClock } from '../../src/core/clock.js';
import { Jail } from '../../src/jails/jail.js';
import { NoopMetrics } from '../../src/metrics/noop-metrics.js';
import { JailRuntime } from '../../src/daemon/jail-runtime.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { TinyStore } from '../helpers/tiny-store.js';
import { fakeFilter, files, JAIL, PushSource, RecordingActions, SessionGate, T0 } from './daemon-kit.js';

test('a failure is logged at debug and not at info, following a level changed at run time; a merged one likewise', async () => {
  const cfg = loadConfig('/cfg', { reader: memoryReader(files(JAIL)) }).jails.find((j) => j.name === 'asterisk')!;
  const clock = new ManualClock(T0);
  const { log, records } = memoryLogger('info');
  let source!: PushSource;
  const runtime = new JailRuntime(cfg, { store: new TinyStore(), clock, log, metrics: new NoopMetrics() }, (sink) => {
    source = new PushSource(sink, cfg.logpath);
    return {
      engine: new Jail(cfg, { random: () => 0 }),
      filter: fakeFilter(cfg.logpath[0]!),
      ami: null,
      gate: new SessionGate(),
      actions: new RecordingActions(),
      sources: [source],
    };
  });
  await runtime.start();
  const sec = Math.floor(T0 / 1000);
  const events = (name: string) => records.filter((r) => r['event'] === name);
  source.push(`FAIL 192.0.2.1 ${sec} s1`, clock);
  source.push(`FAIL 192.0.2.1 ${sec} s1`, clock);
  assert.equal(events('failure').length, 0);
  assert.equal(events('failure-merged').length, 0);
  log.level = 'debug';
  source.push(`FAIL 192.0.2.2 ${sec} s2`, clock);
  source.push(`FAIL 192.0.2.2 ${sec} s2`, clock);
  assert.equal(events('failure').length, 1);
  assert.equal(events('failure')[0]!['ip'], '192.0.2.2');
  assert.equal(events('failure')[0]!['kind'], 'test');
  assert.equal(events('failure-merged').length, 1);
  assert.equal(runtime.counters.attempts, 2, 'counted alike at either level');
  await runtime.stop(true);
});
