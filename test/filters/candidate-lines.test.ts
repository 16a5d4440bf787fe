// The filter counts the lines that get past its cheap pre-check (the daemon reports them per source
// as voipguard_candidate_lines_total): lines the literal gate turns away are not counted, lines that
// reach the regexes are, whether or not a failregex then matches.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadFilter } from '../../src/filters/load-filter.js';
import { packageRoot } from '../../src/core/paths.js';

const READ_AT = Date.UTC(2026, 2, 1, 10, 0, 5);
const line = (text: string) => ({ source: '/var/log/asterisk/messages', text, readAt: READ_AT });

test('lines past the pre-check are counted as candidates, lines it turns away are not', () => {
  const f = loadFilter('asterisk', { configDir: packageRoot(), args: {}, timezone: 'UTC' });
  assert.equal(f.candidates, 0);
  // no literal of any failregex: stops at the gate
  f.match(line('[2026-03-01 10:00:00] VERBOSE[4712] pbx.c: Executing [s@default:1] Answer("PJSIP/1001-00000001", "") in new stack'));
  assert.equal(f.candidates, 0);
  // an attack line: a candidate, and a failure
  const hit = f.match(
    line(
      `[2026-03-01 10:00:00] NOTICE[4712] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '<sip:1001@198.51.100.10>' failed for '203.0.113.50:5072' (callid: abc) - No matching endpoint found`,
    ),
  );
  assert.equal(hit.failure?.ip, '203.0.113.50');
  assert.equal(f.candidates, 1);
  // a SecurityEvent the filter does not count still went through the regexes
  const challenge = f.match(
    line(
      '[2026-03-01 10:00:00] SECURITY[4711] res_security_log.c: SecurityEvent="ChallengeSent",EventTV="2026-03-01T10:00:00.000+0000",Severity="Informational",Service="PJSIP",EventVersion="1",AccountID="1001",SessionID="x",LocalAddress="IPV4/UDP/198.51.100.10/5060",RemoteAddress="IPV4/UDP/203.0.113.50/5072",Challenge="abc"',
    ),
  );
  assert.equal(challenge.failure, null);
  assert.equal(f.candidates, 2);
});
