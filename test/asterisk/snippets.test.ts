import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAsteriskConfig } from '../../src/asterisk/asterisk-config.js';
import { parseAsteriskVersion, hasCustomLevels, hasAdvancedEventFilter, hasChanSip } from '../../src/asterisk/asterisk-version.js';
import { readLoggerSettings } from '../../src/asterisk/logger-config.js';
import { managerGeneral, managerUser, aclAllows, eventPasses } from '../../src/asterisk/manager-config.js';
import { generateSecret, renderExtensionsSnippet, renderLoggerSnippet, renderManagerSnippet } from '../../src/asterisk/snippets.js';
import { VoipguardError } from '../../src/core/errors.js';

const v = parseAsteriskVersion;

test('versions: custom levels from 16.22/18.8/19, chan_sip until 20, advanced eventfilter from 18.26/20.11/21.6/22.1', () => {
  assert.deepEqual(
    ['16.21', '16.22', '17', '18.7', '18.8', '18', '19', '20', '22'].map((x) => hasCustomLevels(v(x))),
    [false, true, false, false, true, true, true, true, true],
  );
  assert.deepEqual(
    ['20', '21', '22'].map((x) => hasChanSip(v(x))),
    [true, false, false],
  );
  assert.deepEqual(
    ['18.25', '18.26', '20.10', '20.11', '21.5', '21.6', '22.0', '22.1', '23', '19'].map((x) => hasAdvancedEventFilter(v(x))),
    [false, true, false, true, false, true, false, true, true, false],
  );
  assert.throws(() => v('banana'), /--asterisk banana/);
  assert.throws(() => v('9'), VoipguardError);
});

test('logger snippet: dateformat with milliseconds, security and voipguard channels, logger reload; the stock notice log is not declared again', () => {
  const text = renderLoggerSnippet();
  const cfg = parseAsteriskConfig(`[general]\n[logfiles]\n${text}`, 'logger.conf');
  assert.deepEqual(cfg.problems, []);
  const s = readLoggerSettings(cfg, '/var/log/asterisk', 'pbx');
  assert.equal(s.dateformat, '%F %T.%3q');
  assert.deepEqual(
    s.channels.map((c) => [c.path, c.levels.join(',')]),
    [
      ['/var/log/asterisk/security.log', 'security'],
      ['/var/log/asterisk/voipguard.log', 'notice,warning,security'],
    ],
  );
  // Asterisk 19+'s stock logger.conf has this line: the snippet names it instead of repeating it
  assert.match(text, /^;messages\.log => notice,warning,error$/m);
  assert.match(text, /"messages\.log => notice,warning,error"\s+; since Asterisk 19/);
  assert.deepEqual(s.customLevels, []);
  assert.match(text, /asterisk -rx 'logger reload'/);
  assert.doesNotMatch(text, /custom_levels/);
});

test('logger snippet with --custom-level declares the level and sends it to the voipguard channel', () => {
  const cfg = parseAsteriskConfig(`[general]\n[logfiles]\n${renderLoggerSnippet({ customLevel: true, asterisk: v('20') })}`, 'logger.conf');
  const s = readLoggerSettings(cfg, '/var/log/asterisk', 'pbx');
  assert.deepEqual(s.customLevels, ['voipguard']);
  assert.equal(s.channels.at(-1)!.levels.join(','), 'notice,warning,security,voipguard');
  assert.throws(() => renderLoggerSnippet({ customLevel: true }), /needs --asterisk/);
  assert.throws(() => renderLoggerSnippet({ customLevel: true, asterisk: v('17') }), /no custom_levels/);
});

function dialplan(text: string): { exten: string; app: string }[] {
  const cfg = parseAsteriskConfig(text, 'extensions.conf');
  assert.deepEqual(cfg.problems, []);
  return cfg.named('voipguard-unknown')[0]!.variables.map((x) => {
    const parts = x.value.split(',');
    return { exten: x.name === 'same' ? '' : parts[0]!, app: parts.slice(x.name === 'same' ? 1 : 2).join(',') };
  });
}

