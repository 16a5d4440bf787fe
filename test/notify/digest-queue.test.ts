import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DigestQueue, type DigestQueueOptions } from '../../src/notify/digest-queue.js';
import type { BanNotice, Digest, NotificationSink } from '../../src/notify/notice.js';
import { ManualTimers } from '../../src/core/timers.js';
import { PromMetrics } from '../../src/metrics/prom-metrics.js';
import { memoryLogger } from '../fakes/memory-logger.js';

const T0 = Date.UTC(2026, 10, 21, 9, 0, 0);
const SEC = 1000;
const MIN = 60 * SEC;

const OPTS: DigestQueueOptions = {
  name: 'asterisk',
  host: 'pbx1',
  delayMs: 5 * SEC,
  intervalMs: 5 * MIN,
  maxPending: 10_000,
  sendTimeoutMs: 60 * SEC,
  backoff: { firstMs: 30 * SEC, baseMs: 60 * SEC, factor: 2, capMs: 3_600_000, jitter: 0 },
};

/** A sink whose sends the test settles by hand, to control exactly when they finish. */
class ScriptedSink implements NotificationSink {
  readonly channel = 'test';
  readonly digests: Digest[] = [];
  readonly settle: Array<(ok: boolean) => void> = [];
  auto: boolean | null = true; // true: succeed at once, false: fail at once, null: hang until settled
  async send(d: Digest): Promise<void> {
    this.digests.push(d);
    if (this.auto === true) return;
    if (this.auto === false) throw new Error('receiver said 500');
    await new Promise<void>((resolve, reject) => this.settle.push((ok) => (ok ? resolve() : reject(new Error('failed late')))));
  }
}

