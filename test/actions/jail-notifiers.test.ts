import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNamedArgsList } from '../../src/config/named-args.js';
import { VoipguardErrors } from '../../src/core/errors.js';
import { packageRoot } from '../../src/core/paths.js';
import type { BanDecision, Decision, Failure } from '../../src/core/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { NoopMetrics } from '../../src/metrics/noop-metrics.js';
import { loadJailNotifiers, withNotifiers } from '../../src/actions/jail-notifiers.js';
import { MemoryMailer } from '../fakes/memory-mailer.js';
import { MemoryPoster } from '../fakes/memory-poster.js';
import { MemoryWhois } from '../fakes/memory-whois.js';
import { ManualTimers } from '../../src/core/timers.js';
import { settledMemory } from '../helpers/settled-memory.js';

const T0 = Date.UTC(2026, 10, 21, 9, 0, 0);

function setup(line: string) {
  const timers = new ManualTimers(T0);
  const mailer = new MemoryMailer();
  const poster = new MemoryPoster();
  const n = loadJailNotifiers(
    { jail: 'asterisk', actions: parseNamedArgsList(line) },
    {
      configDir: packageRoot(),
      timers,
      clock: timers,
      log: silentLogger(),
      metrics: new NoopMetrics(),
      hostname: 'pbx1',
      mailer: () => mailer,
      poster,
      whois: () => new MemoryWhois(),
    },
  );
  return { timers, mailer, poster, n };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function failure(ip: string, line: string): Failure {
  return { ip, time: T0, kind: 'sip-register', origin: 'log', source: '/var/log/asterisk/messages', line };
}

function banOf(ip: string): BanDecision {
  return { type: 'ban', jail: 'asterisk', ip, time: T0, until: T0 + 600_000, banCount: 1, reason: 'detected', failures: 3 };
}

test('only the notification entries of an action line are loaded; firewall ones are left alone', () => {
  const { n } = setup('iptables[name=asterisk-udp, protocol=udp] sendmail-whois-lines[dest=admin@x.example] webhook[url="http://127.0.0.1:9/h"]');
  assert.deepEqual(
    n.actions.map((a) => a.config.action),
    ['sendmail-whois-lines', 'webhook'],
  );
});

test('sendmail-whois-lines mails the lines that led to the ban, and only those of that address', async () => {
  const { n, mailer, timers } = setup('sendmail-whois-lines[dest=admin@x.example]');
  for (let i = 1; i <= 3; i++) n.failure(failure('203.0.113.5', `Registration from '<sip:10${i}@pbx>' failed for '203.0.113.5:5060' - Wrong password`));
  n.failure(failure('203.0.113.9', 'another address'));
  n.decisions([banOf('203.0.113.5'), { type: 'unban', jail: 'asterisk', ip: '198.51.100.1', time: T0, reason: 'expired' }]);
  timers.advance(5000);
  await tick();
  assert.equal(mailer.sent.length, 1);
  const body = mailer.sent[0]!.body;
  assert.match(body, /sip:101@pbx.*\n.*sip:102@pbx.*\n.*sip:103@pbx/);
  assert.doesNotMatch(body, /another address|198\.51\.100\.1/);
});

test('withNotifiers queues bans before the firewall runs, keeps every other member, and flushes on stop', async () => {
  const { n, poster } = setup('webhook[url="http://127.0.0.1:9/h", delay=1h]');
  const order: string[] = [];
  const firewall = {
    held: new Set<string>(),
    async apply(ds: readonly Decision[], _now: number) {
      order.push(`firewall:${ds.length} queued:${n.actions[0]!.queue.size}`);
      for (const d of ds) this.held.add(d.ip);
    },
    async stop() {
      order.push('firewall-stop');
    },
    pending(): readonly string[] {
      return [...this.held];
    },
  };
  const wrapped = withNotifiers(firewall, n);
  await wrapped.apply([banOf('203.0.113.5')], T0);
  assert.deepEqual(order, ['firewall:1 queued:1']);
  assert.deepEqual(wrapped.pending(), ['203.0.113.5'], 'other members reach the original, bound to it');
  await wrapped.stop();
  assert.deepEqual(order, ['firewall:1 queued:1', 'firewall-stop']);
  assert.equal(poster.posts.length, 1, 'stop sent the queued ban at once, not after the 1 h delay');
  assert.equal(withNotifiers(firewall, setup('iptables').n), firewall, 'no notifiers: the same object back');
});

test('config mistakes of several notification actions are reported together', () => {
  assert.throws(
    () => setup('sendmail[sender="-oQ/tmp"] webhook[format=teams]'),
    (e: unknown) => e instanceof VoipguardErrors && e.errors.length === 2 && e.errors.every((x) => x.place.section === 'asterisk'),
  );
});

test('lines kept for a mail are cut to 2,000 characters and keep nothing of the rest: 2,000 addresses with a 60 KB line each stay under 8 KB apiece', () => {
  const { n } = setup('sendmail-whois-lines[dest=admin@x.example]');
  const long = (i: number): string => `Registration from '<sip:${i}@pbx>' failed for '203.0.113.5:5060' - ${'Wrong password '.repeat(4000)}`;
  const before = settledMemory();
  for (let i = 0; i < 2000; i++) n.failure(failure(`198.18.${i >> 8}.${i & 255}`, long(i)));
  const perAddress = (settledMemory() - before) / 2000;
  assert.ok(perAddress < 8192, `${Math.round(perAddress)} bytes per address`);
});
