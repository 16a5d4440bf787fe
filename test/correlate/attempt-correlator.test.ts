import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AttemptCorrelator } from '../../src/correlate/attempt-correlator.js';
import type { Failure } from '../../src/core/types.js';

const T0 = Date.UTC(2026, 2, 1, 10, 15, 30);
const IP = '203.0.113.50';
const SEC = '/var/log/asterisk/security';
const MSG = '/var/log/asterisk/messages';

const ami = (kind: string, sessionId: string | undefined, time: number, service = 'PJSIP', ip = IP): Failure => ({
  ip,
  time,
  kind,
  origin: 'ami',
  source: 'ami',
  service,
  ...(sessionId !== undefined ? { sessionId } : {}),
});
const secLine = (kind: string, sessionId: string | undefined, time: number, service = 'PJSIP', ip = IP): Failure => ({
  ...ami(kind, sessionId, time, service, ip),
  origin: 'log',
  source: SEC,
});
const pjsipNotice = (reason: string, callid: string | undefined, time: number, ip = IP): Failure => ({
  ip,
  time,
  kind: 'pjsip-request',
  origin: 'log',
  source: MSG,
  service: 'PJSIP',
  ...(callid !== undefined ? { sessionId: callid } : {}),
  line: `[2026-03-01 10:15:30] NOTICE[4711] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '<sip:1001@198.51.100.10>' failed for '${ip}:5072' (callid: ${callid ?? 'x'}) - ${reason}`,
});
const managerNotice = (text: string, time: number, ip = IP): Failure => ({
  ip,
  time,
  kind: 'manager-auth',
  origin: 'log',
  source: MSG,
  service: 'AMI',
  line: `[2026-03-01 10:15:30] NOTICE[4711] manager.c: ${ip} ${text}`,
});

function feed(c: AttemptCorrelator, fs: Failure[], now = T0): number {
  return fs.filter((f) => c.accept(f, now)).length;
}

test('a brute-forcer sending ten attempts a second through one source is counted ten times, even with one reused pointer SessionID', () => {
  const c = new AttemptCorrelator();
  const tries = Array.from({ length: 10 }, (_, i) => ami('InvalidPassword', '0x7f3a2c001a40', T0 + i * 100, 'AMI'));
  assert.equal(feed(c, tries), 10);
  const notices = Array.from({ length: 10 }, (_, i) => pjsipNotice('Failed to authenticate', undefined, T0 + i * 100));
  assert.equal(feed(new AttemptCorrelator(), notices), 10, 'NOTICE lines without an id are never merged with each other');
});

test('a PJSIP REGISTER for an unknown user, seen through AMI, the security log and the notice log, counts once', () => {
  const c = new AttemptCorrelator();
  const id = '5f1c2a9e7b@203.0.113.50';
  const signals = [
    ami('InvalidAccountID', id, T0),
    ami('InvalidAccountID', id, T0 + 3),
    ami('ChallengeResponseFailed', id, T0 + 5),
    secLine('InvalidAccountID', id, T0),
    secLine('InvalidAccountID', id, T0 + 3),
    secLine('ChallengeResponseFailed', id, T0 + 5),
    pjsipNotice('No matching endpoint found', id, T0),
    pjsipNotice('No matching endpoint found', id, T0),
    pjsipNotice('Failed to authenticate', id, T0),
  ];
  assert.equal(feed(c, signals), 1);
  assert.deepEqual(c.stats(), {
    signals: 9,
    attempts: 1,
    merged: { sameId: 8, samePointer: 0, crossSource: 0, loginPair: 0 },
    tracked: 1,
    evicted: 0,
  });
});

