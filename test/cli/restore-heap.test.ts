// A jail's start-up restore (the kernel refilled from the store) holds the process's heap policy
// relaxed until it is done, as a fleet catch-up does: a bulk task of a few seconds over bounded data,
// which under the memory-saving policy ran half again as long (docs/benchmarks.md, nineteenth
// session). The memory-saving policy the daemon asks for once ready takes effect when it ends.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.js';
import { memoryReader } from '../../src/config/config-set.js';
import { ManualClock } from '../../src/core/clock.js';
import { HeapPolicyState } from '../../src/core/heap-policy.js';
import { JailRuntime } from '../../src/daemon/jail-runtime.js';
import { Jail } from '../../src/jails/jail.js';
import { NoopMetrics } from '../../src/metrics/noop-metrics.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { TinyStore } from '../helpers/tiny-store.js';
import { fakeFilter, files, JAIL, PushSource, RecordingActions, SessionGate, T0 } from './daemon-kit.js';

/** Records every change of the policy, as V8HeapPolicy would apply it. */
class RecordingHeap extends HeapPolicyState {
  readonly applied: boolean[] = [];
  protected override apply(memory: boolean): void {
    this.applied.push(memory);
  }
}

function runtime(actions: RecordingActions, heap: RecordingHeap) {
  const cfg = loadConfig('/cfg', { reader: memoryReader(files(JAIL)) }).jails.find((j) => j.name === 'asterisk')!;
  const { log, records } = memoryLogger();
  const store = new TinyStore();
  store.addBan({ jail: 'asterisk', ip: '198.51.100.7', start: T0, until: T0 + 600_000, banCount: 1, reason: 'detected' }, true);
  const rt = new JailRuntime(cfg, { store, clock: new ManualClock(T0), log, metrics: new NoopMetrics(), heap }, (sink) => ({
    engine: new Jail(cfg, { random: () => 0 }),
    filter: fakeFilter('x'),
    ami: null,
    gate: new SessionGate(),
    actions,
    sources: [new PushSource(sink, ['/var/log/asterisk/security'])],
  }));
  return { rt, records };
}

const turns = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

test('the start-up restore holds the heap policy relaxed until it is done; memory-saving comes after', async () => {
  const actions = new RecordingActions();
  let refilled = () => {};
  actions.reconcileGate = new Promise<void>((r) => (refilled = r));
  const heap = new RecordingHeap();
  const { rt, records } = runtime(actions, heap);
  await rt.start();
  await turns();
  assert.equal(heap.holds, 1, 'held while the kernel is refilled');
  assert.deepEqual(
    actions.reconciled.map((r) => r.map((b) => b.ip)),
    [['198.51.100.7']],
    'the stored ban is being restored',
  );
  heap.saveMemory(); // the daemon is ready meanwhile
  assert.equal(heap.favoursMemory, false, 'not while the restore runs');
  assert.deepEqual(heap.applied, []);
  refilled();
  await rt.restored();
  await turns();
  assert.ok(records.some((l) => l.event === 'restore-done'));
  assert.equal(heap.holds, 0, 'let go once done');
  assert.equal(heap.favoursMemory, true);
  assert.deepEqual(heap.applied, [true], 'the memory-saving policy applied once, after the restore');
  await rt.stop(true);
});
