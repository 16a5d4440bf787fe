import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AmiFrameParser, formatAction, type AmiPair } from '../../src/sources/ami-wire.js';
import { VoipguardError } from '../../src/core/errors.js';

function collect(limits?: { maxLineLength: number; maxFields: number }) {
  const out = { banners: [] as string[], frames: [] as AmiPair[][], malformed: [] as number[] };
  const p = new AmiFrameParser(
    {
      banner: (t) => out.banners.push(t),
      frame: (f) => out.frames.push(f),
      malformed: (_f, bad) => out.malformed.push(bad),
    },
    limits,
  );
  return { p, out };
}

const STREAM =
  'Asterisk Call Manager/9.0.0\r\n' +
  'Response: Success\r\nActionID: voipguard-1\r\nMessage: Authentication accepted\r\n\r\n' +
  'Event: ChallengeResponseFailed\r\nPrivilege: security,all\r\nAccountID: <ünknown>\r\n' +
  'RemoteAddress: IPV4/TLS/192.0.2.2/30245\r\nResponse: 8e181448412899ccb20ea585efc8bab0\r\nExpectedResponse: \r\n\r\n';

test('the stream parses the same whichever character it is split at', () => {
  const whole = collect();
  whole.p.push(STREAM);
  assert.equal(whole.out.frames.length, 2);
  for (let i = 1; i < STREAM.length; i++) {
    const c = collect();
    c.p.push(STREAM.slice(0, i));
    c.p.push(STREAM.slice(i));
    assert.deepEqual(c.out, whole.out, `split at ${i}`);
  }
});

test('fields keep their order and duplicates; blanks after the colon go, trailing ones stay', () => {
  const { p, out } = collect();
  p.push('Asterisk Call Manager/9.0.0\nEvent: X\nRemoteAddress: IPV4/UDP/6.6.6.6/1\nSessionID:  a b \nRemoteAddress:IPV4/UDP/203.0.113.9/5060\nExpectedResponse: \n\n');
  assert.deepEqual(out.frames[0], [
    ['Event', 'X'],
    ['RemoteAddress', 'IPV4/UDP/6.6.6.6/1'],
    ['SessionID', 'a b '],
    ['RemoteAddress', 'IPV4/UDP/203.0.113.9/5060'],
    ['ExpectedResponse', ''],
  ]);
});

test('a peer that does not greet like Asterisk is refused', () => {
  const { p } = collect();
  assert.throws(() => p.push('HTTP/1.1 400 Bad Request\r\n'), (e: unknown) => e instanceof VoipguardError && e.code === 'VG_AMI_PROTOCOL');
});

test('a block with garbage lines is reported, not delivered, and the next block is clean', () => {
  const { p, out } = collect();
  p.push('Asterisk Call Manager/9.0.0\r\nEvent: FailedACL\r\n\u0000\u0001garbage\r\n: no key\r\nRemoteAddress: IPV4/UDP/1.2.3.4/5\r\n\r\n');
  p.push('Event: InvalidPassword\r\n\r\n');
  assert.deepEqual(out.malformed, [2]);
  assert.deepEqual(out.frames, [[['Event', 'InvalidPassword']]]);
});

test('an endless line is fatal once it passes the cap, before it is buffered further', () => {
  const { p } = collect({ maxLineLength: 100, maxFields: 10 });
  p.push('Asterisk Call Manager/9.0.0\r\nEvent: ');
  p.push('x'.repeat(90));
  assert.throws(() => p.push('x'.repeat(20)), /longer than 100/);
  const q = collect({ maxLineLength: 100, maxFields: 10 });
  assert.throws(() => q.p.push('Asterisk Call Manager/9.0.0\r\nEvent: ' + 'y'.repeat(200) + '\r\n'), /longer than 100/);
});

test('a block with too many lines is fatal', () => {
  const { p } = collect({ maxLineLength: 100, maxFields: 10 });
  p.push('Asterisk Call Manager/9.0.0\r\n');
  assert.throws(() => p.push('K: v\r\n'.repeat(11)), /longer than 10 lines/);
});

test('actions are written in order; a line break in a value (header injection) is refused without echoing it', () => {
  assert.equal(formatAction([['Action', 'Ping'], ['ActionID', 'a1']]), 'Action: Ping\r\nActionID: a1\r\n\r\n');
  assert.throws(
    () => formatAction([['Action', 'Login'], ['Secret', 'pw\r\nEvents: on']]),
    (e: unknown) => e instanceof VoipguardError && e.code === 'VG_AMI_PROTOCOL' && !e.message.includes('pw'),
  );
  assert.throws(() => formatAction([['Bad: key', 'x']]), /not a header name/);
});