test('notice lines without a Call-ID still pair with AMI events one to one, also when read late', () => {
  const c = new AttemptCorrelator();
  const amiEvents: Failure[] = [];
  const notices: Failure[] = [];
  for (let i = 0; i < 10; i++) {
    const id = `call-${i}`;
    const t = T0 + i * 100;
    amiEvents.push(ami('InvalidAccountID', id, t), ami('InvalidAccountID', id, t + 2), ami('ChallengeResponseFailed', id, t + 4));
    // notice times have whole seconds only
    const tl = Math.floor(t / 1000) * 1000;
    notices.push(
      pjsipNotice('No matching endpoint found', undefined, tl),
      pjsipNotice('No matching endpoint found', undefined, tl),
      pjsipNotice('Failed to authenticate', undefined, tl),
    );
  }
  assert.equal(feed(c, amiEvents, T0), 10);
  assert.equal(feed(c, notices, T0 + 5000), 0, 'the log lines read 5 s later are the same ten attempts');
  assert.equal(c.stats().merged.crossSource, 30);
});

test('a brute-forcer reusing one Call-ID for every guess is still counted once per guess', () => {
  const c = new AttemptCorrelator();
  const guesses: Failure[] = [];
  for (let i = 0; i < 5; i++) guesses.push(ami('ChallengeResponseFailed', 'same-call-id', T0 + i * 50));
  for (let i = 0; i < 5; i++) guesses.push(pjsipNotice('Failed to authenticate', 'same-call-id', T0 + i * 50));
  assert.equal(feed(c, guesses), 5);
  // enumeration under one Call-ID: at most two InvalidAccountID per attempt (the most one REGISTER makes)
  const e = new AttemptCorrelator();
  assert.equal(
    feed(
      e,
      Array.from({ length: 10 }, (_, i) => ami('InvalidAccountID', 'enum', T0 + i * 10)),
    ),
    5,
  );
});

test('a pointer SessionID ties signals only within a few milliseconds: chan_sip doubled FailedACL counts once, a reuse 1 s later is a new attempt', () => {
  const c = new AttemptCorrelator();
  assert.equal(feed(c, [ami('FailedACL', '0x88aab6c', T0, 'SIP'), ami('FailedACL', '0x88aab6c', T0 + 1, 'SIP')]), 1);
  assert.equal(feed(c, [ami('FailedACL', '0x88aab6c', T0 + 1000, 'SIP')]), 1);
  // the security-log copy of the first event still finds its twin, not the later reuse
  assert.equal(feed(c, [secLine('FailedACL', '0x88aab6c', T0, 'SIP'), secLine('FailedACL', '0x88aab6c', T0 + 1, 'SIP')]), 0);
  assert.equal(c.stats().attempts, 2);
});

test('an AMI login with an unknown user: InvalidAccountID and both manager.c lines count once; the log alone counts once too', () => {
  const c = new AttemptCorrelator();
  const signals = [
    ami('InvalidAccountID', '0x7fb580001518', T0 + 120, 'AMI'),
    managerNotice("tried to authenticate with nonexistent user 'admin'", T0),
    managerNotice("failed to authenticate as 'admin'", T0 + 1000),
    secLine('InvalidAccountID', '0x7fb580001518', T0 + 120, 'AMI'),
  ];
  assert.equal(feed(c, signals), 1);
  const logOnly = new AttemptCorrelator();
  const lines: Failure[] = [];
  for (let i = 0; i < 4; i++) {
    lines.push(managerNotice(`tried to authenticate with nonexistent user 'u${i}'`, T0 + i * 1000));
    lines.push(managerNotice(`failed to authenticate as 'u${i}'`, T0 + i * 1000));
  }
  assert.equal(feed(logOnly, lines), 4);
  assert.equal(logOnly.stats().merged.loginPair, 4);
  const wrongSecret = Array.from({ length: 3 }, (_, i) => managerNotice("failed to authenticate as 'admin'", T0 + i * 1000));
  assert.equal(feed(new AttemptCorrelator(), wrongSecret), 3, 'wrong secrets write one line each: never paired together');
});

test('across sources, a different class, address or service, or a time beyond the window, stays a separate attempt', () => {
  const c = new AttemptCorrelator({ crossWindowMs: 2000 });
  assert.equal(feed(c, [ami('InvalidAccountID', undefined, T0)]), 1);
  assert.equal(feed(c, [pjsipNotice('Failed to authenticate', undefined, T0)]), 1, 'another class');
  assert.equal(feed(c, [pjsipNotice('No matching endpoint found', undefined, T0, '203.0.113.51')]), 1, 'another address');
  assert.equal(feed(c, [managerNotice("tried to authenticate with nonexistent user 'x'", T0)]), 1, 'another service');
  assert.equal(feed(c, [pjsipNotice('No matching endpoint found', undefined, T0 + 2001)]), 1, 'beyond the window');
  assert.equal(feed(c, [pjsipNotice('No matching endpoint found', undefined, T0 + 1500)]), 0, 'within it');
});

