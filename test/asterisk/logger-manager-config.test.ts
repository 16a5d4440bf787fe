import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAsteriskConfig } from '../../src/asterisk/asterisk-config.js';
import { astLogDir, fileChannelsFor, readLoggerSettings } from '../../src/asterisk/logger-config.js';
import { aclAllows, eventPasses, managerGeneral, managerUser } from '../../src/asterisk/manager-config.js';

test('logger channels: astlogdir from asterisk.conf ([directories](!) included), appendhostname, formatters, console and syslog are not files', () => {
  const asterisk = parseAsteriskConfig('[directories](!)\nastlogdir => /srv/ast/log\n', 'asterisk.conf');
  assert.equal(astLogDir(asterisk), '/srv/ast/log');
  assert.equal(astLogDir(null), '/var/log/asterisk');
  const logger = parseAsteriskConfig(
    [
      '[general]',
      'appendhostname = yes',
      '[logfiles]',
      'console => notice',
      'syslog.local0 => security',
      'full => [plain]*',
      '/abs/sec.log => [json]security',
      'verb => verbose(3),NOTICE',
    ].join('\n'),
    'logger.conf',
  );
  const s = readLoggerSettings(logger, astLogDir(asterisk), 'pbx1');
  assert.equal(s.defaultDateformat, true);
  assert.equal(s.dateformat, '%b %e %T');
  assert.deepEqual(
    s.channels.map((c) => [c.path, c.formatter, c.levels.join(',')]),
    [
      [null, 'default', 'notice'],
      [null, 'default', 'security'],
      ['/srv/ast/log/full.pbx1', 'plain', '*'],
      ['/abs/sec.log.pbx1', 'json', 'security'],
      ['/srv/ast/log/verb.pbx1', 'default', 'verbose,notice'],
    ],
  );
  assert.deepEqual(
    fileChannelsFor(s, 'SECURITY').map((c) => c.name),
    ['full', '/abs/sec.log'],
  );
});

test('manager: enabled/bindaddr/port defaults, user lookup ignores case, [general] is no user', () => {
  const cfg = parseAsteriskConfig('[general]\n[VoipGuard]\nread = Security, call\nwrite = system\n', 'manager.conf');
  assert.deepEqual(managerGeneral(cfg), { enabled: false, bindaddr: '0.0.0.0', port: 5038 });
  assert.deepEqual(managerUser(cfg, 'voipguard')!.read, ['security', 'call']);
  assert.equal(managerUser(cfg, 'general'), null);
  assert.equal(managerUser(cfg, 'nobody'), null);
});

test('permit/deny as ast_apply_ha: the last matching rule decides, no rule allows, masks dotted or as bits', () => {
  const user = (rules: string) => managerUser(parseAsteriskConfig(`[u]\n${rules}`, 'm'), 'u')!;
  assert.equal(aclAllows(user('').acl, '203.0.113.1'), true);
  const local = user('deny = 0.0.0.0/0.0.0.0\npermit = 127.0.0.1/255.255.255.255\npermit = 10.1.0.0/16');
  assert.deepEqual(
    ['127.0.0.1', '10.1.2.3', '10.2.0.1', '203.0.113.1'].map((a) => aclAllows(local.acl, a)),
    [true, true, false, false],
  );
  // an IPv4 deny-all does not cover IPv6 sources
  assert.equal(aclAllows(local.acl, '2001:db8::1'), true);
  const negated = user('permit = !192.0.2.0/24');
  assert.equal(aclAllows(negated.acl, '192.0.2.9'), false);
});

test('event filters: legacy regex include/exclude, advanced name()/action()', () => {
  const user = (lines: string) => managerUser(parseAsteriskConfig(`[u]\nread = security\n${lines}`, 'm'), 'u')!;
  const none = user('');
  assert.equal(eventPasses(none, 'InvalidPassword'), true);
  const exclude = user('eventfilter = !Event: InvalidPassword');
  assert.equal(eventPasses(exclude, 'InvalidPassword'), false);
  assert.equal(eventPasses(exclude, 'FailedACL'), true);
  const adv = user('eventfilter(name(FailedACL)) =\neventfilter(name(InvalidPassword)) =');
  assert.equal(eventPasses(adv, 'InvalidPassword'), true);
  assert.equal(eventPasses(adv, 'InvalidAccountID'), false);
  const advExclude = user('eventfilter(action(exclude),name(FailedACL)) =');
  assert.equal(eventPasses(advExclude, 'FailedACL'), false);
  assert.equal(eventPasses(advExclude, 'InvalidPassword'), true);
  assert.equal(eventPasses(user('eventfilter(name(FailedACL),header(Service),method(exact)) = AMI'), 'FailedACL'), null, 'not judged');
  assert.equal(eventPasses(user('eventfilter = Event: (unclosed'), 'FailedACL'), null);
});
