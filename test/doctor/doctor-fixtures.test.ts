// `voipguard doctor` against the fixture Asterisk dirs: the good one passes everything, each broken
// one reports exactly its mistake. The whole list of check ids and statuses is asserted, so a check
// that wrongly fires (or goes quiet) elsewhere shows up too. The dates go through the real
// `asterisk` filter, the actions through the shipped action.d, the config through loadConfig.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runDoctor } from '../../src/cli/doctor-command.js';
import { memoryIo } from '../../src/cli/io.js';
import type { CheckStatus, Finding } from '../../src/doctor/doctor-types.js';
import { fakeEnv, FIXTURES, VOIPGUARD_DIR, type FakeEnvOptions } from './fake-doctor-env.js';

interface Report {
  checks: Finding[];
  summary: Record<CheckStatus, number>;
}

async function doctor(
  dir: string,
  opts: FakeEnvOptions = {},
  configDir = VOIPGUARD_DIR,
): Promise<{ code: number; report: Report; byId: Record<string, Finding> }> {
  const io = memoryIo();
  const code = await runDoctor(['-c', configDir, '--asterisk-dir', `${FIXTURES}${dir}`, '--json'], io, { env: fakeEnv(opts) });
  const report = JSON.parse(io.stdout) as Report;
  return { code, report, byId: Object.fromEntries(report.checks.map((c) => [c.id, c])) };
}

const GOOD: Readonly<Record<string, CheckStatus>> = {
  config: 'ok',
  'asterisk-config': 'ok',
  'logger-security': 'ok',
  'logger-notice': 'ok',
  'logger-dateformat': 'ok',
  'security-events': 'ok',
  'logpath:asterisk': 'ok',
  'ignoreip:asterisk': 'ok',
  'ami-manager': 'ok',
  'ami-user': 'ok',
  'ami-signals': 'ok',
  'ami-privileges': 'ok',
  'ami-acl': 'ok',
  'ami-login': 'ok',
  'firewall-tools': 'ok',
  'established-v4': 'ok',
  'established-v6': 'ok',
  'chan-sip': 'skip',
  'pjsip-identify': 'ok',
  database: 'ok',
  cluster: 'skip',
};

function statuses(report: Report): Record<string, CheckStatus> {
  return Object.fromEntries(report.checks.map((c) => [c.id, c.status]));
}

test('the good Asterisk config passes every check, in a fixed order, exit 0', async () => {
  const { code, report } = await doctor('good');
  assert.deepEqual(
    report.checks.map((c) => c.id),
    Object.keys(GOOD),
  );
  assert.deepEqual(statuses(report), GOOD);
  assert.deepEqual(report.summary, { ok: 19, warn: 0, fail: 0, skip: 2 });
  assert.equal(code, 0);
});

const AMI_DOWN: FakeEnvOptions = { amiOutcome: { ok: false, reason: 'unreachable', message: 'ECONNREFUSED' } };

const MISTAKES: readonly [dir: string, changed: Record<string, CheckStatus>, match: RegExp, env?: FakeEnvOptions][] = [
  ['no-security-log', { 'logger-security': 'warn' }, /over AMI only/],
  ['security-json', { 'logger-security': 'fail' }, /\[json\] format/],
  ['no-notice-log', { 'logger-notice': 'warn' }, /writes the notice level to no file/],
  ['dateformat-default', { 'logger-dateformat': 'warn' }, /has no year/],
  ['dateformat-unreadable', { 'logger-dateformat': 'fail' }, /cannot read the date|reads back/],
  ['security-log-noload', { 'security-events': 'fail' }, /res_security_log\.so/],
  ['stasis-declined', { 'security-events': 'fail' }, /declines ast_security_event_type/],
  // with AMI off Asterisk does not listen, so the login fails too
  ['ami-off', { 'ami-manager': 'fail', 'ami-login': 'fail' }, /AMI switched off/, AMI_DOWN],
  ['ami-no-security', { 'ami-user': 'fail', 'ami-privileges': 'warn' }, /read = system,call/],
  ['ami-open', { 'ami-manager': 'warn', 'ami-acl': 'warn' }, /listens on 0\.0\.0\.0/],
  ['ami-eventfilter', { 'ami-user': 'fail' }, /drops InvalidPassword/],
  ['chan-sip-guest', { 'chan-sip': 'warn' }, /alwaysauthreject = no.*context \[public\]/],
  ['pjsip-auth-username', { 'pjsip-identify': 'warn' }, /auth_username.*5 requests/],
  ['pjsip-anonymous', { 'pjsip-identify': 'warn' }, /context \[from-anonymous\]/],
];

for (const [dir, changed, match, env] of MISTAKES) {
  test(`fixture ${dir}: reports exactly ${Object.entries(changed)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ')}`, async () => {
    const { code, report, byId } = await doctor(dir, env);
    const expected: Record<string, CheckStatus> = { ...GOOD, ...changed };
    // a user that is sent no security events at all: its filter's extra events are not the point
    if (changed['ami-user'] === 'fail' && dir === 'ami-no-security') delete expected['ami-signals'];
    assert.deepEqual(statuses(report), expected);
    const first = byId[Object.keys(changed)[0]!]!;
    assert.match(first.message, match);
    for (const id of Object.keys(changed)) assert.ok(byId[id]!.fix, `${id} says how to fix it`);
    assert.equal(code, Object.values(changed).includes('fail') ? 1 : 0);
  });
}

test('fixture ami-no-user: the user is missing, so only the login is tried (and refused)', async () => {
  const { report } = await doctor('ami-no-user', { amiUsers: { admin: 'c2VjcmV0LWZvci10ZXN0cy1vbmx5LTEyMzQ' } });
  const expected = { ...GOOD, 'ami-user': 'fail', 'ami-login': 'fail' } as Record<string, CheckStatus>;
  delete expected['ami-privileges'];
  delete expected['ami-signals'];
  delete expected['ami-acl'];
  assert.deepEqual(statuses(report), expected);
});

test('without AMI, a logger.conf with no security channel fails: no source carries the events', async () => {
  const { code, byId } = await doctor('no-security-log', {}, `${FIXTURES}voipguard-no-ami`);
  assert.equal(byId['logger-security']!.status, 'fail');
  assert.match(byId['logger-security']!.fix!, /security\.log => security/);
  assert.equal(byId.ami!.status, 'skip');
  assert.equal(code, 1);
});
