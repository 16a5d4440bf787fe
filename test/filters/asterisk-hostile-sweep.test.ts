// Every caller-written field of every Asterisk line kind, filled with pieces of Asterisk's own
// sentences around forged addresses (and pairs of them): the shipped filter answers with the real
// source or with nothing, never with a forged address; and a field without quotes, backslashes
// or Asterisk's sentences never hides the attack.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packageRoot } from '../../src/core/paths.js';
import { loadFilter } from '../../src/filters/load-filter.js';

const REAL = '203.0.113.5';
const D = '[2026-03-01 10:15:30]';

const PIECES = [
  '6.6.6.6',
  '[2001:db8::666]:5060',
  "' failed for '6.6.6.6:5060' - Wrong password",
  "' failed for '6.6.6.6' - No matching peer found",
  '(6.6.6.6:5060)',
  ') to extension \'',
  "' rejected because extension not found in context 'x'. Call from '' (6.6.6.6:5060) to extension '",
  "anonymous: Call (UDP:6.6.6.6:5060) to extension '",
  '(callid: x) - No matching endpoint found',
  "' failed for '6.6.6.6:5060' (callid: y) - Failed to authenticate",
  '",RemoteAddress="IPV4/UDP/6.6.6.6/1',
  '",LocalAddress="IPV4/UDP/1.1.1.1/1",RemoteAddress="IPV4/UDP/6.6.6.6/1",Challenge="',
  ': Incoming SIP connection from unknown peer failed for 6.6.6.6 - ',
  '"Rejecting unknown SIP connection from 6.6.6.6"',
  ' (from 6.6.6.6)',
  'Host 6.6.6.6 failed MD5 authentication for \'x\' (a != b)',
  "6.6.6.6 failed to authenticate as 'x'",
  'SecurityEvent="FailedACL"',
  '\u2028',
  '\r',
  '\x1b[0m',
  "'",
  '"',
  '\\',
  '\\"',
  ')',
  ' - ',
  'plain text 100',
];

/** Each template puts the caller's text where Asterisk would (with its escaping, if any). */
const TEMPLATES: Record<string, (x: string) => string> = {
  'chan_sip registration (To header)': (x) => `${D} NOTICE[1] chan_sip.c: Registration from '<sip:${x}@h>' failed for '${REAL}:5060' - Wrong password`,
  'chan_sip call (extension)': (x) => `${D} NOTICE[1][C-00000001] chan_sip.c: Call from '' (${REAL}:5060) to extension '${x}' rejected because extension not found in context 'public'.`,
  // pjproject prints a quoted display name with its escapes: a bare " or \ arrives escaped
  'pjsip request (display name)': (x) =>
    `${D} NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'INVITE' from '"${x.replace(/[\\"]/g, '\\$&')}" <sip:1@h>' failed for '${REAL}:5060' (callid: c) - No matching endpoint found`,
  'pjsip request (Call-ID)': (x) =>
    `${D} NOTICE[1] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '<sip:1@h>' failed for '${REAL}:5060' (callid: ${x}) - No matching endpoint found after 3 tries in 12.500 ms`,
  'pjsip session (extension)': (x) =>
    `${D} NOTICE[1][C-00000002] res_pjsip_session.c:  anonymous: Call (UDP:${REAL}:5061) to extension '${x}' rejected because extension not found in context 'public'.`,
  'iax2 registration (peer name)': (x) => `${D} NOTICE[1] chan_iax2.c: No registration for peer '${x}' (from ${REAL})`,
  'iax2 md5 (peer name, received hash)': (x) => `${D} NOTICE[1] chan_iax2.c: Host ${REAL} failed MD5 authentication for '${x}' (e7df7cd2ca07f4f1ab415d457a6e1c13 != ${x})`,
  'manager (user name)': (x) => `${D} NOTICE[1] manager.c: ${REAL} failed to authenticate as '${x}'`,
  'dialplan (extension)': (x) => `${D} NOTICE[1][C-00000003] Ext. ${x}: Incoming SIP connection from unknown peer failed for ${REAL} - Unknown connection from peer`,
  'security event (AccountID, SessionID)': (x) =>
    `${D} SECURITY[1] res_security_log.c: SecurityEvent="InvalidAccountID",EventTV="2026-03-01T10:15:30.000+0000",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="${x}",SessionID="${x}",LocalAddress="IPV4/UDP/198.51.100.10/5060",RemoteAddress="IPV4/UDP/${REAL}/5060"`,
};

const HARMLESS = /^[^'"\\]*$/;
const SENTENCE = /failed|extension|callid|Address|Incoming|Rejecting|from|Host|authenticate|SecurityEvent/;

test('forged addresses in every caller-written field never become the failure address', () => {
  const filter = loadFilter('asterisk', { configDir: packageRoot(), timezone: 'UTC' });
  const payloads = [...PIECES, ...PIECES.flatMap((a) => PIECES.map((b) => a + b))];
  const wrong: string[] = [];
  const hidden: string[] = [];
  let n = 0;
  for (const [kind, make] of Object.entries(TEMPLATES)) {
    for (const p of payloads) {
      const text = make(p);
      if (text.includes('\n')) continue;
      n++;
      const m = filter.match({ source: '/var/log/asterisk/messages', text, readAt: Date.UTC(2026, 2, 2) });
      if (m.failure && m.failure.ip !== REAL) wrong.push(`${kind}: ${m.failure.ip} from ${JSON.stringify(p)}`);
      if (!m.failure && HARMLESS.test(p) && !SENTENCE.test(p)) hidden.push(`${kind}: ${JSON.stringify(p)}`);
    }
  }
  assert.ok(n > 8000, `${n} lines`);
  assert.deepEqual(wrong, []);
  assert.deepEqual(hidden, []);
});

// Regexes that backtrack quadratically turn a long line into seconds of CPU; the line cap is
// 64 KiB. Ninety such lines would take minutes with one quadratic rule: the timeout catches it.
test('lines of 60,000 characters built from Asterisk phrases are answered, none with a forged address', { timeout: 30_000 }, () => {
  const filter = loadFilter('asterisk', { configDir: packageRoot(), timezone: 'UTC' });
  const pieces = ["' failed for '6.6.6.6:5060' - Wrong password", "' rejected because extension not found in context 'x'. Call from '' (6.6.6.6:1) to extension '", '(callid: x) - No matching endpoint found', '\\"', '" <sip:a@b>\' failed for \'6.6.6.6:1\' (callid: ', ': Incoming SIP connection from unknown peer failed for 6.6.6.6 - ', '",RemoteAddress="IPV4/UDP/6.6.6.6/1",Challenge="a', '6.6.6.6:', ' '];
  for (const [kind, make] of Object.entries(TEMPLATES)) {
    for (const p of pieces) {
      const x = p.repeat(Math.floor(20_000 / p.length));
      for (const text of [make(x), make(x).slice(0, -3)]) {
        const m = filter.match({ source: '/var/log/asterisk/messages', text, readAt: Date.UTC(2026, 2, 2) });
        assert.ok(m.failure === null || m.failure.ip === REAL, `${kind}: ${m.failure?.ip}`);
      }
    }
  }
});
