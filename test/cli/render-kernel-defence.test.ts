// `status <jail>` with droprepeat and subnet bans on: the repeat offenders under their own line,
// the refused prefixes with what they hold and why; with both off, fail2ban's exact tree.

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
    files: ['/var/log/asterisk/messages'],
    fileStates: [{ path: '/var/log/asterisk/messages', state: 'reading' }],
    waitingFor: [],
  },
  actions: { currentlyBanned: 3, totalBanned: 4, bannedIps: ['192.0.2.44', '198.51.100.23', '203.0.113.9'], pending: [] },
  ami: null,
};

test('droprepeat on: "Dropped (repeat offenders)" lists the DROPped addresses after the banned list (empty when none); off: no line', () => {
  const on = renderJailStatus({ ...base, actions: { ...base.actions, dropped: ['198.51.100.23'] } }, false);
  assert.match(on, /\|- Banned IP list:\t192\.0\.2\.44 198\.51\.100\.23 203\.0\.113\.9\n {3}`- Dropped \(repeat offenders\):\t198\.51\.100\.23\n$/);
  assert.match(renderJailStatus({ ...base, actions: { ...base.actions, dropped: [] } }, false), /Dropped \(repeat offenders\):\t\n$/);
  assert.doesNotMatch(renderJailStatus(base, false), /Dropped/);
  assert.doesNotMatch(renderJailStatus({ ...base, actions: { ...base.actions, dropped: ['198.51.100.23'] } }, true), /Dropped/, 'short: counts only');
});

test('subnet bans on: each refused prefix with the protected address and why; none refused, no line', () => {
  const at = Date.UTC(2026, 11, 3, 0, 0, 0);
  const out = renderJailStatus(
    { ...base, actions: { ...base.actions, subnetRefused: [{ prefix: '203.0.113.0/24', why: 'registered', address: '203.0.113.50', at }] } },
    false,
  );
  assert.match(out, / {3}`- Subnet bans refused\n {6}`- 203\.0\.113\.0\/24:\tholds 203\.0\.113\.50 \(registered\), \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$/);
  assert.doesNotMatch(renderJailStatus({ ...base, actions: { ...base.actions, subnetRefused: [] } }, false), /Subnet/);
});