test('extensions snippet (pjsip): any number jumps to s, s logs the fixed text with remote_addr, then hangs up unanswered', () => {
  const lines = dialplan(renderExtensionsSnippet({ driver: 'pjsip' }));
  assert.deepEqual(lines, [
    { exten: '_.', app: 'Goto(voipguard-unknown,s,1)' },
    // h has its own line: "_." would send the hangup back to s and log the call a second time
    { exten: 'h', app: 'NoOp(voipguard: hangup of a refused call, not logged again)' },
    { exten: 's', app: 'Log(NOTICE,\\"Rejecting unknown SIP connection from ${CHANNEL(pjsip,remote_addr)}\\")' },
    { exten: '', app: 'Hangup(21)' },
  ]);
  assert.ok(!lines.some((l) => /Answer|Playback|Wait/.test(l.app)), 'never answers');
});

test('extensions snippet (sip): CHANNEL(recvip), never peerip (Via can set it)', () => {
  const text = renderExtensionsSnippet({ driver: 'sip', asterisk: v('20') });
  assert.match(text, /Log\(NOTICE,\\"Rejecting unknown SIP connection from \$\{CHANNEL\(recvip\)\}\\"\)/);
  assert.doesNotMatch(text.replace(/^;.*$/gm, ''), /peerip/);
  assert.match(text, /allowguest = yes/);
});

test('--driver sip --asterisk 22 is refused: chan_sip is gone since 21', () => {
  assert.throws(
    () => renderExtensionsSnippet({ driver: 'sip', asterisk: v('22') }),
    (e: unknown) => e instanceof VoipguardError && e.code === 'VG_USAGE' && /removed in Asterisk 21/.test(e.message),
  );
  assert.throws(() => renderExtensionsSnippet({ driver: 'pjsip', asterisk: v('11') }), /13\.0 or later/);
});

test('extensions snippet with a custom level logs at VOIPGUARD, only for versions that have it', () => {
  for (const ver of ['18', '20', '22']) {
    assert.match(renderExtensionsSnippet({ customLevel: true, asterisk: v(ver) }), /^exten => s,1,Log\(VOIPGUARD,\\"Rejecting unknown SIP connection from /m);
  }
  assert.throws(() => renderExtensionsSnippet({ customLevel: true, asterisk: v('16.21') }), /no custom_levels/);
});

test('a context name that would break the [section] line is refused', () => {
  for (const bad of ['a]b', 'x\n[y]', 'a;b', '']) {
    assert.throws(
      () => renderExtensionsSnippet({ context: bad }),
      (e: unknown) => e instanceof VoipguardError && e.code === 'VG_USAGE',
    );
  }
});

test('manager snippet: read = security only, no write, deny all then permit 127.0.0.1, the four failure events and SuccessfulAuth', () => {
  const snippet = renderManagerSnippet({ secret: 'A'.repeat(32) });
  const cfg = parseAsteriskConfig(`[general]\nenabled = yes\nbindaddr = 127.0.0.1\n${snippet.text}`, 'manager.conf');
  assert.deepEqual(cfg.problems, []);
  assert.equal(managerGeneral(cfg).enabled, true);
  const user = managerUser(cfg, 'voipguard')!;
  assert.deepEqual(user.read, ['security']);
  assert.deepEqual(user.write, []);
  assert.equal(user.secret, 'A'.repeat(32));
  assert.equal(aclAllows(user.acl, '127.0.0.1'), true);
  assert.equal(aclAllows(user.acl, '127.0.0.2'), false);
  assert.equal(aclAllows(user.acl, '203.0.113.9'), false);
  for (const e of ['FailedACL', 'InvalidAccountID', 'ChallengeResponseFailed', 'InvalidPassword']) assert.equal(eventPasses(user, e), true);
  // a login feeds the registrations and the compromise alarm (docs/registrations.md); a challenge is opt-in
  assert.equal(eventPasses(user, 'SuccessfulAuth'), true);
  assert.equal(eventPasses(user, 'ChallengeSent'), false);
  // the advanced filter form is there, commented out
  assert.match(snippet.text, /^;eventfilter\(name\(InvalidPassword\)\) =$/m);
});

test('the secret comes from crypto.randomBytes: 24 bytes, base64url, different every time', () => {
  const seen = new Set([generateSecret(), generateSecret(), renderManagerSnippet().secret]);
  assert.equal(seen.size, 3);
  for (const s of seen) assert.match(s, /^[A-Za-z0-9_-]{32}$/);
  assert.equal(
    generateSecret((n) => Buffer.alloc(n, 0xff)),
    '_'.repeat(32),
  );
  assert.throws(() => renderManagerSnippet({ secret: 'short' }), /16 to 128/);
});
