import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSecurityEventText } from '../../src/filters/security-event-line.js';

const pairs = (text: string): Record<string, string> => Object.fromEntries(parseSecurityEventText(text)!.pairs);

test('an ordinary event: every field in Asterisk order, nothing hostile', () => {
  const r = parseSecurityEventText(
    'SecurityEvent="InvalidAccountID",EventTV="2026-03-01T10:15:30.123+0000",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="1001",SessionID="5f1c@203.0.113.50",LocalAddress="IPV4/UDP/198.51.100.10/5060",RemoteAddress="IPV4/UDP/203.0.113.50/5072"',
  )!;
  assert.deepEqual(r.pairs, [
    ['SecurityEvent', 'InvalidAccountID'],
    ['EventTV', '2026-03-01T10:15:30.123+0000'],
    ['Severity', 'Error'],
    ['Service', 'PJSIP'],
    ['EventVersion', '1'],
    ['AccountID', '1001'],
    ['SessionID', '5f1c@203.0.113.50'],
    ['LocalAddress', 'IPV4/UDP/198.51.100.10/5060'],
    ['RemoteAddress', 'IPV4/UDP/203.0.113.50/5072'],
  ]);
  assert.deepEqual(r.hostile, []);
});

test('a Call-ID planting LocalAddress and RemoteAddress stays one Call-ID; the last RemoteAddress wins', () => {
  const callId = '",LocalAddress="IPV4/UDP/127.0.0.1/5060",RemoteAddress="IPV4/UDP/5.6.7.8/1111"';
  const r = parseSecurityEventText(
    `SecurityEvent="InvalidAccountID",EventTV="x",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="7",SessionID="${callId}",LocalAddress="IPV4/UDP/1.2.3.4/5060",RemoteAddress="IPV4/UDP/10.250.251.252/5061"`,
  )!;
  const p = Object.fromEntries(r.pairs);
  assert.equal(p.SessionID, callId);
  assert.equal(p.RemoteAddress, 'IPV4/UDP/10.250.251.252/5061');
  assert.equal(p.LocalAddress, 'IPV4/UDP/1.2.3.4/5060');
  assert.deepEqual(r.hostile, ['duplicate-key:localaddress', 'duplicate-key:remoteaddress']);
});

test('the head fields are the first ones: a planted EventTV, Service or event name changes nothing', () => {
  const p = pairs(
    'SecurityEvent="FailedACL",EventTV="2026-03-01T10:00:00.000+0000",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="a",SessionID="b",SecurityEvent="SuccessfulAuth",EventTV="1999-01-01T00:00:00.000+0000",Service="AMI",LocalAddress="IPV4/UDP/1.2.3.4/5060",RemoteAddress="IPV4/UDP/203.0.113.5/5060"',
  );
  assert.equal(p.SecurityEvent, 'FailedACL');
  assert.equal(p.EventTV, '2026-03-01T10:00:00.000+0000');
  assert.equal(p.Service, 'PJSIP');
});

test('a line that ends in a planted RemoteAddress (cut by syslog or journald) has no address', () => {
  const head = 'SecurityEvent="InvalidAccountID",EventTV="x",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="a",SessionID="';
  for (const tail of [
    '",RemoteAddress="IPV4/UDP/6.6.6.6/1',
    '",RemoteAddress="IPV4/UDP/6.6.6.6/1",LocalAddress="IPV4/UDP/1.2.3.4/5060',
    '",LocalAddress="IPV4/UDP/1.2.3.4/5060",RemoteAddress="IPV4/UDP/6.6.6.6/1",SessionID="x"',
    '",LocalAddress="IPV4/UDP/1.2.3.4/5060",RemoteAddress="IPV4/UDP/6.6.6.6/1",Challenge="xxxxx',
  ]) {
    assert.equal(pairs(head + tail).RemoteAddress, undefined, tail);
  }
});

test("the event's own trailing fields may follow RemoteAddress, escaped quotes included", () => {
  const p = pairs(
    'SecurityEvent="ChallengeResponseFailed",EventTV="x",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="1",SessionID="2",LocalAddress="IPV4/UDP/1.2.3.4/5060",RemoteAddress="IPV4/UDP/203.0.113.5/5060",Challenge="1/2",Response="a\\",RemoteAddress=\\"IPV4/UDP/6.6.6.6/1",ExpectedResponse=""',
  );
  assert.equal(p.RemoteAddress, 'IPV4/UDP/203.0.113.5/5060');
});

test('only the name is read for an event the filter does not count', () => {
  const r = parseSecurityEventText('SecurityEvent="ChallengeSent",EventTV="x",RemoteAddress="IPV4/UDP/1.2.3.4/1"', new Set(['FailedACL']))!;
  assert.deepEqual(r.pairs, [['SecurityEvent', 'ChallengeSent']]);
  assert.equal(parseSecurityEventText('SecurityEvent=broken'), null);
});

// A regex with a lazy value over this tail backtracks exponentially: the test would never end.
test('a long planted tail of repeated fields, cut off, is refused without backtracking forever', { timeout: 10_000 }, () => {
  const head = 'SecurityEvent="InvalidAccountID",EventTV="x",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="a",SessionID="';
  const text = head + '",RemoteAddress="IPV4/UDP/6.6.6.6/1"' + ',Challenge="a"'.repeat(290) + ',Challenge="unterminated';
  assert.equal(pairs(text).RemoteAddress, undefined);
});
