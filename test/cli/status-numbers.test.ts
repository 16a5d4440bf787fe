// Every number of `status <jail>` against a replay with known counts: the real composition root
// (--dry-run) with a jail taking a security log and AMI events from a fake Asterisk manager.
//   AMI only:   1 SuccessfulAuth (an event, no failure; for account 1002, so under protectregistered
//               it shields nothing against 1001: docs/registrations.md), 2 InvalidPassword attempts
//   log only:   2 InvalidPassword attempts
//   both:       1 attempt, reported by AMI first and then by the log (the log line merges into it)
// So AMI: 4 events received, 3 signals, 3 attempts; the jail: 6 signals, 5 attempts, banned on the 5th.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../../src/app.js';
import { renderJailStatus } from '../../src/cli/render-status.js';
import { formatLocalTime } from '../../src/cli/render-time.js';
import { ControlClient } from '../../src/control/control-client.js';
import type { JailStatus } from '../../src/control/replies.js';
import { packageRoot } from '../../src/core/paths.js';
import { FakeAmiServer, amiBlock, waitUntil } from '../helpers/fake-ami-server.js';

const ATTACKER = '203.0.113.77';
const tv = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

function amiEvent(event: 'InvalidPassword' | 'SuccessfulAuth', ms: number, sessionId: string): Array<[string, string]> {
  const common: Array<[string, string]> = [
    ['Event', event],
    ['Privilege', 'security,all'],
    ['EventTV', tv(ms)],
    ['Severity', event === 'SuccessfulAuth' ? 'Informational' : 'Error'],
    ['Service', 'PJSIP'],
    ['EventVersion', '1'],
    ['AccountID', event === 'SuccessfulAuth' ? '1002' : '1001'],
    ['SessionID', sessionId],
    ['LocalAddress', 'IPV4/UDP/198.51.100.10/5060'],
    ['RemoteAddress', `IPV4/UDP/${ATTACKER}/5072`],
  ];
  return event === 'SuccessfulAuth'
    ? [...common, ['UsingPassword', '1']]
    : [...common, ['Challenge', 'abc'], ['ReceivedChallenge', 'abc'], ['ReceivedHash', 'f00']];
}

function securityLine(ms: number, sessionId: string): string {
  return `[${stamp(ms)}] SECURITY[4711] res_security_log.c: SecurityEvent="InvalidPassword",EventTV="${tv(ms)}",Severity="Error",Service="PJSIP",EventVersion="2",AccountID="1001",SessionID="${sessionId}",LocalAddress="IPV4/UDP/198.51.100.10/5060",RemoteAddress="IPV4/UDP/${ATTACKER}/5072",Challenge="abc",ReceivedChallenge="abc",ReceivedHash="f00"\n`;
}

