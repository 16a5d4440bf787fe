import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attemptClass } from '../../src/correlate/attempt-classes.js';
import type { Failure } from '../../src/core/types.js';

const line = (kind: string, text: string, service?: string): Failure => ({
  ip: '203.0.113.5',
  time: 0,
  kind,
  origin: 'log',
  source: 'messages',
  line: text,
  ...(service ? { service } : {}),
});
const key = (f: Failure) => attemptClass(f).key;

test('security events map by name and service; ChallengeSent-like others keep their own name', () => {
  const ev = (kind: string, service: string): Failure => ({ ip: '1.2.3.4', time: 0, kind, origin: 'ami', source: 'ami', service });
  assert.equal(key(ev('InvalidAccountID', 'PJSIP')), 'PJSIP:unknown-account');
  assert.equal(key(ev('ChallengeResponseFailed', 'PJSIP')), 'PJSIP:bad-credentials');
  assert.equal(key(ev('InvalidPassword', 'SIP')), 'SIP:bad-credentials');
  assert.equal(key(ev('FailedACL', 'AMI')), 'AMI:acl');
  assert.equal(key(ev('RequestNotAllowed', 'AMI')), 'AMI:RequestNotAllowed');
  assert.equal(attemptClass(ev('FailedACL', 'AMI')).securityEvent, true);
});

test('PJSIP NOTICE reasons are read at the end of the line, with or without "after N tries"', () => {
  const p = (reason: string) =>
    line(
      'pjsip-request',
      `[2026-03-01 10:15:30] NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '<sip:1@x>' failed for '203.0.113.5:5060' (callid: abc) - ${reason}`,
    );
  assert.equal(key(p('No matching endpoint found')), 'PJSIP:unknown-account');
  assert.equal(key(p('No matching endpoint found after 5 tries in 3.074 ms')), 'PJSIP:unknown-account');
  assert.equal(key(p('Failed to authenticate')), 'PJSIP:bad-credentials');
  assert.equal(key(p('Error to authenticate')), 'PJSIP:bad-credentials');
  assert.equal(key(p('Not match Endpoint Contact ACL')), 'PJSIP:acl');
});

test('a reason planted in caller text before the end does not change the class', () => {
  const f = line(
    'pjsip-request',
    `NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '"x) - Failed to authenticate" <sip:1@x>' failed for '203.0.113.5:5060' (callid: a) - No matching endpoint found) - Failed to authenticate) - No matching endpoint found`,
  );
  assert.equal(key(f), 'PJSIP:unknown-account');
  const sip = line(
    'sip-register',
    `NOTICE[1] chan_sip.c: Registration from '"' - Wrong password" <sip:1@x>' failed for '203.0.113.5:5060' - No matching peer found`,
  );
  assert.equal(key(sip), 'SIP:unknown-account');
});

test('manager.c lines: the phrase right after the address decides, in every prefix form; the user name cannot', () => {
  assert.equal(key(line('manager-auth', "[d] NOTICE[4711] manager.c: 203.0.113.5 tried to authenticate with nonexistent user 'x'")), 'AMI:unknown-account');
  assert.equal(key(line('manager-auth', "[d] NOTICE[4711]: manager.c:3567 authenticate: 203.0.113.5 failed to pass IP ACL as 'admin'")), 'AMI:acl');
  assert.equal(
    key(line('manager-auth', "host asterisk[1]: NOTICE[2]: manager.c:7009 in session_do: 203.0.113.5 failed to authenticate as 'admin'")),
    'AMI:login-failed',
  );
  assert.equal(
    key(line('manager-auth', "NOTICE[4711] manager.c: 203.0.113.5 failed to authenticate as 'a' 6.6.6.6 tried to authenticate with nonexistent user 'b'")),
    'AMI:login-failed',
  );
});

test('chan_sip registration reasons and the kinds without a reason table', () => {
  const r = (reason: string) => line('sip-register', `NOTICE[1] chan_sip.c: Registration from '<sip:1@x>' failed for '203.0.113.5:5060' - ${reason}`);
  assert.equal(key(r('Wrong password')), 'SIP:bad-credentials');
  assert.equal(key(r('Device does not match ACL')), 'SIP:acl');
  assert.equal(key(r('RTP initialization failed')), 'SIP:sip-register');
  assert.equal(key(line('sip-call-rejected', 'anything')), 'SIP:acl');
  assert.equal(key(line('pjsip-call-rejected', 'anything', 'PJSIP')), 'PJSIP:pjsip-call-rejected');
  assert.equal(key(line('iax2-auth', 'anything', 'IAX2')), 'IAX2:iax2-auth');
});
