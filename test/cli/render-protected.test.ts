// The `Protected (registered):` line of `status <jail>` (docs/registrations.md): absent when there is
// nothing to say, one entry per address, attacker-written account names kept on one printable line.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderJailStatus } from '../../src/cli/render-status.js';
import type { JailStatus } from '../../src/control/replies.js';

const base: JailStatus = {
  jail: 'asterisk',
  filter: {
    currentlyFailed: 0,
    totalFailed: 9,
    signalsSeen: 9,
    attemptsCounted: 9,
    files: ['/var/log/asterisk/security'],
    fileStates: [{ path: '/var/log/asterisk/security', state: 'reading' }],
    waitingFor: [],
  },
  actions: { currentlyBanned: 0, totalBanned: 0, bannedIps: [], pending: [] },
  ami: null,
};

test('no protected failures: the tree is exactly the one fail2ban prints', () => {
  const text = renderJailStatus({ ...base, protectedRegistered: [] }, false);
  assert.equal(text, renderJailStatus(base, false));
  assert.doesNotMatch(text, /Protected/);
});

test('protected failures: one line after the filter figures; quotes, CR LF and other bytes stay on it', () => {
  const text = renderJailStatus(
    {
      ...base,
      protectedRegistered: [
        { ip: '192.0.2.50', failures: 8, accounts: ['203'] },
        { ip: '203.0.113.20', failures: 1, accounts: ['a"b', '1001\r\nAccountID: 9', 'caf\u00e9\u001b[2J'] },
        { ip: '198.51.100.9', failures: 2, accounts: [] },
      ],
    },
    true,
  );
  const lines = text.split('\n');
  const line = lines.find((l) => l.includes('Protected (registered):'));
  assert.equal(
    line,
    '|  `- Protected (registered):\t192.0.2.50 (8 failures: 203) 203.0.113.20 (1 failure: a\\"b, 1001\\r\\nAccountID: 9, caf?\\u001b[2J) 198.51.100.9 (2 failures)',
  );
  assert.equal(lines.length, renderJailStatus(base, true).split('\n').length + 1, 'one line more, never more');
});

test('more than 20 addresses: the first 20 and a count', () => {
  const many = Array.from({ length: 25 }, (_, i) => ({ ip: `10.0.0.${i}`, failures: 1, accounts: ['1'] }));
  const line = renderJailStatus({ ...base, protectedRegistered: many }, true)
    .split('\n')
    .find((l) => l.includes('Protected'))!;
  assert.match(line, /10\.0\.0\.19 \(1 failure: 1\) and 5 more$/);
  assert.doesNotMatch(line, /10\.0\.0\.20 /);
});
