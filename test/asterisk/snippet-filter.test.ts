// Every snippet against the daemon's own `asterisk` filter: what the generated dialplan logs for an
// unknown caller matches and yields the caller's real address, for both drivers, IPv4 and IPv6,
// whatever the caller dialled; the generated logger dateformat reads back to the millisecond.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAsteriskConfig } from '../../src/asterisk/asterisk-config.js';
import { parseAsteriskVersion } from '../../src/asterisk/asterisk-version.js';
import { readLoggerSettings } from '../../src/asterisk/logger-config.js';
import { asteriskStrftime, localTimeOf } from '../../src/asterisk/strftime.js';
import { renderExtensionsSnippet, renderLoggerSnippet, type Driver } from '../../src/asterisk/snippets.js';
import { loadFilter } from '../../src/filters/load-filter.js';
import { packageRoot } from '../../src/core/paths.js';
import { formatLine, placeCall, type Formatter } from './dialplan-sim.js';

const filter = loadFilter('asterisk', { configDir: packageRoot() });
const WHEN = new Date(2026, 2, 1, 10, 15, 30, 123).getTime();
const DATE = asteriskStrftime('%F %T.%3q', localTimeOf(WHEN))!;

function match(text: string) {
  return filter.match({ source: '/var/log/asterisk/messages.log', text, readAt: WHEN + 1000 });
}

// what CHANNEL() returns for an INVITE from each source (docs/asterisk-facts.md §4)
const SOURCES: readonly [Driver, string, Record<string, string>][] = [
  ['pjsip', '203.0.113.5', { 'pjsip,remote_addr': '203.0.113.5:5060' }],
  ['pjsip', '2001:db8::5', { 'pjsip,remote_addr': '[2001:db8::5]:5062' }],
  ['sip', '203.0.113.5', { recvip: '203.0.113.5' }],
  ['sip', '2001:db8::5', { recvip: '2001:db8::5' }],
];

// what a scanner may put in the Request-URI user (the dialled extension), URI-unescaped by Asterisk
const DIALLED = [
  '1000',
  '011972592891005',
  'admin',
  '6.6.6.6',
  '[2001:db8::666]:5060',
  '"Rejecting unknown SIP connection from 6.6.6.6"',
  's: "Rejecting unknown SIP connection from 6.6.6.6"',
  '100" from \'6.6.6.6\' (6.6.6.6:5060) ,\\"x',
  "1' failed for '6.6.6.6' - Wrong password",
];

for (const [driver, ip, channel] of SOURCES) {
  const snippet = renderExtensionsSnippet({ driver });
  const cfg = parseAsteriskConfig(snippet, 'extensions.conf');
  for (const fmt of ['default', 'plain', 'syslog'] as Formatter[]) {
    test(`--driver ${driver}, ${ip}, ${fmt} prefix: whatever was dialled, the line names ${ip} and nothing the caller wrote`, () => {
      for (const dialled of DIALLED) {
        const logged = placeCall(cfg, 'voipguard-unknown', dialled, channel);
        assert.equal(logged.length, 1, dialled);
        assert.equal(logged[0]!.exten, 's', 'logged from the fixed extension');
        const line = formatLine(logged[0]!, DATE, fmt);
        assert.ok(!line.includes(dialled), `the dialled text never reaches the line: ${line}`);
        const m = match(line);
        assert.equal(m.failure?.ip, ip, line);
        assert.equal(m.failure!.kind, 'dialplan-unknown-peer');
        if (fmt !== 'syslog') assert.equal(m.failure!.time, WHEN);
      }
    });
  }
}

test('the custom level (Asterisk 18, 20, 22) logs lines the filter reads too', () => {
  for (const v of ['18', '20', '22']) {
    const cfg = parseAsteriskConfig(renderExtensionsSnippet({ customLevel: true, asterisk: parseAsteriskVersion(v) }), 'x');
    const [l] = placeCall(cfg, 'voipguard-unknown', '1000', { 'pjsip,remote_addr': '198.51.100.7:5060' });
    assert.equal(l!.level, 'VOIPGUARD');
    assert.equal(match(formatLine(l!, DATE, 'default')).failure?.ip, '198.51.100.7');
  }
});

test("the model is not constant: a naive dialplan that logs at the dialled extension puts the caller's text in the prefix", () => {
  const naive = parseAsteriskConfig('[naive]\nexten => _.,1,Log(NOTICE,\\"Rejecting unknown SIP connection from ${CHANNEL(recvip)}\\")\n', 'x');
  const [l] = placeCall(naive, 'naive', 'evil 6.6.6.6', { recvip: '203.0.113.5' });
  assert.equal(formatLine(l!, DATE, 'default'), `[${DATE}] NOTICE[4711][C-0000002a] Ext. evil 6.6.6.6: "Rejecting unknown SIP connection from 203.0.113.5"`);
});

test('without the backslashes Log() would drop the quotes and the filter would not match: the snippet keeps them', () => {
  const bare = parseAsteriskConfig('[b]\nexten => s,1,Log(NOTICE,"Rejecting unknown SIP connection from ${CHANNEL(recvip)}")\n', 'x');
  const [l] = placeCall(bare, 'b', 's', { recvip: '203.0.113.5' });
  assert.equal(l!.message, 'Rejecting unknown SIP connection from 203.0.113.5');
  assert.equal(match(formatLine(l!, DATE, 'default')).failure, null);
});

test('the generated logger dateformat reads back through the filter to the millisecond', () => {
  const cfg = parseAsteriskConfig(`[general]\n[logfiles]\n${renderLoggerSnippet()}`, 'logger.conf');
  const { dateformat } = readLoggerSettings(cfg, '/var/log/asterisk', 'pbx1');
  for (const t of [WHEN, new Date(2026, 11, 31, 23, 59, 59, 999).getTime(), new Date(2027, 0, 1, 0, 0, 0, 7).getTime()]) {
    const date = asteriskStrftime(dateformat, localTimeOf(t))!;
    const line = `[${date}] NOTICE[4711][C-0000002a] Ext. s: "Rejecting unknown SIP connection from 203.0.113.5:5060"`;
    const m = filter.match({ source: 'x', text: line, readAt: t + 86_400_000 * 3 });
    assert.equal(m.failure?.time, t, line);
  }
});
