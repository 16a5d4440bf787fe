import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { regexCommand } from '../../src/cli/regex-command.js';
import { loadRegexExtras } from '../../src/cli/regex-extras.js';
import { memoryIo } from '../../src/cli/io.js';
import { ManualClock } from '../../src/core/clock.js';
import { VoipguardError } from '../../src/core/errors.js';
import { packageRoot } from '../../src/core/paths.js';
import { loadFilter } from '../../src/filters/load-filter.js';

const dir = mkdtempSync(join(tmpdir(), 'vg-regex-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const clock = new ManualClock(Date.UTC(2026, 2, 2));
const extras = await loadRegexExtras();
const conf = packageRoot();

const LOG = [
  "[2026-03-01 10:15:30] NOTICE[1] chan_sip.c: Registration from '<sip:1@x>' failed for '203.0.113.5:5060' - Wrong password",
  '[2026-03-01 10:15:31] VERBOSE[1] pbx.c: Executing [s@ctx:1] Answer("SIP/1") in new stack',
  "[2026-03-01 10:15:32] NOTICE[1] manager.c: 198.51.100.7 failed to authenticate as 'admin'",
  '[2026-03-01 10:15:33] SECURITY[1] res_security_log.c: SecurityEvent="InvalidAccountID",EventTV="2026-03-01T10:15:33.000+0000",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="x",SessionID="y",LocalAddress="IPV4/UDP/198.51.100.10/5060",RemoteAddress="IPV6/UDP/2001:db8::5/5060"',
  "[2026-03-01 10:15:34] NOTICE[1] chan_sip.c: Peer 'alice' is now Reachable. (19ms / 2000ms)",
];

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

function run(...argv: string[]): { code: number; out: string } {
  const io = memoryIo();
  const code = regexCommand([...argv, '-c', conf, '--timezone', 'UTC'], io, clock);
  return { code, out: io.stdout };
}

test('a fail2ban-regex user sees the summary they know', () => {
  const { code, out } = run(file('messages', LOG.join('\n') + '\n'), 'asterisk');
  assert.equal(code, 0);
  assert.match(out, /^Running tests\n=============\n/m);
  assert.match(out, /^Use   failregex filter file : asterisk, basedir: /m);
  assert.match(out, /^Failregex: 3 total$/m);
  assert.match(out, /^\|\s+1\) \[1\] <kind=sip-register>/m);
  assert.match(out, /^Ignoreregex: 0 total$/m);
  // dates are read only on lines that pass the literal pre-check: the three attack lines here
  assert.match(out, /^\|  \[3\] \{\^LN-BEG\}ISO 8601/m);
  assert.match(out, /^Lines: 5 lines, 0 ignored, 3 matched, 2 missed$/m);
  assert.match(out, /^\[processed in \d+\.\d\d sec\]$/m);
});

test("-o '<ip> <msg>' prints the address and the original line of each failure, as the daemon's matcher sees them", () => {
  const path = file('o.log', LOG.join('\n') + '\n');
  const { out } = run(path, 'asterisk', '-o', '<ip> <msg>');
  const f = loadFilter('asterisk', { configDir: conf, timezone: 'UTC' });
  const expected = LOG.map((text) => f.match({ source: path, text, readAt: clock.now() }).failure)
    .filter((x) => x !== null)
    .map((x) => `${x.ip} ${x.line}`);
  assert.deepEqual(out.trimEnd().split('\n'), expected);
  assert.deepEqual(
    out
      .split('\n')
      .map((l) => l.split(' ')[0])
      .filter(Boolean),
    ['203.0.113.5', '198.51.100.7', '2001:db8::5'],
  );
  assert.equal(run(path, 'asterisk', '-o', 'ip kind').out, '203.0.113.5 sip-register\n198.51.100.7 manager-auth\n2001:db8::5 InvalidAccountID\n');
});

test('--json prints the documented object', () => {
  const { out } = run(file('j.log', LOG.join('\n') + '\n'), 'asterisk', '--json', '--print-all-matched', '--print-all-missed');
  const j = JSON.parse(out);
  assert.deepEqual(j.lines, { total: 5, matched: 3, ignored: 0, missed: 2 });
  assert.equal(j.filter.name, 'asterisk');
  assert.equal(j.filter.kind, 'file');
  assert.equal(j.filter.failregex[0].hits, 1);
  assert.deepEqual(j.addresses.map((a: { ip: string }) => a.ip).sort(), ['198.51.100.7', '2001:db8::5', '203.0.113.5']);
  assert.deepEqual(j.failures[2], {
    line: 4,
    regex: j.failures[2].regex,
    ip: '2001:db8::5',
    time: '2026-03-01T10:15:33.000Z',
    kind: 'InvalidAccountID',
    service: 'PJSIP',
    transport: 'UDP',
    account: 'x',
    sessionId: 'y',
    text: LOG[3],
  });
  assert.deepEqual(j.missed, [
    { line: 2, text: LOG[1] },
    { line: 5, text: LOG[4] },
  ]);
  assert.deepEqual(j.problems, {}, 'no problems in a clean log');
});

test('--print-all-missed lists the lines that gave nothing', () => {
  const { out } = run(file('m.log', LOG.join('\n') + '\n'), 'asterisk', '--print-all-missed');
  assert.match(out, /\|- Missed line\(s\):\n\|  \[2026-03-01 10:15:31\] VERBOSE.*\n\|  \[2026-03-01 10:15:34\] NOTICE.*\n`-/);
});

test('one line, a bare regex and a filter file path are accepted like fail2ban-regex does', () => {
  const one = run(LOG[0]!, 'asterisk');
  assert.match(one.out, /^Use      single line : /m);
  assert.match(one.out, /^Lines: 1 lines, 0 ignored, 1 matched, 0 missed$/m);
  const rx = run(LOG[2]!, "manager\\.c: <HOST> failed to authenticate as '.*'$");
  assert.match(rx.out, /^Use   failregex line : manager/m);
  assert.match(rx.out, /^Failregex: 1 total$/m);
  const path = run(LOG[2]!, join(conf, 'filter.d', 'asterisk.conf'));
  assert.match(path.out, /^Failregex: 1 total$/m);
  const args = run(
    '[2026-03-01 10:15:31] NOTICE[1] chan_sip.c: Failed to authenticate device <sip:1@x>;tag=1 for INVITE, code = -1 (203.0.113.5:5060)',
    'asterisk[chan_sip_patched=yes]',
  );
  assert.match(args.out, /^Failregex: 1 total$/m);
});

test('pjsip_notice=no: the PJSIP request NOTICE line that Asterisk can be made to write naming another address no longer counts; its security event still does', () => {
  // what Asterisk writes after term_strip() deleted from the ESC in the display name to the 'm' the
  // caller put in its Call-ID: a well-formed line naming 192.0.2.200 (docs/security.md, "Known limits")
  const forged =
    "[2026-03-01 10:15:31] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '\"a\" <sip:x@y>' failed for '192.0.2.200:5060' (callid: c) - No matching endpoint found";
  const event =
    '[2026-03-01 10:15:31] SECURITY[1] res_security_log.c: SecurityEvent="InvalidAccountID",EventTV="2026-03-01T10:15:31.000+0000",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="x",SessionID="m-long-call-id",LocalAddress="IPV4/UDP/198.51.100.10/5060",RemoteAddress="IPV4/UDP/203.0.113.9/5060"';
  const log = file('pjsip-notice.log', `${forged}\n${event}\n`);
  assert.match(run(log, 'asterisk', '-o', '<ip>').out, /192\.0\.2\.200/, 'trusted by default (fail2ban reads it too)');
  const off = run(log, 'asterisk[pjsip_notice=no]', '-o', '<ip>').out;
  assert.doesNotMatch(off, /192\.0\.2\.200/);
  assert.match(off, /203\.0\.113\.9/);
});

test('bad input is counted and reported, never a crash, never a wrong address', () => {
  const attack = (ip: string, s: number) =>
    Buffer.from(`[2026-03-01 10:15:${String(s).padStart(2, '0')}] NOTICE[1] manager.c: ${ip} failed to authenticate as 'admin'\n`);
  const garbage = Buffer.alloc(4096);
  let x = 7;
  for (let i = 0; i < garbage.length; i++) garbage[i] = (x = (x * 1103515245 + 12345) & 0x7fffffff) & 0xff;
  const parts = [
    attack('203.0.113.1', 1),
    garbage,
    Buffer.from('\n'),
    Buffer.from("[2026-03-01 10:15:02] NOTICE[1] manager.c: 6.6.6.6\0 failed to authenticate as 'x'\n"),
    // invalid UTF-8 in a caller-written field does not hide the attack
    Buffer.concat([
      Buffer.from("[2026-03-01 10:15:03] NOTICE[1] chan_sip.c: Registration from '\"\xff\xfe\"' failed for '6.6.6.6' - Wrong password", 'latin1'),
      Buffer.from("' failed for '203.0.113.3:5060' - Wrong password\n"),
    ]),
    Buffer.concat([
      Buffer.from("[2026-03-01 10:15:04] NOTICE[1] manager.c: 203.0.113.4 failed to authenticate as '"),
      Buffer.alloc(10 * 1024 * 1024, 'A'),
      Buffer.from("'\n"),
    ]),
    attack('203.0.113.5', 5),
    Buffer.from("[01/03/2026 10:15:06] NOTICE[1] manager.c: 203.0.113.6 failed to authenticate as 'admin'\n"),
    Buffer.from("[2026-03-01 10:15:07] NOTICE[1] manager.c: 6.6.6.6 failed to authenticate as 'adm"),
  ];
  const path = file('bad.log', Buffer.concat(parts));
  const { code, out } = run(path, 'asterisk', '--json', '--print-all-matched');
  assert.equal(code, 0);
  const j = JSON.parse(out);
  assert.deepEqual(
    j.failures.map((f: { ip: string }) => f.ip),
    ['203.0.113.1', '203.0.113.3', '203.0.113.5'],
  );
  assert.equal(j.problems['too-long'], 1);
  assert.equal(j.problems.binary, 1);
  assert.ok(j.problems['invalid-utf8'] >= 2, 'the garbage and the bad header');
  assert.equal(j.problems['no-date'], 1);
  assert.equal(j.problems['truncated-last-line'], 1);
  assert.equal(j.lines.total, j.lines.matched + j.lines.missed + j.lines.ignored);
  const text = run(path, 'asterisk').out;
  assert.match(text, /^Problems: .*\b1 too long\b/m);
  assert.match(text, /^Problems: .*\b1 with NUL bytes\b/m);
});

test('a line over the matcher limit is skipped without running a regex over it', () => {
  const f = loadFilter('asterisk', { configDir: conf, timezone: 'UTC' });
  const huge = "[2026-03-01 10:15:04] NOTICE[1] manager.c: 203.0.113.4 failed to authenticate as '" + 'A'.repeat(70_000) + "'";
  const m = f.match({ source: 'x', text: huge, readAt: clock.now() });
  assert.equal(m.failure, null);
  assert.equal(m.note, 'too-long');
});

test('usage mistakes are VG_USAGE and a missing file is VG_INPUT', () => {
  assert.throws(
    () => run('only-one-argument'),
    (e: unknown) => e instanceof VoipguardError && e.code === 'VG_USAGE',
  );
  assert.throws(
    () => run('a b', 'asterisk', '--bogus'),
    (e: unknown) => e instanceof VoipguardError && e.code === 'VG_USAGE',
  );
  assert.throws(
    () => run(join(dir, 'nope.log'), 'asterisk'),
    (e: unknown) => e instanceof VoipguardError && e.code === 'VG_INPUT',
  );
  assert.match(run('-h').out, /^usage: voipguard regex/);
});

test('voipguard regex shows signals seen vs attempts counted: one PJSIP attempt, three lines; a brute forcer counted per attempt', () => {
  const ev = (t: string, name: string, callid: string, ip: string) =>
    `[2026-03-01 10:20:${t}] SECURITY[1] res_security_log.c: SecurityEvent="${name}",EventTV="2026-03-01T10:20:${t}.000+0000",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="<unknown>",SessionID="${callid}",LocalAddress="IPV4/UDP/198.51.100.10/5060",RemoteAddress="IPV4/UDP/${ip}/5060"`;
  const notice = (t: string, callid: string, ip: string) =>
    `[2026-03-01 10:20:${t}] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '<sip:100@198.51.100.10>' failed for '${ip}:5060' (callid: ${callid}) - No matching endpoint found`;
  const lines = [
    // one attempt, tied together by its Call-ID: NOTICE + InvalidAccountID twice + ChallengeResponseFailed
    notice('00', 'call-1', '203.0.113.5'),
    ev('00', 'InvalidAccountID', 'call-1', '203.0.113.5'),
    ev('00', 'InvalidAccountID', 'call-1', '203.0.113.5'),
    ev('00', 'ChallengeResponseFailed', 'call-1', '203.0.113.5'),
    // a brute forcer: three attempts in the same second, each its own Call-ID
    ev('05', 'InvalidAccountID', 'bf-1', '192.0.2.9'),
    ev('05', 'InvalidAccountID', 'bf-2', '192.0.2.9'),
    ev('05', 'InvalidAccountID', 'bf-3', '192.0.2.9'),
  ];
  const { code, out } = run(file('attempts.log', lines.join('\n') + '\n'), 'asterisk');
  assert.equal(code, 0);
  assert.match(out, /^Lines: 7 lines, 0 ignored, 7 matched, 0 missed$/m);
  assert.match(out, /^Attempts: 7 signals seen, 4 attempts counted/m);
  const json = JSON.parse(run(file('attempts2.log', lines.join('\n') + '\n'), 'asterisk', '--json').out) as { attempts: { signals: number; attempts: number } };
  assert.equal(json.attempts.signals, 7);
  assert.equal(json.attempts.attempts, 4);
});

test("--jail NAME replays with that jail's correlate settings: correlate = no counts every line; a missing jail is named", () => {
  const cfg = mkdtempSync(join(dir, 'conf-'));
  writeFileSync(join(cfg, 'jail.conf'), readFileSync(join(conf, 'jail.conf')));
  writeFileSync(
    join(cfg, 'jail.local'),
    '[asterisk]\ncorrelate = no\n[pjsip-strict]\nfilter = asterisk\nlogpath = /var/log/asterisk/security\ncorrelate.idwindow = 100ms\n',
  );
  const ev = (ms: string, callid: string) =>
    `[2026-03-01 10:20:00] SECURITY[1] res_security_log.c: SecurityEvent="InvalidAccountID",EventTV="2026-03-01T10:20:00.${ms}+0000",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="<unknown>",SessionID="${callid}",LocalAddress="IPV4/UDP/198.51.100.10/5060",RemoteAddress="IPV4/UDP/203.0.113.5/5060"`;
  // one REGISTER for an unknown user: InvalidAccountID twice under one Call-ID, 50 ms apart
  const log = file('jail.log', [ev('000', 'c-1'), ev('050', 'c-1')].join('\n') + '\n');
  const withJail = (name: string, ...more: string[]) => {
    const io = memoryIo();
    const code = regexCommand([log, 'asterisk', '--timezone', 'UTC', '-c', cfg, '--jail', name, ...more], io, clock, extras);
    return { code, out: io.stdout };
  };
  assert.match(run(log, 'asterisk').out, /^Attempts: 2 signals seen, 1 attempts counted \(one attempt counts once/m);
  assert.match(withJail('asterisk').out, /^Attempts: 2 signals seen, 2 attempts counted \(correlate = no: every signal counts\)$/m);
  const json = JSON.parse(withJail('asterisk', '--json').out) as { attempts: { correlate: boolean; attempts: number } };
  assert.deepEqual([json.attempts.correlate, json.attempts.attempts], [false, 2]);
  // a 100 ms id window still joins signals 50 ms apart
  assert.match(withJail('pjsip-strict').out, /^Attempts: 2 signals seen, 1 attempts counted/m);
  assert.throws(
    () => withJail('nosuch'),
    (e: unknown) => e instanceof VoipguardError && e.code === 'VG_USAGE' && /--jail nosuch: no such jail/.test(e.message),
  );
  writeFileSync(join(cfg, 'jail.local'), '[asterisk]\ncorrelate.idwindow = 1h\n');
  assert.throws(
    () => withJail('asterisk'),
    (e: unknown) => e instanceof VoipguardError && e.place.key === 'correlate.idwindow',
  );
});
