import { afterEach, describe, test } from 'node:test';
import { createRequire } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { AmiClient, type AmiClientOptions } from '../../src/sources/ami-client.js';
import { AmiFailureFilter } from '../../src/filters/ami-failures.js';
import { MAX_UNTERMINATED } from '../../src/sources/ami-session.js';
import { ManualTimers } from '../../src/core/timers.js';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/core/backoff.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import type { AmiEvent } from '../../src/core/types.js';
import { FakeAmiServer, amiBlock, waitUntil } from '../helpers/fake-ami-server.js';

const SECRET = 's3cret-Pa55';

const INVALID_ACCOUNT: Array<[string, string]> = [
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
];

// a failed assertion must not leave a socket open and the test process hanging
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const d of cleanups.splice(0)) await d();
});

/** The fields as asterisk-manager hands them on: keys lowercased. */
const lower = (fields: ReadonlyArray<readonly [string, string]>) => fields.map(([k, v]) => [k.toLowerCase(), v]);

describe('AMI client (one session, on asterisk-manager)', () => {
  async function setup(server = new FakeAmiServer(), opts: Partial<AmiClientOptions> = {}, rng = () => 0.5) {
    await server.listen();
    const timers = new ManualTimers(1_000_000);
    const { log, records } = memoryLogger('trace');
    const client = new AmiClient({ host: '127.0.0.1', port: server.port, username: 'voipguard', secret: SECRET, ...opts }, { log, clock: timers, timers, rng });
    const events: AmiEvent[] = [];
    client.onEvent((e) => events.push(e));
    const done = async () => {
      await client.stop();
      await server.close();
    };
    cleanups.push(done);
    return { server, timers, client, events, records, done };
  }

  const connected = (c: AmiClient) => () => c.state().status === 'connected';

  test('it greets, logs in asking for the security class only (Events:, not Event:), and reports connected', async () => {
    const t = await setup();
    t.client.start();
    await waitUntil(connected(t.client), 'login');
    const [login] = t.server.actionsNamed('Login');
    // asterisk-manager writes its own login (sorted, `Event: off`, ignored by Asterisk), so the session
    // asks for the class with `Action: Events` before it reports connected
    const keys = login!.fields.map(([k]) => k);
    assert.deepEqual(keys, ['Action', 'ActionID', 'Event', 'Secret', 'Username']);
    const [events] = t.server.actionsNamed('Events');
    assert.deepEqual(
      events!.fields.find(([k]) => k.toLowerCase() === 'eventmask'),
      ['Eventmask', 'security'],
    );
    assert.ok(t.server.actions.indexOf(events!) > t.server.actions.indexOf(login!));
    // our ActionIDs are random: an attacker who plants `ActionID:` in an event cannot answer our Ping
    assert.match(events!.fields.find(([k]) => k.toLowerCase() === 'actionid')![1], /^vg-[0-9a-f]{24}$/);
    const s = t.client.state();
    assert.equal(s.banner, 'Asterisk Call Manager/9.0.0');
    assert.equal(s.attempts, 1);
    assert.equal(s.reconnects, 0);
    assert.equal(s.connectedAt, t.timers.now());
    await t.done();
    assert.equal(t.client.state().status, 'disconnected');
    assert.deepEqual(t.timers.pendingDelays(), []);
  });

  test('a refused login becomes auth-failed with VG_AMI_AUTH, logged as an error, retried only after authRetryMs', async () => {
    const t = await setup(new FakeAmiServer({ users: { voipguard: 'other' } }), { authRetryMs: 300_000 });
    const states: string[] = [];
    t.client.onState((s) => states.push(s.status));
    t.client.start();
    await waitUntil(() => t.client.state().status === 'auth-failed', 'auth-failed');
    const s = t.client.state();
    assert.equal(s.lastError?.code, 'VG_AMI_AUTH');
    assert.match(s.lastError!.message, /refused the login of "voipguard": Authentication failed/);
    assert.equal(s.nextRetryAt, t.timers.now() + 300_000);
    assert.deepEqual(states, ['connecting', 'authenticating', 'auth-failed']);
    assert.deepEqual(t.timers.pendingDelays(), [300_000]);
    const errors = t.records.filter((r) => r.level === 'error');
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.code, 'VG_AMI_AUTH');
    t.timers.advance(299_999);
    assert.equal(t.server.actionsNamed('Login').length, 1);
    t.timers.advance(1);
    await waitUntil(() => t.server.actionsNamed('Login').length === 2, 'second login');
    await t.done();
  });

  test('the secret never reaches a log line: not on login, refusal, disconnect or reconnect', async () => {
    const t = await setup(new FakeAmiServer({ users: { voipguard: 'wrong' } }), { authRetryMs: 1000 });
    t.client.start();
    await waitUntil(() => t.client.state().status === 'auth-failed', 'refusal');
    t.server.users = { voipguard: SECRET };
    t.timers.advance(1000);
    await waitUntil(connected(t.client), 'login');
    t.server.last.destroy();
    await waitUntil(() => t.client.state().status === 'backing-off', 'drop');
    t.timers.advance(1000);
    await waitUntil(connected(t.client), 'relogin');
    await t.done();
    assert.ok(t.records.length >= 5, 'the run was logged at trace level');
    for (const r of t.records) assert.ok(!JSON.stringify(r).includes(SECRET), JSON.stringify(r));
    assert.ok(!JSON.stringify(t.client.state()).includes(SECRET));
  });

  test('an event split across two TCP writes arrives whole, at every byte boundary', async () => {
    const t = await setup();
    t.client.start();
    await waitUntil(connected(t.client), 'login');
    // multi-byte characters so that some splits cut a UTF-8 sequence
    const fields = INVALID_ACCOUNT.map(([k, v]): [string, string] => [k, k === 'AccountID' ? 'Jürgen-日本' : v]);
    const bytes = Buffer.from(amiBlock(fields));
    let sent = t.client.state().bytesReceived;
    for (let i = 1; i < bytes.length; i++) {
      // the second write goes out only once the client has read the first: the split is real
      await t.server.write(bytes.subarray(0, i));
      await waitUntil(() => t.client.state().bytesReceived === sent + i, `first part at ${i}`);
      await t.server.write(bytes.subarray(i));
      sent += bytes.length;
    }
    await waitUntil(() => t.events.length === bytes.length - 1, 'all events');
    for (const e of t.events) assert.deepEqual(e.fields, lower(fields));
    assert.equal(t.client.state().blocksDropped, 0);
    await t.done();
  });

  test("an event with a key written twice is delivered with Asterisk's copy only (here the last), flagged; the filter counts it hostile", async () => {
    const t = await setup();
    const { log, records } = memoryLogger();
    const jailFilter = new AmiFailureFilter({ log, jail: 'asterisk' });
    t.client.start();
    await waitUntil(connected(t.client), 'login');
    const planted: Array<[string, string]> = [
      ['Event', 'InvalidAccountID'],
      ['Service', 'PJSIP'],
      ['AccountID', ''],
      ['RemoteAddress', 'IPV4/UDP/6.6.6.6/1'],
      ['SessionID', 'abc'],
      ['LocalAddress', 'IPV4/UDP/198.51.100.10/5060'],
      ['RemoteAddress', 'IPV4/UDP/203.0.113.77/5060'],
    ];
    await t.server.write(amiBlock(planted));
    await waitUntil(() => t.events.length === 1, 'event');
    // one copy per key, at the key's first place; the copy is the one Asterisk wrote after LocalAddress
    assert.deepEqual(t.events[0]!.fields, lower([...planted.slice(0, 3), planted[6]!, ...planted.slice(4, 6)]));
    assert.deepEqual(t.events[0]!.hostile, ['duplicate:remoteaddress']);
    const f = jailFilter.toFailure(t.events[0]!);
    assert.equal(f?.ip, '203.0.113.77');
    assert.equal(jailFilter.stats().hostile, 1);
    const warn = records.find((r) => r.event === 'ami-hostile-event');
    assert.deepEqual(warn?.hostile, ['duplicate:remoteaddress']);
    assert.equal(warn?.ip, '203.0.113.77');
    await t.done();
  });

  test('a Response: field inside an event block is an event field, not an action reply (even with an ActionID)', async () => {
    const t = await setup(new FakeAmiServer({ answerPing: false }), { pingIntervalMs: 1000, pingTimeoutMs: 500 });
    t.client.start();
    await waitUntil(connected(t.client), 'login');
    t.timers.advance(1000); // a Ping is now waiting for its answer
    await waitUntil(() => t.server.actionsNamed('Ping').length === 1, 'ping sent');
    const pingId = t.server.actionsNamed('Ping')[0]!.fields.find(([k]) => k.toLowerCase() === 'actionid')![1];
    const crf: Array<[string, string]> = [
      ['Event', 'ChallengeResponseFailed'],
      ['Privilege', 'security,all'],
      ['EventTV', '2026-03-01T10:16:02.440+0000'],
      ['Severity', 'Error'],
      ['Service', 'PJSIP'],
      ['EventVersion', '1'],
      ['AccountID', '<unknown>'],
      ['SessionID', '3686a690-f8ccac10'],
      ['LocalAddress', 'IPV4/TLS/198.51.100.10/5061'],
      ['RemoteAddress', 'IPV4/TLS/192.0.2.2/30245'],
      ['Challenge', '1569024763/510a7e1ed568b93ce283d1b16bc17a15'],
      ['Response', 'Success'],
      ['ActionID', pingId],
      ['ExpectedResponse', ''],
    ];
    await t.server.write(amiBlock(crf));
    await waitUntil(() => t.events.length === 1, 'event');
    assert.deepEqual(t.events[0]!.fields, lower(crf));
    const f = new AmiFailureFilter({ log: memoryLogger().log }).toFailure(t.events[0]!);
    assert.equal(f?.kind, 'ChallengeResponseFailed');
    assert.equal(f?.ip, '192.0.2.2');
    // the spoofed reply did not answer the Ping: the keepalive still times out
    t.timers.advance(500);
    await waitUntil(() => t.client.state().status === 'backing-off', 'ping timeout');
    assert.equal(t.client.state().lastError?.code, 'VG_AMI_TIMEOUT');
    await t.done();
  });

  test('garbage between events is dropped and counted; the connection and the next events survive', async () => {
    const t = await setup();
    t.client.start();
    await waitUntil(connected(t.client), 'login');
    await t.server.write('\u0000\u00ff\u0001 not a header\r\n\r\n' + 'Response: Success\r\nActionID: nobody\r\n\r\n' + 'Hello\r\n\r\n');
    await t.server.write(amiBlock(INVALID_ACCOUNT));
    await waitUntil(() => t.events.length === 1, 'event after garbage');
    assert.equal(t.client.state().blocksDropped, 3);
    assert.equal(t.client.state().status, 'connected');
    await t.done();
  });

  test('garbage instead of a banner, or an endless line, drops the connection (VG_AMI_PROTOCOL) and retries', async () => {
    const t = await setup(new FakeAmiServer({ banner: 'SSH-2.0-OpenSSH_9.2' }));
    t.client.start();
    await waitUntil(() => t.client.state().status === 'backing-off', 'refused banner');
    assert.equal(t.client.state().lastError?.code, 'VG_AMI_PROTOCOL');
    assert.deepEqual(t.timers.pendingDelays(), [backoffDelay(0, DEFAULT_BACKOFF, () => 0.5)]);
    t.server.banner = 'Asterisk Call Manager/9.0.0';
    t.timers.advance(1000);
    await waitUntil(connected(t.client), 'login');
    // a line that never ends: past MAX_UNTERMINATED (1 MiB, more than any SIP packet can make Asterisk
    // write) the peer is not Asterisk; shorter over-long lines are skipped, see the long-line tests
    await t.server.pump(['Event: InvalidAccountID\r\nAccountID: ', ...Array.from({ length: MAX_UNTERMINATED / 4096 + 1 }, () => 'A'.repeat(4096))]);
    await waitUntil(() => t.client.state().status === 'backing-off', 'endless line dropped');
    assert.match(t.client.state().lastError!.message, /longer than 1048576/);
    await waitUntil(() => t.server.liveConnections === 0, 'socket destroyed');
    await t.done();
  });

  test('a silent server: the keepalive Ping times out, the half-open socket is destroyed, and the client reconnects', async () => {
    const t = await setup(new FakeAmiServer({ answerPing: false }), { pingIntervalMs: 20_000, pingTimeoutMs: 5000 });
    t.client.start();
    await waitUntil(connected(t.client), 'login');
    t.timers.advance(19_999);
    assert.equal(t.server.actionsNamed('Ping').length, 0);
    t.timers.advance(1);
    await waitUntil(() => t.server.actionsNamed('Ping').length === 1, 'ping');
    t.timers.advance(4999);
    assert.equal(t.client.state().status, 'connected');
    t.timers.advance(1);
    await waitUntil(() => t.server.closedConnections === 1, 'server sees the socket closed');
    const s = t.client.state();
    assert.equal(s.status, 'backing-off');
    assert.equal(s.lastError?.code, 'VG_AMI_TIMEOUT');
    assert.match(s.lastError!.message, /keepalive Ping within 5000 ms/);
    t.server.answerPing = true;
    t.timers.advance(s.nextRetryAt! - t.timers.now());
    await waitUntil(connected(t.client), 'reconnected');
    assert.equal(t.client.state().reconnects, 1);
    t.timers.advance(20_000);
    await waitUntil(() => t.server.actionsNamed('Ping').length === 2, 'ping on the new connection');
    await waitUntil(() => t.timers.pendingDelays().includes(20_000), 'pong re-arms the keepalive');
    await t.done();
  });

  test('a server that never sends its banner is dropped after connectTimeoutMs', async () => {
    const t = await setup(new FakeAmiServer({ banner: null }), { connectTimeoutMs: 3000 });
    t.client.start();
    await waitUntil(() => t.server.sockets.length === 1, 'tcp connect');
    t.timers.advance(3000);
    await waitUntil(() => t.client.state().status === 'backing-off', 'banner timeout');
    assert.equal(t.client.state().lastError?.code, 'VG_AMI_TIMEOUT');
    await t.done();
  });

  test('a server that closes mid-frame: no part of the cut frame survives into the next connection', async () => {
    const t = await setup();
    t.client.start();
    await waitUntil(connected(t.client), 'login');
    const half = amiBlock(INVALID_ACCOUNT).slice(0, 120);
    await t.server.write(half);
    await waitUntil(() => t.client.state().bytesReceived >= 180, 'half frame read');
    t.server.last.destroy();
    await waitUntil(() => t.client.state().status === 'backing-off', 'drop');
    t.timers.advance(t.client.state().nextRetryAt! - t.timers.now());
    await waitUntil(connected(t.client), 'reconnected');
    const other = INVALID_ACCOUNT.map(([k, v]): [string, string] => [k, k === 'AccountID' ? '2002' : v]);
    await t.server.write(amiBlock(other));
    await waitUntil(() => t.events.length === 1, 'event');
    assert.deepEqual(t.events[0]!.fields, lower(other));
    assert.equal(t.client.state().blocksDropped, 0);
    assert.equal(t.client.state().banner, 'Asterisk Call Manager/9.0.0');
    await t.done();
  });

  test('an Asterisk restart: retries follow the backoff schedule (fast first, then doubling) and reconnect on the first try after it is back', async () => {
    const rng = () => 0.25;
    const t = await setup(new FakeAmiServer(), {}, rng);
    t.client.start();
    await waitUntil(connected(t.client), 'login');
    await t.server.close();
    const delays: number[] = [];
    for (let k = 0; k < 4; k++) {
      await waitUntil(() => t.client.state().status === 'backing-off' && t.client.state().consecutiveFailures === k + 1, `failure ${k + 1}`);
      const s = t.client.state();
      assert.equal(s.lastError?.code, 'VG_AMI_CONNECT');
      delays.push(s.nextRetryAt! - t.timers.now());
      if (k < 3) t.timers.advance(s.nextRetryAt! - t.timers.now());
    }
    assert.deepEqual(
      delays,
      [0, 1, 2, 3].map((k) => backoffDelay(k, DEFAULT_BACKOFF, rng)),
    );
    assert.deepEqual(delays, [185, 925, 1850, 3700]);
    await t.server.listen(); // same port
    const due = t.client.state().nextRetryAt!;
    t.timers.advance(due - t.timers.now() - 1);
    assert.equal(t.client.state().status, 'backing-off');
    t.timers.advance(1);
    await waitUntil(connected(t.client), 'reconnected after restart');
    const s = t.client.state();
    assert.equal(s.reconnects, 1);
    assert.equal(s.attempts, 5); // the first connection, three refused retries, the one that worked
    assert.equal(s.connectedAt, due);
    await t.done();
  });

  test('a connection that stayed up past stableAfterMs makes the next drop retry fast again', async () => {
    const t = await setup(new FakeAmiServer(), { stableAfterMs: 10_000, pingIntervalMs: 60_000 }, () => 0);
    t.client.start();
    await waitUntil(connected(t.client), 'login');
    t.server.last.destroy();
    await waitUntil(() => t.client.state().status === 'backing-off', 'drop 1');
    assert.equal(t.client.state().nextRetryAt! - t.timers.now(), 200);
    t.timers.advance(200);
    await waitUntil(connected(t.client), 'up 2');
    t.server.last.destroy(); // dropped again at once: flapping continues the schedule
    await waitUntil(() => t.client.state().status === 'backing-off', 'drop 2');
    assert.equal(t.client.state().nextRetryAt! - t.timers.now(), 1000);
    t.timers.advance(1000);
    await waitUntil(connected(t.client), 'up 3');
    t.timers.advance(10_000);
    t.server.last.destroy();
    await waitUntil(() => t.client.state().status === 'backing-off', 'drop 3');
    assert.equal(t.client.state().nextRetryAt! - t.timers.now(), 200);
    await t.done();
  });

  test('a listener that throws is logged and does not cost the connection or the other listeners', async () => {
    const t = await setup();
    t.client.onEvent(() => {
      throw new Error('consumer bug');
    });
    let seen = 0;
    t.client.onEvent(() => seen++);
    t.client.start();
    await waitUntil(connected(t.client), 'login');
    await t.server.write(amiBlock(INVALID_ACCOUNT) + amiBlock(INVALID_ACCOUNT));
    await waitUntil(() => seen === 2, 'events');
    assert.equal(t.client.state().status, 'connected');
    assert.equal(t.records.filter((r) => r.event === 'ami-listener-failed').length, 2);
    await t.done();
  });

  test('a CR/LF and text planted in a field Asterisk does not escape: the event still arrives, flagged hostile, the real address used', async () => {
    const t = await setup();
    const { log, records } = memoryLogger();
    const jailFilter = new AmiFailureFilter({ log, jail: 'asterisk' });
    t.client.start();
    await waitUntil(connected(t.client), 'login');
    // PJSIP AccountID is the unescaped From user: `%0D%0Aanything` makes a line that is no header
    const raw =
      'Event: InvalidAccountID\r\nService: PJSIP\r\nAccountID: x\r\nnot a header at all\r\nSessionID: s-1\r\n' +
      'LocalAddress: IPV4/UDP/198.51.100.10/5060\r\nRemoteAddress: IPV4/UDP/203.0.113.78/5060\r\n\r\n';
    await t.server.write(raw);
    await waitUntil(() => t.events.length === 1, 'event');
    assert.equal(t.events[0]!.malformedLines, 1);
    assert.equal(jailFilter.toFailure(t.events[0]!)?.ip, '203.0.113.78', 'hiding an attempt behind garbage does not work');
    assert.equal(jailFilter.stats().hostile, 1);
    assert.equal(records.find((r) => r.event === 'ami-hostile-event')?.malformedLines, 1);
    assert.equal(t.client.state().status, 'connected');
    await t.done();
  });

  test('a "Response: Follows" block: asterisk-manager swallows what follows; the keepalive Ping finds it and reconnects', async () => {
    // Asterisk never answers a voipguard action with Follows; only planted text can start one, and the
    // package then waits for an END marker (docs/ami.md). The Ping's answer is swallowed too.
    const t = await setup(new FakeAmiServer(), { pingIntervalMs: 20_000, pingTimeoutMs: 5000 });
    t.client.start();
    await waitUntil(connected(t.client), 'login');
    const follows = 'Response: Follows\r\nPrivilege: Command\r\nActionID: x\r\n\r\n';
    const read = t.client.state().bytesReceived + follows.length + Buffer.byteLength(amiBlock(INVALID_ACCOUNT));
    await t.server.write(follows);
    await t.server.write(amiBlock(INVALID_ACCOUNT));
    await waitUntil(() => t.client.state().bytesReceived === read, 'both read');
    t.timers.advance(20_000);
    await waitUntil(() => t.server.actionsNamed('Ping').length === 1, 'ping');
    await waitUntil(() => t.client.state().bytesReceived > read, 'the pong read (and swallowed)');
    t.timers.advance(5000);
    await waitUntil(() => t.client.state().status === 'backing-off', 'ping timeout');
    assert.equal(t.client.state().lastError?.code, 'VG_AMI_TIMEOUT');
    assert.equal(t.events.length, 0, 'the event after the Follows block was swallowed by the package (pinned limit)');
    t.timers.advance(t.client.state().nextRetryAt! - t.timers.now());
    await waitUntil(connected(t.client), 'a fresh Manager reads events again');
    await t.server.write(amiBlock(INVALID_ACCOUNT));
    await waitUntil(() => t.events.length === 1, 'event on the new connection');
    await t.done();
  });
});

