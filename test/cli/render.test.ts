import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderJailStatus, renderServiceStatus } from '../../src/cli/render-status.js';
import { renderStats } from '../../src/cli/render-table.js';
import { renderBanned, renderBanTimes, renderJailValue } from '../../src/cli/render-values.js';
import type { JailStatus, ServiceStatus } from '../../src/control/replies.js';

const jail: JailStatus = {
  jail: 'asterisk',
  filter: {
    currentlyFailed: 1,
    totalFailed: 1,
    signalsSeen: 1,
    attemptsCounted: 1,
    files: ['/var/log/asterisk/messages', '/var/log/asterisk/security'],
    fileStates: [
      { path: '/var/log/asterisk/messages', state: 'reading' },
      { path: '/var/log/asterisk/security', state: 'reading' },
    ],
    waitingFor: [],
  },
  actions: { currentlyBanned: 2, totalBanned: 2, bannedIps: ['192.0.2.44', '198.51.100.23'], pending: [] },
  ami: null,
};

test("status <jail> prints fail2ban-client's exact tree, TABs after the labels", () => {
  assert.equal(
    renderJailStatus(jail, false),
    'Status for the jail: asterisk\n' +
      '|- Filter\n' +
      '|  |- Currently failed:\t1\n' +
      '|  |- Total failed:\t1\n' +
      '|  `- File list:\t/var/log/asterisk/messages /var/log/asterisk/security\n' +
      '`- Actions\n' +
      '   |- Currently banned:\t2\n' +
      '   |- Total banned:\t2\n' +
      '   `- Banned IP list:\t192.0.2.44 198.51.100.23\n',
  );
});

test("status <jail> shows signals seen vs attempts counted, after fail2ban's lines, once correlation merged some", () => {
  const merged = { ...jail, filter: { ...jail.filter, totalFailed: 2, signalsSeen: 7, attemptsCounted: 2 } };
  assert.equal(
    renderJailStatus(merged, true),
    'Status for the jail: asterisk\n' +
      '|- Filter\n' +
      '|  |- Currently failed:\t1\n' +
      '|  |- Total failed:\t2\n' +
      '|  |- File list:\t/var/log/asterisk/messages /var/log/asterisk/security\n' +
      '|  |- Signals seen:\t7 (2 attempts counted)\n' +
      '|  `- Note:\tmaxretry counts attempts, not lines (docs/moving-from-fail2ban.md); correlate = no counts lines\n' +
      '`- Actions\n' +
      '   |- Currently banned:\t2\n' +
      '   `- Total banned:\t2\n',
  );
});

test('status <jail> short omits the banned IP list', () => {
  assert.ok(renderJailStatus(jail, true).endsWith('   `- Total banned:\t2\n'));
});

test('a jail with AMI, a missing file and a pending ban says so in the same tree', () => {
  const j: JailStatus = {
    ...jail,
    filter: { ...jail.filter, fileStates: [jail.filter.fileStates[0]!], waitingFor: ['/var/log/asterisk/security'] },
    actions: { ...jail.actions, pending: ['203.0.113.5'] },
    ami: { state: 'connected', eventsReceived: 14, signalsSeen: 12, attemptsCounted: 10, lastEventAt: null },
  };
  assert.equal(
    renderJailStatus(j, false),
    'Status for the jail: asterisk\n' +
      '|- Filter\n' +
      '|  |- Currently failed:\t1\n' +
      '|  |- Total failed:\t1\n' +
      '|  |- File list:\t/var/log/asterisk/messages\n' +
      '|  |- Waiting for:\t/var/log/asterisk/security\n' +
      '|  `- AMI:\tconnected, no event yet, 14 events received, 12 signals seen, 10 attempts counted\n' +
      '`- Actions\n' +
      '   |- Currently banned:\t2\n' +
      '   |- Total banned:\t2\n' +
      '   |- Pending bans:\t203.0.113.5\n' +
      '   `- Banned IP list:\t192.0.2.44 198.51.100.23\n',
  );
});