function notice(i: number, time: number): BanNotice {
  return { jail: 'asterisk', ip: `198.51.${i >> 8}.${i & 255}`, time, until: time + 600_000, banCount: 1, reason: 'detected', failures: 5 };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(opts: Partial<DigestQueueOptions> = {}) {
  const timers = new ManualTimers(T0);
  const sink = new ScriptedSink();
  const metrics = new PromMetrics();
  const { log, records } = memoryLogger();
  const q = new DigestQueue(sink, { ...OPTS, ...opts }, { timers, clock: timers, log, metrics, rng: () => 0 });
  /** Advances simulated time in steps, letting sends settle between steps. */
  const run = async (ms: number, step = SEC): Promise<void> => {
    for (let t = 0; t < ms; t += step) {
      timers.advance(Math.min(step, ms - t));
      await tick();
    }
  };
  return { timers, sink, metrics, records, q, run };
}

test('a flood of 1,000 bans over 20 minutes gives one digest per interval carrying every address', async () => {
  const { timers, sink, q, run } = setup();
  for (let i = 0; i < 1000; i++) {
    q.push(notice(i, timers.now()));
    await run(1200, 1200); // one ban every 1.2 s: 1,000 bans in 20 minutes
  }
  await run(10 * MIN);
  const ips = sink.digests.flatMap((d) => d.bans.map((b) => b.ip));
  assert.equal(new Set(ips).size, 1000, 'every banned address is in some digest');
  assert.equal(ips.length, 1000, 'and in only one');
  // the first after the 5 s gathering delay, then one per 5 minutes: 20 min / 5 min + 1
  assert.ok(sink.digests.length <= 6, `${sink.digests.length} digests`);
  assert.ok(sink.digests.length >= 4);
  assert.equal(sink.digests[0]!.bans.length, 5, 'the first digest leaves 5 s after the first ban');
});

test('a ban in a quiet period goes out after the gathering delay, alone', async () => {
  const { timers, sink, q, run } = setup();
  q.push(notice(1, timers.now()));
  await run(4 * SEC);
  assert.equal(sink.digests.length, 0);
  await run(2 * SEC);
  assert.equal(sink.digests.length, 1);
  assert.deepEqual(
    sink.digests[0]!.bans.map((b) => b.ip),
    ['198.51.0.1'],
  );
  assert.equal(sink.digests[0]!.name, 'asterisk');
  assert.equal(sink.digests[0]!.host, 'pbx1');
});

test('the same address banned twice before a digest is listed once', async () => {
  const { timers, sink, q, run } = setup();
  q.push(notice(7, timers.now()));
  q.push({ ...notice(7, timers.now()), banCount: 2 });
  await run(10 * SEC);
  assert.equal(sink.digests[0]!.bans.length, 1);
  assert.equal(sink.digests[0]!.bans[0]!.banCount, 2, 'the latest ban wins');
});

test('a failing receiver is retried with backoff and no ban is lost', async () => {
  const { timers, sink, q, run, records, metrics } = setup();
  sink.auto = false;
  q.push(notice(1, timers.now()));
  await run(6 * SEC); // first attempt at +5 s fails
  assert.equal(sink.digests.length, 1);
  q.push(notice(2, timers.now()));
  await run(28 * SEC); // t = 34 s; the failure was at 5 s
  assert.equal(sink.digests.length, 1, 'no retry before the first backoff step (30 s)');
  await run(2 * SEC);
  assert.equal(sink.digests.length, 2, 'retried after 30 s');
  assert.deepEqual(sink.digests[1]!.bans.map((b) => b.ip).sort(), ['198.51.0.1', '198.51.0.2']);
  await run(58 * SEC); // t = 94 s; the retry failed at 35 s
  assert.equal(sink.digests.length, 2, 'the second retry waits 60 s');
  sink.auto = true;
  await run(2 * SEC);
  assert.equal(sink.digests.length, 3);
  assert.deepEqual(sink.digests[2]!.bans.map((b) => b.ip).sort(), ['198.51.0.1', '198.51.0.2']);
  const failed = records.filter((r) => r.event === 'notify-failed');
  assert.equal(failed.length, 2);
  assert.equal(failed[0]!.code, 'VG_NOTIFY_SEND');
  const t = (await metrics.scrape()).body;
  assert.match(t, /^voipguard_notifications_total\{channel="test",outcome="failed"\} 2$/m);
  assert.match(t, /^voipguard_notifications_total\{channel="test",outcome="sent"\} 1$/m);
});

test('a send that never settles is given up after sendTimeout, and pushes never wait for it', async () => {
  const { timers, sink, q, run } = setup();
  sink.auto = null;
  q.push(notice(1, timers.now()));
  await run(6 * SEC);
  assert.equal(sink.digests.length, 1, 'the send started and hangs');
  for (let i = 2; i < 500; i++) q.push(notice(i, timers.now())); // returns at once each time
  assert.equal(q.size, 498);
  await run(60 * SEC);
  sink.auto = true;
  await run(60 * SEC);
  const last = sink.digests[sink.digests.length - 1]!;
  assert.equal(last.bans.length, 499, 'the hung batch came back and went out with the rest');
});

test('the queue is bounded: bans beyond maxPending are counted and reported, not kept', async () => {
  const { timers, sink, q, run, metrics } = setup({ maxPending: 100 });
  for (let i = 0; i < 250; i++) q.push(notice(i, timers.now()));
  assert.equal(q.size, 100);
  await run(10 * SEC);
  assert.equal(sink.digests[0]!.bans.length, 100);
  assert.equal(sink.digests[0]!.dropped, 150);
  assert.match((await metrics.scrape()).body, /^voipguard_notification_bans_dropped_total\{channel="test"\} 150$/m);
});

test('close sends what is queued at once and does not wait past its deadline', async () => {
  const { timers, sink, q } = setup();
  q.push(notice(1, timers.now()));
  await q.close();
  assert.equal(sink.digests.length, 1);
  q.push(notice(2, timers.now()));
  assert.equal(q.size, 0, 'a closed queue takes nothing');

  const hung = setup();
  hung.sink.auto = null;
  hung.q.push(notice(3, hung.timers.now()));
  const closing = hung.q.close(2000);
  await tick();
  hung.timers.advance(2000);
  await closing; // resolves through the deadline although the send never settles
  assert.equal(hung.sink.digests.length, 1);
});