test('no module of src/ patches node:net: the session only watches the socket through the diagnostics channel', async () => {
  const net = createRequire(import.meta.url)('net') as typeof import('node:net');
  const original = net.createConnection;
  const srv = new FakeAmiServer();
  await srv.listen();
  const tm = new ManualTimers(0);
  const c = new AmiClient({ host: '127.0.0.1', port: srv.port, username: 'voipguard', secret: SECRET }, { log: memoryLogger().log, clock: tm, timers: tm });
  c.start();
  await waitUntil(() => c.state().status === 'connected', 'login');
  assert.equal(net.createConnection, original);
  assert.ok(c.state().bytesReceived > 0, 'the socket the package made is seen');
  await c.stop();
  await srv.close();
  // a port net refuses synchronously: the same path as a refused connection
  const bad = new AmiClient({ host: '127.0.0.1', port: 70_000, username: 'u', secret: 's' }, { log: memoryLogger().log, clock: tm, timers: tm });
  bad.start();
  assert.equal(bad.state().status, 'backing-off');
  assert.equal(bad.state().lastError?.code, 'VG_AMI_CONNECT');
  await bad.stop();
  const src = new URL('../../src/', import.meta.url);
  for (const f of readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((x) => x.endsWith('.ts'))) {
    assert.doesNotMatch(readFileSync(new URL(f, src), 'utf8'), /\.createConnection\s*=/, f);
  }
});

