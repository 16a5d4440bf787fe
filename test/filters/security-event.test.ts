import { test } from 'node:test';
import assert from 'node:assert/strict';
import { securityEventToFailure, parseAsteriskAddress, parseEventTv } from '../../src/filters/security-event.js';

const ctx = { origin: 'ami' as const, source: 'ami', fallbackTime: 42 };

test('InvalidAccountID over PJSIP yields the RemoteAddress, transport, account and Call-ID', () => {
  const r = securityEventToFailure(
    [
      ['Event', 'InvalidAccountID'],
      ['Privilege', 'security,all'],
      ['EventTV', '2026-03-01T10:15:30.123+0000'],
      ['Severity', 'Error'],
      ['Service', 'PJSIP'],
      ['EventVersion', '1'],
      ['AccountID', '1001'],
      ['SessionID', '5f1c2a9e7b@203.0.113.50'],
      ['LocalAddress', 'IPV4/UDP/198.51.100.10/5060'],
      ['RemoteAddress', 'IPV4/UDP/203.0.113.50/5072'],
    ],
    ctx,
  );
  assert.deepEqual(r.failure, {
    ip: '203.0.113.50',
    time: Date.UTC(2026, 2, 1, 10, 15, 30, 123),
    kind: 'InvalidAccountID',
    origin: 'ami',
    source: 'ami',
    service: 'PJSIP',
    transport: 'UDP',
    account: '1001',
    sessionId: '5f1c2a9e7b@203.0.113.50',
  });
  assert.deepEqual(r.duplicateKeys, []);
});

test('a planted RemoteAddress before the real one is ignored: the last one wins and the event is flagged', () => {
  const r = securityEventToFailure(
    [
      ['Event', 'InvalidAccountID'],
      ['AccountID', 'x'],
      ['RemoteAddress', 'IPV4/UDP/6.6.6.6/1'],
      ['SessionID', 'y'],
      ['RemoteAddress', 'IPV4/UDP/203.0.113.9/5060'],
    ],
    ctx,
  );
  assert.equal(r.failure?.ip, '203.0.113.9');
  assert.deepEqual(r.duplicateKeys, ['remoteaddress']);
});

test('ChallengeSent and SuccessfulAuth are never failures, even when configured', () => {
  for (const name of ['ChallengeSent', 'SuccessfulAuth']) {
    const r = securityEventToFailure(
      [
        ['Event', name],
        ['RemoteAddress', 'IPV4/UDP/203.0.113.9/5060'],
      ],
      {
        ...ctx,
        events: new Set([name]),
      },
    );
    assert.equal(r.failure, null);
  }
});

test('an event name not in the jail set is not a failure; a later Event key cannot rename it', () => {
  const r = securityEventToFailure(
    [
      ['Event', 'SessionLimit'],
      ['Event', 'InvalidPassword'],
      ['RemoteAddress', 'IPV4/TCP/203.0.113.9/1'],
    ],
    ctx,
  );
  assert.equal(r.failure, null);
});

test('address forms: with and without transport, IPv6 unbracketed, mismatched family refused', () => {
  assert.deepEqual(parseAsteriskAddress('IPV4/203.0.113.5/5060'), { ip: '203.0.113.5', transport: null, port: 5060 });
  assert.deepEqual(parseAsteriskAddress('IPV6/UDP/2001:db8::1/5060'), { ip: '2001:db8::1', transport: 'UDP', port: 5060 });
  assert.equal(parseAsteriskAddress('IPV4/UDP/2001:db8::1/5060'), null);
  assert.equal(parseAsteriskAddress('IPV4/UDP/evil.example/5060'), null);
  assert.equal(parseAsteriskAddress('IPV4/UDP/1.2.3.4/5060/extra/x'), null);
  assert.equal(parseAsteriskAddress('IPV4/UDP/1.2.3.4/70000'), null);
});

test('EventTV in both Asterisk forms', () => {
  assert.equal(parseEventTv('2015-05-24T08:42:16.296+0300'), Date.UTC(2015, 4, 24, 5, 42, 16, 296));
  assert.equal(parseEventTv('1368439853-500975'), 1368439853500);
  assert.equal(parseEventTv('1389368346-80526'), 1389368346080);
  assert.equal(parseEventTv('yesterday'), null);
});

test('EventTV: the 28-character form read digit by digit gives what the full grammar gives', () => {
  // the reference: the same grammar, read the slow way
  const slow = (s: string): number | null => {
    const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})([+-])(\d{2})(\d{2})$/.exec(s);
    if (!m) return null;
    const off = (Number(m[9]) * 60 + Number(m[10])) * 60_000 * (m[8] === '-' ? -1 : 1);
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), Number(m[7])) - off;
  };
  let seed = 7;
  const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
  const p = (n: number, w: number): string => String(n).padStart(w, '0');
  for (let i = 0; i < 2000; i++) {
    const s = `${p(1970 + rnd(90), 4)}-${p(1 + rnd(12), 2)}-${p(1 + rnd(28), 2)}T${p(rnd(24), 2)}:${p(rnd(60), 2)}:${p(rnd(60), 2)}.${p(rnd(1000), 3)}${rnd(2) ? '+' : '-'}${p(rnd(15), 2)}${p(rnd(4) * 15, 2)}`;
    assert.equal(parseEventTv(s), slow(s), s);
  }
  // not the fast form: the general grammar still reads or refuses them
  assert.equal(parseEventTv('2015-05-24T08:42:16.2+03:00'), Date.UTC(2015, 4, 24, 5, 42, 16, 200));
  assert.equal(parseEventTv('2015-05-24T08:42:1x.296+0300'), null);
  assert.equal(parseEventTv('2015-05-24T08:42:16.296*0300'), null);
  assert.equal(parseEventTv(' 2015-05-24T08:42:16.296+0300 '), Date.UTC(2015, 4, 24, 5, 42, 16, 296));
});
