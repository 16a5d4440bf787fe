// The "must show": a flood of 1,000 bans gives a bounded number of notifications carrying
// every banned address, through a real local HTTP receiver and a real sendmail stand-in; a failing
// receiver (HTTP 500, connection refused, no answer) never delays a ban. Time for the digest
// schedule is driven by hand (ManualTimers); sockets and processes are real, so the test polls them
// with a bounded deadline.

import { firewallMaker } from '../../src/app.js';
import { ExecaRunner } from '../../src/exec/execa-runner.js';
import { nodeHttpPoster } from '../../src/notify/http-poster.js';
import { SendmailMailer, type SendmailOptions } from '../../src/notify/mailer.js';
import { ExecWhois, type ExecWhoisOptions } from '../../src/notify/whois.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { loadJailActions } from '../../src/actions/jail-actions.js';
import { MemoryRunner } from '../fakes/memory-runner.js';
import { parseNamedArgsList } from '../../src/config/named-args.js';
import { packageRoot } from '../../src/core/paths.js';
import type { BanDecision } from '../../src/core/types.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { PromMetrics } from '../../src/metrics/prom-metrics.js';
import { loadJailNotifiers, withNotifiers } from '../../src/actions/jail-notifiers.js';
import { ManualTimers } from '../../src/core/timers.js';
import { MemoryStore } from '../fakes/memory-store.js';
import { startReceiver, until } from './receiver.js';
import { makeStandIns, splitMail } from './stand-ins.js';

const T0 = Date.UTC(2026, 10, 21, 9, 0, 0);

function ban(i: number, now: number): BanDecision {
  return {
    type: 'ban',
    jail: 'asterisk',
    ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    time: now,
    until: now + 600_000,
    banCount: 1,
    reason: 'detected',
    failures: 10,
  };
}

/**
 * A jail's actions as the daemon builds them from its `action =` lines: the dummy (memory) firewall
 * through loadJailActions, the notifications through loadJailNotifiers, joined by withNotifiers.
 */
async function harness(actionLines: string) {
  const timers = new ManualTimers(T0);
  const metrics = new PromMetrics();
  const { log, records } = memoryLogger('info');
  const store = new MemoryStore();
  const list = parseNamedArgsList(actionLines);
  const configDir = packageRoot();
  const firewall = loadJailActions(
    { jail: 'asterisk', actions: list, params: {} },
    { configDir, firewalls: firewallMaker(new MemoryRunner(), false), store, log },
  );
  const notifiers = loadJailNotifiers(
    { jail: 'asterisk', actions: list },
    { configDir, timers, clock: timers, log, metrics, hostname: hostname(), rng: () => 0, ...realSenders() },
  );
  assert.equal(notifiers.actions.length, 1);
  const actions = withNotifiers(firewall, notifiers);
  await actions.start();
  const queue = notifiers.actions[0]!.queue;
  /** The ban path as JailRuntime.decide runs it: the store, then the actions (firewall + notice). */
  const applyBan = async (d: BanDecision): Promise<void> => {
    store.addBan({ jail: d.jail, ip: d.ip, start: d.time, until: d.until, banCount: d.banCount, reason: d.reason }, false);
    await actions.apply([d], timers.now());
  };
  const inKernel = (): number => store.activeBans('asterisk').filter((b) => b.applied).length;
  /** Moves simulated time in steps; after each, lets any real send finish before going on. */
  const advance = async (ms: number, step = 1000): Promise<void> => {
    for (let t = 0; t < ms; t += step) {
      timers.advance(Math.min(step, ms - t));
      await new Promise((r) => setImmediate(r));
      await until(() => !queue.busy, 10_000, 'the send to settle');
    }
  };
  return { timers, metrics, records, actions, queue, applyBan, inKernel, advance };
}

test('a flood of 1,000 bans reaches a webhook receiver as a few digests carrying every address', async () => {
  const r = await startReceiver();
  try {
    const h = await harness(`dummy\nwebhook[url="${r.url}", format=json, delay=5s, interval=5m]`);
    for (let i = 0; i < 1000; i++) {
      await h.applyBan(ban(i, h.timers.now()));
      await h.advance(600, 600); // a ban every 0.6 s: 1,000 in 10 minutes
    }
    await h.advance(10 * 60_000);
    await h.actions.stop();
    const bodies = r.bodies.map((b) => (b as { body: { bans: { ip: string }[] } }).body);
    const ips = bodies.flatMap((b) => b.bans.map((x) => x.ip));
    assert.equal(h.inKernel(), 1000);
    assert.equal(new Set(ips).size, 1000, 'every banned address reached the receiver');
    assert.equal(ips.length, 1000, 'none twice');
    // 10 minutes of flood, one digest per 5 minutes, plus the first after 5 s
    assert.ok(bodies.length >= 2 && bodies.length <= 4, `${bodies.length} notifications`);
  } finally {
    await r.close();
  }
});