// Planted lines (docs/ami.md "Hostile input"): PJSIP writes the From user as AccountID unescaped, so
// `%0D%0A` becomes a line break inside the event. Each case is written over TCP to the real package.
describe('AMI events keep their shape, whatever an attacker plants in a field', () => {
  const NOW = 1_000_000; // the manual clock
  const TV = '1970-01-01T00:15:40.000+0000'; // Asterisk's EventTV: a minute before the receive time
  const REAL = '203.0.113.50';
  const iac = (accountId: string, session = 's-1') =>
    `Event: InvalidAccountID\r\nPrivilege: security,all\r\nEventTV: ${TV}\r\nSeverity: Error\r\nService: PJSIP\r\nEventVersion: 1\r\n` +
    `AccountID: ${accountId}\r\nSessionID: ${session}\r\nLocalAddress: IPV4/UDP/198.51.100.10/5060\r\nRemoteAddress: IPV4/UDP/${REAL}/5072\r\n\r\n`;
  const crf = (accountId: string, response: string) =>
    `Event: ChallengeResponseFailed\r\nPrivilege: security,all\r\nEventTV: ${TV}\r\nSeverity: Error\r\nService: PJSIP\r\nEventVersion: 1\r\n` +
    `AccountID: ${accountId}\r\nSessionID: c-1\r\nLocalAddress: IPV4/UDP/198.51.100.10/5060\r\nRemoteAddress: IPV4/UDP/${REAL}/5072\r\n` +
    `Challenge: 1569024763/510a\r\nResponse: ${response}\r\nExpectedResponse: \r\n\r\n`;

  async function run(raws: readonly string[], opts: Partial<AmiClientOptions> = {}) {
    const server = new FakeAmiServer();
    await server.listen();
    const timers = new ManualTimers(NOW);
    const client = new AmiClient(
      { host: '127.0.0.1', port: server.port, username: 'voipguard', secret: SECRET, ...opts },
      { log: memoryLogger().log, clock: timers, timers },
    );
    const events: AmiEvent[] = [];
    client.onEvent((e) => events.push(e));
    cleanups.push(async () => {
      await client.stop();
      await server.close();
    });
    client.start();
    await waitUntil(() => client.state().status === 'connected', 'login');
    for (const raw of raws) {
      const before = events.length;
      await server.write(raw);
      // a held event is released by the next event or by the join window
      await waitUntil(() => events.length > before || timers.pendingDelays().includes(1000), 'delivered or held');
      if (events.length === before) timers.advance(1000);
      await waitUntil(() => events.length > before, 'delivered');
    }
    assert.equal(client.state().status, 'connected', 'no planted text costs the connection');
    const { log, records } = memoryLogger();
    const filter = new AmiFailureFilter({ log });
    return { events, failures: events.map((e) => filter.toFailure(e)), filter, records, client };
  }

  test('a blank line planted in AccountID does not end the event before RemoteAddress: the rest is joined, flagged, the real address counted', async () => {
    const planted = [
      'x\n\nx: y',
      'x\r\n\r\ny',
      '\n\nRemoteAddress: IPV4/1.2.3.4/1\n\n',
      '\r\n\r\nEvent: FailedACL',
      'x\n\nResponse: Success',
      '\n\n\n\n',
      'a\n\nb\n\nc',
    ];
    const r = await run([...planted.map((a) => iac(a)), iac('1001')]);
    assert.equal(r.events.length, planted.length + 1);
    r.failures.forEach((f, i) => {
      assert.equal(f?.ip, REAL, JSON.stringify(planted[i] ?? 'clean'));
      assert.equal(f?.kind, 'InvalidAccountID');
    });
    r.events.slice(0, -1).forEach((e, i) => assert.ok(e.hostile?.includes('joined'), JSON.stringify(planted[i])));
    assert.equal(r.events.at(-1)!.hostile, undefined, 'the clean event after them is plain');
    assert.equal(r.filter.stats().hostile, planted.length);
  });

  test("an EventTV planted after AccountID neither dates the attempt nor drops it: Asterisk's EventTV (the first) is used", async () => {
    const planted = [
      'x\nEventTV: 100000000-1',
      'x\r\nEventTV: 2099-01-01T00:00:00.000+0000',
      '\n\nEventTV: 100000000-1',
      'x\r\nEventTV: 1970-01-01T00:16:30.000+0000',
    ];
    const r = await run(planted.map((a) => iac(a)));
    r.failures.forEach((f, i) => {
      assert.equal(f?.ip, REAL, planted[i]);
      assert.equal(f?.time, NOW - 60_000, planted[i]);
    });
    r.events.forEach((e) => assert.ok(e.hostile?.includes('duplicate:eventtv')));
  });

  test("a RemoteAddress planted before or after Asterisk's: Asterisk's is counted, never the planted one; both sides at once count nothing", async () => {
    const before = ['x\r\nRemoteAddress: IPV4/UDP/6.6.6.6/1', '\nRemoteAddress: IPV6/UDP/2001:db8::6/1', 'x\r\nremote address: IPV4/UDP/6.6.6.6/1'];
    const r = await run([
      ...before.map((a) => iac(a)),
      crf('<unknown>', 'abc\r\nRemoteAddress: IPV4/UDP/6.6.6.7/1'), // after, through Response
      crf('<unknown>', 'abc\r\nRemoteAddress: IPV4/UDP/6.6.6.7/1\r\nRemoteAddress: IPV4/UDP/6.6.6.8/1'),
      crf('x\r\nRemoteAddress: IPV4/UDP/6.6.6.9/1', 'abc'), // before, through AccountID
      crf('x\r\nRemoteAddress: IPV4/UDP/6.6.6.9/1', 'abc\r\nRemoteAddress: IPV4/UDP/6.6.6.7/1'), // both: cannot be told
    ]);
    const ips = r.failures.map((f) => f?.ip ?? null);
    // `remote address` (a space) is a key of its own: planted text, flagged, not an address
    assert.deepEqual(ips, [REAL, REAL, REAL, REAL, REAL, REAL, null]);
    assert.ok(r.events[6]!.hostile?.includes('ambiguous:remoteaddress'));
    assert.ok(r.events.every((e) => (e.hostile ?? []).length > 0));
  });

  test('a line over 8,192 characters (a long Call-ID) is skipped and counted; the event, the connection and the next events stay', async () => {
    const len = (line: number) => line - 'SessionID: '.length;
    const r = await run([iac('1001', 'a'.repeat(len(8193))), iac('1001', 'b'.repeat(100_000)), iac('1001', 'c'.repeat(len(8192))), iac('1002')]);
    assert.deepEqual(
      r.events.map((e) => e.hostile),
      [['long-line:sessionid'], ['long-line:sessionid'], undefined, undefined],
    );
    assert.deepEqual(
      r.failures.map((f) => f?.ip),
      [REAL, REAL, REAL, REAL],
    );
    assert.equal(r.failures[0]!.sessionId, undefined);
    assert.equal(r.failures[2]!.sessionId!.length, 8181, "a line of exactly 8,192 characters is Asterisk's and kept");
    assert.equal(r.failures[3]!.account, '1002');
    assert.equal(r.client.state().hostileEvents, 2);
  });
});