test('two different Call-IDs are two attempts, whatever else they share', () => {
  const c = new AttemptCorrelator();
  assert.equal(feed(c, [ami('InvalidAccountID', 'call-a', T0), pjsipNotice('No matching endpoint found', 'call-b', T0)]), 2);
});

test('the same notice line read from two files (two sources) counts once', () => {
  const c = new AttemptCorrelator();
  const a = { ...managerNotice("failed to authenticate as 'admin'", T0), source: '/var/log/asterisk/full' };
  assert.equal(feed(c, [managerNotice("failed to authenticate as 'admin'", T0), a, ami('InvalidPassword', '0x1', T0, 'AMI')]), 1);
});

test('switched off, every signal counts; manual failures are never merged', () => {
  const off = new AttemptCorrelator({ enabled: false });
  const id = 'x@y';
  assert.equal(feed(off, [ami('InvalidAccountID', id, T0), secLine('InvalidAccountID', id, T0)]), 2);
  assert.deepEqual(off.stats().merged, { sameId: 0, samePointer: 0, crossSource: 0, loginPair: 0 });
  const on = new AttemptCorrelator();
  const manual: Failure = { ip: IP, time: T0, kind: 'manual', origin: 'manual', source: 'cli' };
  assert.equal(feed(on, [manual, manual]), 2);
});

test('memory is bounded: attempts expire by wall time, and per-address and total caps evict the oldest', () => {
  const c = new AttemptCorrelator({ retainMs: 30_000, maxPerIp: 8, maxAttempts: 1000 });
  for (let i = 0; i < 100; i++) c.accept(ami('InvalidPassword', undefined, T0 + i, 'AMI'), T0);
  assert.equal(c.stats().tracked, 8);
  for (let i = 0; i < 200_000; i++) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    c.accept(ami('InvalidPassword', `0x${i.toString(16)}`, T0 + i, 'AMI', ip), T0 + 10);
  }
  assert.equal(c.stats().tracked, 1000);
  assert.equal(c.stats().attempts, 200_100);
  c.accept(ami('InvalidPassword', undefined, T0, 'AMI', '192.0.2.1'), T0 + 30_011);
  assert.equal(c.stats().tracked, 1, 'everything older than retainMs is gone');
  // an expired attempt no longer absorbs its twin
  assert.equal(c.accept(secLine('InvalidPassword', '0x0', T0, 'AMI', '10.0.0.0'), T0 + 30_011), true);
});

test('a spray of new addresses past maxAttempts keeps no evicted attempt (nor the line its address was cut from)', () => {
  const c = new AttemptCorrelator({ maxAttempts: 1000 });
  for (let i = 0; i < 5000; i++) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    c.accept(secLine('InvalidPassword', undefined, T0 + i, 'PJSIP', ip), T0 + 1);
  }
  assert.equal(c.stats().tracked, 1000);
  assert.equal(c.stats().evicted, 4000);
  // every evicted attempt is out of the queue's slots: only the live ones are still referenced
  assert.equal(c.held, 1000);
});

test('attempts evicted behind a live one (one address past maxPerIp) do not pile up in memory', () => {
  const c = new AttemptCorrelator({ maxAttempts: 1000, maxPerIp: 10 });
  // the oldest attempt stays live, so evicted ones behind it are never passed by the expiry head
  c.accept(secLine('InvalidPassword', undefined, T0, 'PJSIP', '198.51.100.1'), T0);
  for (let i = 1; i <= 20_000; i++) assert.equal(c.accept(secLine('InvalidPassword', undefined, T0 + i, 'PJSIP', IP), T0 + 1), true);
  assert.equal(c.stats().tracked, 11);
  assert.ok(c.queued <= 2 * 1000 + 1024, `queued ${c.queued}`);
});