test('a flood of 1,000 bans through sendmail-whois gives a few mails listing every address, whois for a bounded few', async () => {
  const s = makeStandIns('netname: EXAMPLE\ncountry: ZZ');
  try {
    const h = await harness(
      `dummy sendmail-whois[dest=admin@pbx.example, sender=voipguard@pbx.example, sendmail=${s.sendmail}, whoispath=${s.whois}, whoismax=3]`,
    );
    for (let i = 0; i < 1000; i++) {
      await h.applyBan(ban(i, h.timers.now()));
      await h.advance(600, 600);
    }
    await h.advance(10 * 60_000);
    const mails = s.sendmailCalls();
    assert.ok(mails.length >= 2 && mails.length <= 4, `${mails.length} mails`);
    const listed = mails.flatMap((m) => [...splitMail(m.stdin).body.matchAll(/^(10\.\d+\.\d+\.\d+) until /gm)].map((x) => x[1]));
    assert.equal(new Set(listed).size, 1000, 'every banned address is in a mail');
    assert.ok(s.whoisCalls().length <= 3 * mails.length, 'whois is bounded per digest, not per ban');
    for (const m of mails) assert.deepEqual(m.argv, ['-t', '-oi', '-f', 'voipguard@pbx.example']);
  } finally {
    s.cleanup();
  }
});

async function closedPortUrl(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((res) => srv.close(() => res()));
  return `http://127.0.0.1:${port}/hook`;
}

for (const mode of ['error', 'refused', 'hang'] as const) {
  test(`a receiver that ${mode === 'error' ? 'answers HTTP 500' : mode === 'refused' ? 'refuses the connection' : 'never answers'} never delays a ban, and no address is lost`, async (t) => {
    const r = await startReceiver();
    try {
      r.mode = mode === 'refused' ? 'ok' : mode;
      const url = mode === 'refused' ? await closedPortUrl() : r.url;
      const h = await harness(`dummy webhook[url="${url}", timeout=60s, delay=1s, interval=1m]`);
      // the first ban starts a send that fails (or hangs) …
      await h.applyBan(ban(0, h.timers.now()));
      h.timers.advance(1000);
      if (mode === 'hang') await until(() => r.open.length === 1, 5000, 'the hanging request');
      else await until(() => !h.queue.busy, 5000, 'the failed send');
      // … and while it fails or hangs, 999 more bans are applied
      const took: number[] = [];
      for (let i = 1; i < 1000; i++) {
        const start = process.hrtime.bigint();
        await h.applyBan(ban(i, h.timers.now()));
        took.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      took.sort((a, b) => a - b);
      assert.equal(h.inKernel(), 1000, 'every ban reached the firewall');
      if (mode === 'hang') assert.equal(r.open.length, 1, 'while the receiver still had not answered');
      t.diagnostic(
        `ban application with the receiver ${mode}: median ${took[499]!.toFixed(3)} ms, p99 ${took[989]!.toFixed(3)} ms, max ${took[998]!.toFixed(3)} ms`,
      );

      // the receiver recovers; the queued bans go out on the retry schedule
      const bodiesBefore = r.bodies.length;
      if (mode === 'hang') {
        for (const res of r.open.splice(0)) res.destroy();
        await until(() => !h.queue.busy, 5000, 'the hung send to fail');
      }
      r.mode = 'ok';
      if (mode === 'refused') {
        // nothing listens there to recover; the failure is reported and every ban is kept for the retry
        assert.ok(h.records.some((x) => x.event === 'notify-failed' && x.code === 'VG_NOTIFY_SEND' && /ECONNREFUSED/.test(String(x.err))));
        assert.equal(h.queue.size, 1000, 'all 1,000 bans wait for the next attempt');
        return;
      }
      await h.advance(10 * 60_000, 5000);
      const ips = r.bodies.slice(bodiesBefore).flatMap((b) => (b as { body: { bans: { ip: string }[] } }).body.bans.map((x) => x.ip));
      assert.equal(new Set(ips).size, 1000, 'after recovery every address is delivered');
      const failed = h.records.filter((x) => x.event === 'notify-failed');
      assert.ok(failed.length >= 1);
      assert.ok(
        failed.every((x) => !String(x.err).includes('/hooks/')),
        'the URL path (a token) is never logged',
      );
    } finally {
      await r.close();
    }
  });
}

/** The daemon's own senders (app.ts passes the same). */
function realSenders() {
  const runner = new ExecaRunner();
  return {
    mailer: (o: SendmailOptions) => new SendmailMailer(o, runner),
    whois: (o: ExecWhoisOptions) => new ExecWhois(o, runner),
    poster: nodeHttpPoster,
  };
}