test("status <jail>: every figure matches a replay with known counts, and the AMI line shows AMI's share only", async () => {
  const ami = new FakeAmiServer();
  const port = await ami.listen();
  const dir = mkdtempSync(join(tmpdir(), 'vg-status-'));
  try {
    copyFileSync(join(packageRoot(), 'jail.conf'), join(dir, 'jail.conf'));
    copyFileSync(join(packageRoot(), 'voipguard.conf'), join(dir, 'voipguard.conf'));
    const socket = join(dir, 'run', 'vg.sock');
    const log = join(dir, 'asterisk', 'security.log');
    mkdirSync(join(dir, 'asterisk'));
    writeFileSync(log, '');
    writeFileSync(
      join(dir, 'voipguard.local'),
      `[Definition]\nlogtarget = ${join(dir, 'vg.log')}\nsocket = ${socket}\npidfile = ${join(dir, 'run', 'vg.pid')}\ndbfile = ${join(dir, 'vg.sqlite3')}\n\n[ami]\nenabled = yes\nhost = 127.0.0.1\nport = ${port}\nusername = voipguard\nsecret = s3cret-Pa55\n`,
    );
    writeFileSync(join(dir, 'jail.local'), `[asterisk]\nenabled = true\nami = yes\nmaxretry = 5\nlogpath = ${log}\n`);
    const running = startDaemon({ configDir: dir, dryRun: true, keepRules: false, tty: false, err: () => undefined });
    const client = new ControlClient(socket, 5000);
    const status = () => client.request({ cmd: 'jail-status', jail: 'asterisk', short: false }) as Promise<JailStatus>;
    const until = async (what: string, ok: (s: JailStatus) => boolean) => {
      let st = await status();
      for (const deadline = Date.now() + 10_000; !ok(st); st = await status()) {
        if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(st)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return st;
    };
    try {
      await waitUntil(() => ami.liveConnections > 0 && ami.actionsNamed('Login').length > 0, 'the AMI login', 15_000);
      await until('AMI connected', (s) => s.ami?.state === 'connected');
      const t = Date.now();
      await ami.write(amiBlock(amiEvent('SuccessfulAuth', t, 'ok-1')));
      await until('the SuccessfulAuth event', (s) => s.ami!.eventsReceived === 1);
      for (let k = 0; k < 2; k++) {
        await ami.write(amiBlock(amiEvent('InvalidPassword', t + 1 + k, `ami-${k}`)));
        await until(`AMI attempt ${k + 1}`, (s) => s.filter.totalFailed === k + 1);
      }
      for (let k = 0; k < 2; k++) {
        appendFileSync(log, securityLine(t + 3 + k, `log-${k}`));
        await until(`log attempt ${k + 1}`, (s) => s.filter.totalFailed === 3 + k);
      }
      await ami.write(amiBlock(amiEvent('InvalidPassword', t + 5, 'both-1')));
      await until('the 5th attempt, from AMI', (s) => s.filter.totalFailed === 5);
      appendFileSync(log, securityLine(t + 5, 'both-1'));
      const st = await until('the log line of the same attempt', (s) => s.filter.signalsSeen === 6);

      assert.deepEqual(
        {
          currentlyFailed: st.filter.currentlyFailed,
          totalFailed: st.filter.totalFailed,
          signalsSeen: st.filter.signalsSeen,
          attemptsCounted: st.filter.attemptsCounted,
        },
        { currentlyFailed: 0, totalFailed: 5, signalsSeen: 6, attemptsCounted: 5 },
        'the jail: 6 signals, 5 attempts; the ban ended the window',
      );
      assert.deepEqual(
        { ...st.ami!, lastEventAt: null },
        { state: 'connected', eventsReceived: 4, signalsSeen: 3, attemptsCounted: 3, lastEventAt: null },
        'AMI: its 4 events, the 3 failures they made, the 3 attempts they counted',
      );
      assert.deepEqual(st.actions, { currentlyBanned: 1, totalBanned: 1, bannedIps: [ATTACKER], pending: [], pendingCount: 0 });
      assert.equal(
        renderJailStatus(st, false),
        'Status for the jail: asterisk\n' +
          '|- Filter\n' +
          '|  |- Currently failed:\t0\n' +
          '|  |- Total failed:\t5\n' +
          `|  |- File list:\t${log}\n` +
          `|  |- AMI:\tconnected, last event ${formatLocalTime(st.ami!.lastEventAt!)}, 4 events received, 3 signals seen, 3 attempts counted\n` +
          '|  |- Signals seen:\t6 (5 attempts counted)\n' +
          '|  `- Note:\tmaxretry counts attempts, not lines (docs/moving-from-fail2ban.md); correlate = no counts lines\n' +
          '`- Actions\n' +
          '   |- Currently banned:\t1\n' +
          '   |- Total banned:\t1\n' +
          `   \`- Banned IP list:\t${ATTACKER}\n`,
      );
    } finally {
      await client.request({ cmd: 'stop' }).catch(() => undefined);
    }
    assert.equal(await running, 0);
  } finally {
    await ami.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
