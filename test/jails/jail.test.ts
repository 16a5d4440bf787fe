import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VoipguardError } from '../../src/core/errors.js';
import { Jail } from '../../src/jails/jail.js';
import { failure, MIN, settings, T0 } from './jail-kit.js';

const ATT = '203.0.113.5';

test('five wrong passwords from one IP within findtime ban it on the fifth, for bantime', () => {
  const j = new Jail(settings());
  for (let i = 0; i < 4; i++) assert.deepEqual(j.failure(failure(ATT, T0 + i * MIN), T0 + i * MIN), []);
  const d = j.failure(failure(ATT, T0 + 4 * MIN), T0 + 4 * MIN);
  assert.deepEqual(d, [{ type: 'ban', jail: 'asterisk', ip: ATT, time: T0 + 4 * MIN, until: T0 + 14 * MIN, banCount: 1, reason: 'detected', failures: 5 }]);
  // more failures while banned make no second ban
  assert.deepEqual(j.failure(failure(ATT, T0 + 5 * MIN), T0 + 5 * MIN), []);
});

test('loopback, ignoreip and the host itself are never banned, whatever matches them', () => {
  const j = new Jail(settings({ maxretry: 1, ignoreip: ['198.51.100.0/24'] }), { selfAddresses: ['192.0.2.1'] });
  for (const ip of ['127.0.0.1', '::1', '198.51.100.77', '192.0.2.1']) {
    assert.deepEqual(j.failure(failure(ip, T0), T0), [], ip);
  }
  assert.equal(j.status(T0).counters.ignored, 4);
  assert.equal(j.status(T0).totalFailed, 0);
});

test('ignoreself = false lets the host address be banned (loopback still not)', () => {
  const j = new Jail(settings({ maxretry: 1, ignoreself: false }), { selfAddresses: ['192.0.2.1'] });
  assert.equal(j.failure(failure('192.0.2.1', T0), T0).length, 1);
});

test('a failure dated further than maxskew from now (a forged or replayed line) is refused and counted, never counted at now', () => {
  const j = new Jail(settings({ maxretry: 2 }));
  assert.deepEqual(j.failure(failure(ATT, T0 + 365 * 24 * 60 * MIN), T0), []);
  assert.deepEqual(j.failure(failure(ATT, T0 - 2 * 60 * MIN), T0 + MIN), []);
  assert.deepEqual(j.failure(failure(ATT, T0 - 11 * MIN), T0), []);
  assert.equal(j.status(T0 + MIN).counters.clamped, 3);
  assert.equal(j.status(T0 + MIN).totalFailed, 0);
  // inside the window: counted at its time (a clock ahead at now); two of them ban
  assert.deepEqual(j.failure(failure(ATT, T0 - 9 * MIN), T0), []);
  assert.equal(j.failure(failure(ATT, T0 + 5 * MIN), T0).length, 1);
});

test('maxskew is the jail key that sets the window', () => {
  const j = new Jail({ ...settings({ maxretry: 1 }), maxskew: 60_000 });
  assert.deepEqual(j.failure(failure(ATT, T0 - 2 * MIN), T0), []);
  assert.equal(j.status(T0).counters.clamped, 1);
  assert.equal(j.failure(failure(ATT, T0 - 30_000), T0).length, 1);
});

test('tick unbans what expired, exactly at its end, and nothing before', () => {
  const j = new Jail(settings({ maxretry: 1 }));
  j.failure(failure(ATT, T0), T0);
  assert.deepEqual(j.tick(T0 + 10 * MIN - 1), []);
  assert.deepEqual(j.tick(T0 + 10 * MIN), [{ type: 'unban', jail: 'asterisk', ip: ATT, time: T0 + 10 * MIN, reason: 'expired' }]);
  assert.deepEqual(j.tick(T0 + 20 * MIN), []);
  assert.equal(j.isBanned(ATT), false);
});

test('permanent bans never expire', () => {
  const j = new Jail(settings({ maxretry: 1, bantime: -1 }));
  const [d] = j.failure(failure(ATT, T0), T0);
  assert.equal(d?.type === 'ban' ? d.until : 'no ban', null);
  assert.deepEqual(j.tick(T0 + 1000 * 24 * 60 * MIN), []);
  assert.equal(j.isBanned(ATT), true);
});

test('a manual ban and unban come out as the same decisions as detected ones', () => {
  const j = new Jail(settings());
  assert.deepEqual(j.ban(' 2001:DB8::5 ', T0), [
    { type: 'ban', jail: 'asterisk', ip: '2001:db8::5', time: T0, until: T0 + 10 * MIN, banCount: 1, reason: 'manual', failures: 0 },
  ]);
  assert.deepEqual(j.ban('2001:db8::5', T0), [], 'already banned');
  assert.equal(j.ban(ATT, T0, { duration: -1 })[0]!.until, null);
  assert.deepEqual(j.unban('2001:db8:0::5', T0 + 1), [{ type: 'unban', jail: 'asterisk', ip: '2001:db8::5', time: T0 + 1, reason: 'manual' }]);
  assert.deepEqual(j.unban('2001:db8::5', T0 + 2), []);
});

