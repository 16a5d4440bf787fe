// fixtures/transcripts: an annotated AMI session and the same events as security-log lines, each
// through the code the daemon runs (a real TCP peer and asterisk-manager for AMI, the shipped
// filter for the log): failures stay failures, SuccessfulAuth and contacts become registration
// signals and nothing else (docs/registrations.md). Then the PJSIPShowContacts query at connect.

import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';
import { ManualTimers } from '../../src/core/timers.js';
import type { AmiEvent } from '../../src/core/types.js';
import { AmiFailureFilter } from '../../src/filters/ami-failures.js';
import { amiRegistration } from '../../src/filters/ami-registrations.js';
import { loadFilter } from '../../src/filters/load-filter.js';
import { registrationOf } from '../../src/filters/successful-auth.js';
import { AmiClient } from '../../src/sources/ami-client.js';
import { queryContacts } from '../../src/sources/ami-contacts.js';
import { RegistrationBook } from '../../src/jails/registration-book.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { FakeAmiServer, waitUntil } from '../helpers/fake-ami-server.js';

const ROOT = packageRoot();
const DIR = join(ROOT, 'fixtures', 'transcripts');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const d of cleanups.splice(0)) await d();
});

interface Block {
  readonly expect: string;
  readonly text: string;
}

/** The `# expect:` of each block or line, and its text. */
function annotated(text: string, blocks: boolean): Block[] {
  const out: Block[] = [];
  let expect: string | null = null;
  let body: string[] = [];
  const flush = () => {
    if (body.length) out.push({ expect: expect ?? 'missing', text: body.join('\r\n') });
    body = [];
    expect = null;
  };
  for (const line of text.split('\n')) {
    const m = /^# expect: (.*)$/.exec(line);
    if (m) expect = m[1]!.trim();
    else if (line.startsWith('#')) continue;
    else if (line === '') {
      if (blocks) flush();
    } else {
      body.push(line);
      if (!blocks) flush();
    }
  }
  flush();
  return out;
}

/** What voipguard makes of one AMI event, in the `# expect:` words. */
function describeAmi(e: AmiEvent, filter: AmiFailureFilter): string {
  const f = filter.toFailure(e);
  if (f !== null) return `failure ${f.ip} ${f.kind} ${f.account ?? '-'}`;
  const r = amiRegistration(e);
  if (r === null) return 'none';
  return r.type === 'auth' ? `auth ${r.ip} ${r.account}` : `contact ${r.state} ${r.account} ${r.host ?? '-'}`;
}

async function connect(server: FakeAmiServer) {
  await server.listen();
  const timers = new ManualTimers(1_000_000);
  const { log } = memoryLogger('warn');
  const c = new AmiClient({ host: '127.0.0.1', port: server.port, username: 'voipguard', secret: 's3cret-Pa55' }, { log, clock: timers, timers });
  const events: AmiEvent[] = [];
  c.onEvent((e) => events.push(e));
  cleanups.push(async () => {
    await c.stop();
    await server.close();
  });
  c.start();
  await waitUntil(() => c.state().status === 'connected', 'login');
  return { c, server, events, timers, log };
}

test('the AMI transcript: every block gives what its annotation says, over a real connection', async () => {
  const blocks = annotated(readFileSync(join(DIR, 'registrations.ami'), 'utf8'), true);
  assert.ok(blocks.length >= 14);
  const t = await connect(new FakeAmiServer());
  await t.server.write(blocks.map((b) => `${b.text}\r\n\r\n`).join(''));
  await waitUntil(() => t.events.length === blocks.length, `${blocks.length} events`);
  const filter = new AmiFailureFilter({ log: t.log });
  assert.deepEqual(
    t.events.map((e) => describeAmi(e, filter)),
    blocks.map((b) => b.expect),
  );
});

test('the security-log transcript: the same events through the shipped filter', () => {
  const lines = annotated(readFileSync(join(DIR, 'registrations-security.log'), 'utf8'), false);
  assert.ok(lines.length >= 10);
  const filter = loadFilter('asterisk', { configDir: ROOT, timezone: 'UTC' });
  const got = lines.map((l) => {
    const m = filter.match({ source: '/var/log/asterisk/security', text: l.text, readAt: Date.parse('2026-03-01T10:21:00Z') });
    if (m.failure) return `failure ${m.failure.ip} ${m.failure.kind} ${m.failure.account ?? '-'}`;
    const reg = m.signal && !m.hostile?.length ? registrationOf(m.signal) : null;
    if (reg) return `auth ${reg.ip} ${reg.account}`;
    return 'none';
  });
  assert.deepEqual(
    got,
    lines.map((l) => l.expect),
  );
});

test('PJSIPShowContacts at connect: each ContactList item reaches the book as a live contact with its expiry', async () => {
  const item = (name: string, uri: string, status: string, exp: string): Array<[string, string]> => [
    ['Event', 'ContactList'],
    ['ObjectType', 'contact'],
    ['ObjectName', `${name};@0f3b5c1d2e4a6b8c`],
    ['ViaAddr', '192.168.1.20'],
    ['ViaPort', '5060'],
    ['QualifyTimeout', '3.000000'],
    ['CallId', 'abc@192.168.1.20'],
    ['Endpoint', name],
    ['Uri', uri],
    ['UserAgent', 'Yealink SIP-T46U 108.86.0.20'],
    ['ExpirationTime', exp],
    ['Status', status],
    ['RoundtripUsec', '17021'],
  ];
  const server = new FakeAmiServer({
    lists: {
      pjsipshowcontacts: [
        item('1001', 'sip:1001@203.0.113.20:5060', 'Reachable', '1772361000'),
        item('1002', 'sip:1002@203.0.113.22:5060', 'Unreachable', '1772361000'),
      ],
    },
  });
  const t = await connect(server);
  const delivered: AmiEvent[] = [];
  const n = await queryContacts({ action: (f) => t.c.action(f), now: () => t.timers.now(), log: t.log, deliver: (e) => delivered.push(e) });
  assert.equal(n, 2);
  assert.equal(server.actionsNamed('PJSIPShowContacts').length, 1);
  const sigs = delivered.map(amiRegistration);
  assert.deepEqual(
    sigs.map((s) => (s?.type === 'contact' ? [s.aor, s.account, s.host, s.state, s.expires] : s)),
    [
      ['1001', '1001', '203.0.113.20', 'live', 1772361000_000],
      ['1002', '1002', '203.0.113.22', 'down', 1772361000_000],
    ],
  );
  // a listed contact extends a login past registeredttl until its expiry, and no further
  const book = new RegistrationBook();
  const at = 1772357000_000;
  book.observe({ type: 'auth', ip: '203.0.113.20', account: '1001', time: at, origin: 'ami', source: 'ami' }, at);
  for (const s of sigs) book.observe(s!, at);
  const view = book.view(600_000);
  assert.equal(view.isRegisteredFor('203.0.113.20', '1001', at + 3_000_000), true, 'past the ttl, the contact is live');
  assert.equal(view.isRegisteredFor('203.0.113.20', '1001', 1772361000_000), false, 'at its expiry it is gone');
});

test('a manager that refuses PJSIPShowContacts (no write = system) costs a log line and nothing else', async () => {
  const t = await connect(new FakeAmiServer());
  const { log, records } = memoryLogger('info');
  const n = await queryContacts({ action: (f) => t.c.action(f), now: () => t.timers.now(), log, deliver: () => assert.fail('nothing to deliver') });
  assert.equal(n, 0);
  assert.equal(records.filter((r) => r.event === 'ami-contacts-unavailable').length, 1);
  assert.equal(t.c.state().status, 'connected');
});
