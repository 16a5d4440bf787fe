import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AMI_MAX_SKEW_MS, AmiFailureFilter } from '../../src/filters/ami-failures.js';
import { DEFAULT_MAX_SKEW } from '../../src/jails/jail.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import type { AmiEvent } from '../../src/core/types.js';

const ev = (fields: Array<[string, string]>, receivedAt = 5_000): AmiEvent => ({ fields, receivedAt });
const base = (name: string, tv: string): Array<[string, string]> => [
  ['Event', name],
  ['Privilege', 'security,all'],
  ['EventTV', tv],
  ['Severity', 'Error'],
  ['Service', 'AMI'],
  ['EventVersion', '2'],
  ['AccountID', 'admin'],
  ['SessionID', '0x7f3a2c001a40'],
  ['LocalAddress', 'IPV4/TCP/0.0.0.0/5038'],
  ['RemoteAddress', 'IPV4/TCP/203.0.113.77/51514'],
];

test('an AMI InvalidPassword becomes the same Failure record a log filter yields, with origin ami', () => {
  const received = Date.UTC(2026, 2, 1, 10, 18, 41);
  const f = new AmiFailureFilter({ log: memoryLogger().log }).toFailure(ev(base('InvalidPassword', '2026-03-01T10:18:40.771+0000'), received));
  assert.deepEqual(f, {
    ip: '203.0.113.77',
    time: Date.UTC(2026, 2, 1, 10, 18, 40, 771),
    kind: 'InvalidPassword',
    origin: 'ami',
    source: 'ami',
    service: 'AMI',
    transport: 'TCP',
    account: 'admin',
    sessionId: '0x7f3a2c001a40',
  });
});

test('EventTV in both forms: 12+ ISO with offset, and Asterisk 11 sec-usec (usec not zero-padded)', () => {
  const filter = new AmiFailureFilter({ log: memoryLogger().log });
  // received within the clamp window of the EventTV: the EventTV is the time
  const iso = filter.toFailure(ev(base('FailedACL', '2015-05-24T08:42:16.296+0300'), Date.UTC(2015, 4, 24, 5, 43)));
  assert.equal(iso?.time, Date.UTC(2015, 4, 24, 5, 42, 16, 296));
  assert.equal(filter.toFailure(ev(base('FailedACL', '1389368346-80526'), 1389368350_000))?.time, 1389368346_080);
  assert.equal(filter.toFailure(ev(base('FailedACL', 'yesterday')))?.time, 5_000, 'unreadable: the receive time');
});

test('the jail event set decides; ChallengeSent and SuccessfulAuth never count; the rest is tallied', () => {
  const filter = new AmiFailureFilter({ log: memoryLogger().log, events: ['InvalidPassword', 'ChallengeSent', 'SuccessfulAuth'] });
  assert.equal(filter.toFailure(ev(base('FailedACL', '1389368346-80526'))), null);
  assert.equal(filter.toFailure(ev(base('ChallengeSent', '1389368346-80526'))), null);
  assert.equal(filter.toFailure(ev(base('SuccessfulAuth', '1389368346-80526'))), null);
  assert.ok(filter.toFailure(ev(base('InvalidPassword', '1389368346-80526'))));
  const noAddr = base('InvalidPassword', '1').filter(([k]) => k !== 'RemoteAddress');
  assert.equal(filter.toFailure(ev(noAddr)), null);
  assert.deepEqual(filter.stats(), { events: 5, failures: 1, hostile: 0, eventTvIgnored: 1, notAFailure: 3, badAddress: 1 });
});

test('a CR/LF planted through an unescaped AccountID (a second RemoteAddress before the real one) is hostile, the real one wins', () => {
  const { log, records } = memoryLogger();
  const filter = new AmiFailureFilter({ log, jail: 'asterisk' });
  const fields = base('InvalidAccountID', '2026-03-01T10:15:30.123+0000');
  fields.splice(7, 0, ['RemoteAddress', 'IPV4/UDP/6.6.6.6/1']); // where AccountID's injected line would sit
  const f = filter.toFailure(ev(fields));
  assert.equal(f?.ip, '203.0.113.77');
  assert.equal(filter.stats().hostile, 1);
  assert.equal(records.filter((r) => r.event === 'ami-hostile-event' && r.level === 'warn' && r.jail === 'asterisk').length, 1);
});

test('an EventTV further than the clamp window from the receive time is ignored: the attempt counts at the receive time', () => {
  const now = Date.UTC(2026, 2, 1, 10, 18, 41);
  const filter = new AmiFailureFilter({ log: memoryLogger().log });
  // a planted `EventTV: 100000000-1` would make the attempt 50 years old and drop it as stale
  const far = ['100000000-1', '2099-01-01T00:00:00.000+0000', '1970-01-01T00:00:00.000+0000', '2026-03-01T10:28:42.000+0000', '2026-03-01T10:08:40.000+0000'];
  for (const tv of far) {
    const f = filter.toFailure(ev(base('InvalidPassword', tv), now));
    assert.equal(f?.time, now, tv);
    assert.equal(f?.ip, '203.0.113.77', tv);
  }
  assert.equal(filter.stats().eventTvIgnored, 5);
  // inside the window (a slow clock, a queue): the EventTV stands
  assert.equal(filter.toFailure(ev(base('InvalidPassword', '2026-03-01T10:09:42.000+0000'), now))?.time, Date.UTC(2026, 2, 1, 10, 9, 42));
  assert.equal(filter.stats().eventTvIgnored, 5);
  assert.equal(AMI_MAX_SKEW_MS, DEFAULT_MAX_SKEW, "the AMI clamp is the jail's clamp window");
});