test('manual bans refuse non-addresses and addresses voipguard never bans', () => {
  const j = new Jail(settings(), { selfAddresses: ['192.0.2.1'] });
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as VoipguardError).code;
    }
    return 'none';
  };
  assert.equal(
    code(() => j.ban('1.2.3.4; rm -rf /', T0)),
    'VG_BAD_IP',
  );
  assert.equal(
    code(() => j.ban('-j ACCEPT', T0)),
    'VG_BAD_IP',
  );
  assert.equal(
    code(() => j.ban('127.0.0.2', T0)),
    'VG_IGNORED_IP',
  );
  assert.equal(
    code(() => j.ban('192.0.2.1', T0)),
    'VG_IGNORED_IP',
  );
  assert.equal(
    code(() => j.unban('nonsense', T0)),
    'VG_BAD_IP',
  );
});

test('ignore entries added at run time stop counting; removed ones count again', () => {
  const j = new Jail(settings({ maxretry: 1 }));
  assert.equal(j.addIgnore('203.0.113.0/24'), true);
  assert.deepEqual(j.failure(failure(ATT, T0), T0), []);
  assert.equal(j.delIgnore('203.0.113.0/24'), true);
  assert.equal(j.failure(failure(ATT, T0), T0).length, 1);
  assert.throws(
    () => j.addIgnore('not-an-ip'),
    (e: unknown) => e instanceof VoipguardError && e.code === 'VG_BAD_IP',
  );
});

test('repeat offenders: the history decides banCount and, with increment, the length', () => {
  const history = new Map<string, number>([[ATT, 2]]);
  const calls: (string | null)[] = [];
  const deps = { history: (ip: string, jail: string | null) => (calls.push(jail), history.get(ip) ?? 0) };
  const j = new Jail(
    settings({ maxretry: 1, increment: { enabled: true, factor: 1, multipliers: [], maxtime: null, rndtime: null, overalljails: true } }),
    deps,
  );
  const d = j.failure(failure(ATT, T0), T0)[0]!;
  assert.equal(d.type === 'ban' && d.banCount, 3);
  assert.equal(d.type === 'ban' && d.until, T0 + 40 * MIN);
  assert.deepEqual(calls, [null], 'overalljails asks about every jail');
});

test('restore: active bans come back as restored decisions, expired ones go at the next tick, now-ignored ones are dropped', () => {
  const j = new Jail(settings({ ignoreip: ['10.0.0.0/8'] }));
  const rec = (ip: string, until: number | null) => ({ jail: 'asterisk', ip, start: T0 - 5 * MIN, until, banCount: 2, reason: 'detected' as const });
  const out = j.restore(
    [rec(ATT, T0 + 5 * MIN), rec('198.51.100.1', T0 - MIN), rec('192.0.2.9', null), rec('10.1.1.1', T0 + MIN), { ...rec('192.0.2.50', null), jail: 'other' }],
    T0,
  );
  assert.deepEqual(out, [
    { type: 'ban', jail: 'asterisk', ip: ATT, time: T0 - 5 * MIN, until: T0 + 5 * MIN, banCount: 2, reason: 'restored', failures: 0 },
    { type: 'ban', jail: 'asterisk', ip: '192.0.2.9', time: T0 - 5 * MIN, until: null, banCount: 2, reason: 'restored', failures: 0 },
    { type: 'unban', jail: 'asterisk', ip: '10.1.1.1', time: T0, reason: 'reload' },
  ]);
  assert.deepEqual(
    j.tick(T0).map((d) => d.ip),
    ['198.51.100.1'],
  );
  assert.deepEqual(
    j.tick(T0 + 5 * MIN).map((d) => d.ip),
    [ATT],
  );
  assert.equal(j.status(T0 + 5 * MIN).currentlyBanned, 1);
});

test("status gives fail2ban's numbers and the counters", () => {
  const j = new Jail(settings({ maxretry: 3 }), { maxTracked: 2 });
  j.failure(failure('192.0.2.1', T0), T0);
  j.failure(failure('192.0.2.2', T0), T0);
  j.failure(failure('192.0.2.3', T0), T0); // evicts .1; the attacker's first failure evicts .2, its ban forgets it
  for (let i = 0; i < 3; i++) j.failure(failure(ATT, T0 + i), T0 + i);
  const s = j.status(T0 + 5);
  assert.deepEqual(
    { failed: s.currentlyFailed, total: s.totalFailed, banned: s.currentlyBanned, totalBanned: s.totalBanned, evicted: s.counters.evicted },
    { failed: 1, total: 6, banned: 1, totalBanned: 1, evicted: 2 },
  );
  assert.deepEqual(
    s.banned.map((b) => [b.ip, b.start, b.until]),
    [[ATT, T0 + 2, T0 + 2 + 10 * MIN]],
  );
});