const service: ServiceStatus = {
  version: '0.1.0',
  pid: 1,
  startedAt: 0,
  configDir: '/etc/voipguard',
  dryRun: false,
  jails: ['asterisk'],
  disabled: [],
  broken: [],
  waiting: [],
  ami: null,
  cluster: null,
};

test("status prints fail2ban's three lines when there is nothing more to say", () => {
  assert.equal(renderServiceStatus(service), 'Status\n|- Number of jail:\t1\n`- Jail list:\tasterisk\n');
});

test('status on the shipped config says which jails are off and what the service waits for', () => {
  const s: ServiceStatus = {
    ...service,
    jails: [],
    disabled: ['blacklist', 'asterisk'],
    waiting: ['jail asterisk: disabled (enabled = false in jail.conf)', 'AMI: not configured ([ami] enabled = no)'],
  };
  assert.equal(
    renderServiceStatus(s),
    'Status\n' +
      '|- Number of jail:\t0\n' +
      '|- Jail list:\t\n' +
      '|- Disabled jails:\tasterisk, blacklist\n' +
      '`- Waiting for\n' +
      '   |- jail asterisk: disabled (enabled = false in jail.conf)\n' +
      '   `- AMI: not configured ([ami] enabled = no)\n',
  );
});

test('stats is a table with a header, an underline and a count line', () => {
  const out = renderStats([
    { jail: 'sshd', sources: ['journal'], currentlyFailed: 0, totalFailed: 3, currentlyBanned: 0, totalBanned: 1, pending: 0 },
    { jail: 'asterisk', sources: ['file', 'ami'], currentlyFailed: 4, totalFailed: 120, currentlyBanned: 17, totalBanned: 40, pending: 1 },
  ]);
  assert.equal(
    out,
    'Jail      Sources   Failed  Total failed  Banned  Total banned  Pending\n' +
      '--------  --------  ------  ------------  ------  ------------  -------\n' +
      'asterisk  file,ami  4       120           17      40            1\n' +
      'sshd      journal   0       3             0       1             0\n' +
      '2 jails\n',
  );
});

test('banned prints the Python-style list fail2ban-client prints', () => {
  assert.equal(
    renderBanned({ asterisk: ['192.0.2.44', '198.51.100.23'], blacklist: [] }, []),
    "[{'asterisk': ['192.0.2.44', '198.51.100.23']}, {'blacklist': []}]\n",
  );
  assert.equal(renderBanned({ '192.0.2.44': ['asterisk'], '192.0.2.1': [] }, ['192.0.2.44', '192.0.2.1']), "[['asterisk'], []]\n");
});

test('get banip --with-time prints start + seconds = end, in local time', () => {
  const start = new Date(2026, 10, 21, 9, 43, 47).getTime();
  const line = renderBanTimes([{ ip: '192.0.2.44', start, until: start + 3_600_000, banCount: 1, reason: 'detected', applied: true }]);
  assert.equal(line, '192.0.2.44 \t2026-11-21 09:43:47 + 3600 = 2026-11-21 10:43:47\n');
});

test('get values: numbers bare, lists as fail2ban words them', () => {
  assert.equal(renderJailValue('asterisk', 'maxretry', 10, false), '10\n');
  assert.equal(renderJailValue('asterisk', 'ignoreip', ['127.0.0.0/8', '::1'], false), 'These IP addresses/networks are ignored:\n|- 127.0.0.0/8\n`- ::1\n');
  assert.equal(
    renderJailValue('asterisk', 'logpath', ['/var/log/asterisk/messages'], false),
    'Current monitored log file(s):\n`- /var/log/asterisk/messages\n',
  );
  assert.equal(renderJailValue('asterisk', 'banip', ['192.0.2.1', '192.0.2.2'], false), '192.0.2.1 192.0.2.2\n');
});
