// The composition root wired for real (in this process, --dry-run): a jail taking both a log file
// and AMI security events from a fake Asterisk manager on 127.0.0.1. One attempt reported by both
// counts once; the jail's status shows the AMI state; `stop` ends startDaemon with 0.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../../src/app.js';
import { ControlClient } from '../../src/control/control-client.js';
import { packageRoot } from '../../src/core/paths.js';
import { FakeAmiServer, amiBlock, waitUntil } from '../helpers/fake-ami-server.js';
import { waitFor } from '../helpers/wait-for.js';

const ATTACKER = '203.0.113.50';
const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const tv = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

function invalidPassword(ms: number, callId: string): Array<[string, string]> {
  return [
    ['Event', 'InvalidPassword'],
    ['Privilege', 'security,all'],
    ['EventTV', tv(ms)],
    ['Severity', 'Error'],
    ['Service', 'PJSIP'],
    ['EventVersion', '2'],
    ['AccountID', '1001'],
    ['SessionID', callId],
    ['LocalAddress', 'IPV4/UDP/198.51.100.10/5060'],
    ['RemoteAddress', `IPV4/UDP/${ATTACKER}/5072`],
    ['Challenge', 'abc'],
    ['ReceivedChallenge', 'abc'],
    ['ReceivedHash', 'f00'],
  ];
}

function securityLine(ms: number, callId: string): string {
  return `[${stamp(ms)}] SECURITY[4711] res_security_log.c: SecurityEvent="InvalidPassword",EventTV="${tv(ms)}",Severity="Error",Service="PJSIP",EventVersion="2",AccountID="1001",SessionID="${callId}",LocalAddress="IPV4/UDP/198.51.100.10/5060",RemoteAddress="IPV4/UDP/${ATTACKER}/5072",Challenge="abc",ReceivedChallenge="abc",ReceivedHash="f00"\n`;
}

/** The real composition root on a temp config dir with [asterisk] taking AMI and a security log. */
async function withDaemon(jailExtra: string, body: (client: ControlClient, ami: FakeAmiServer, log: string) => Promise<void>): Promise<void> {
  const ami = new FakeAmiServer();
  const port = await ami.listen();
  const dir = mkdtempSync(join(tmpdir(), 'vg-app-'));
  try {
    copyFileSync(join(packageRoot(), 'jail.conf'), join(dir, 'jail.conf'));
    copyFileSync(join(packageRoot(), 'voipguard.conf'), join(dir, 'voipguard.conf'));
    const socket = join(dir, 'run', 'vg.sock');
    const log = join(dir, 'asterisk', 'security.log');
    mkdirSync(join(dir, 'asterisk'));
    writeFileSync(
      join(dir, 'voipguard.local'),
      `[Definition]\nlogtarget = ${join(dir, 'vg.log')}\nsocket = ${socket}\npidfile = ${join(dir, 'run', 'vg.pid')}\ndbfile = ${join(dir, 'vg.sqlite3')}\n\n[ami]\nenabled = yes\nhost = 127.0.0.1\nport = ${port}\nusername = voipguard\nsecret = s3cret-Pa55\n`,
    );
    writeFileSync(join(dir, 'jail.local'), `[asterisk]\nenabled = true\nami = yes\nlogpath = ${log}\n${jailExtra}`);
    const errors: string[] = [];
    const running = startDaemon({ configDir: dir, dryRun: true, keepRules: false, tty: false, err: (s) => errors.push(s) });
    const client = new ControlClient(socket, 5000);
    try {
      await waitConnected(client, ami);
      await body(client, ami, log);
    } finally {
      // a failed assertion must not leave the daemon running in the test process
      await client.request({ cmd: 'stop' }).catch(() => undefined);
    }
    assert.equal(await running, 0);
    assert.deepEqual(errors, []);
  } finally {
    await ami.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the daemon takes AMI and log signals of one attempt as one failure, and bans on the 3rd attempt', async () => {
  await withDaemon('maxretry = 3\n', attackAndCheck);
});

test('correlate = no in jail.local: the daemon counts every signal, so two attempts seen twice are four failures', async () => {
  await withDaemon('maxretry = 5\ncorrelate = no\n', async (client, ami, log) => {
    const now = Date.now();
    let st = await jailStatus(client);
    for (let k = 0; k < 2; k++) {
      const callId = `nc-${k}@198.51.100.10`;
      await ami.write(amiBlock(invalidPassword(now + k, callId)));
      appendFileSync(log, securityLine(now + k, callId));
      const want = 2 * (k + 1);
      await waitFor(async () => (st = await jailStatus(client)).filter.totalFailed >= want, { what: `${want} failures`, timeoutMs: 5000 });
      assert.equal(st.filter.totalFailed, want, `attempt ${k + 1}: both signals counted`);
    }
    assert.equal(st.filter.signalsSeen, 4);
    assert.equal(st.filter.attemptsCounted, 4);
    assert.deepEqual(st.actions.bannedIps, [], 'four failures, maxretry 5: no ban yet');
  });
});

const jailStatus = (client: ControlClient) => client.request({ cmd: 'jail-status', jail: 'asterisk', short: false });

async function waitConnected(client: ControlClient, ami: FakeAmiServer): Promise<void> {
  await waitUntil(() => ami.liveConnections > 0 && ami.actionsNamed('Login').length > 0, 'the AMI login', 15_000);
  let st = await jailStatus(client);
  await waitFor(async () => (st = await jailStatus(client)).ami?.state === 'connected', { what: 'the AMI state connected', timeoutMs: 5000 });
  assert.equal(st.ami?.state, 'connected');
}

async function attackAndCheck(client: ControlClient, ami: FakeAmiServer, log: string): Promise<void> {
  const status = () => jailStatus(client);
  let st = await status();

  const now = Date.now();
  for (let k = 0; k < 3; k++) {
    const callId = `call-${k}@198.51.100.10`;
    await ami.write(amiBlock(invalidPassword(now + k, callId)));
    appendFileSync(log, securityLine(now + k, callId));
    const want = k + 1;
    // both signals of the attempt (AMI and the log) have arrived: only then is "counted once" a fact
    await waitFor(async () => (st = await status()).filter.signalsSeen >= 2 * want && st.filter.totalFailed >= want, {
      what: `attempt ${want}'s two signals`,
      timeoutMs: 5000,
    });
    assert.equal(st.filter.signalsSeen, 2 * want, `attempt ${want}: both signals arrived`);
    assert.equal(st.filter.totalFailed, want, `attempt ${want}: counted once`);
  }
  assert.deepEqual(st.actions.bannedIps, [ATTACKER]);
  // each attempt reached the daemon twice (AMI and the security log): status says so
  assert.equal(st.filter.signalsSeen, 6);
  assert.equal(st.filter.attemptsCounted, 3);
  // the AMI line is AMI's share: its 3 events and the failures they made; which signal of an
  // attempt came first (AMI or the log) decides whose attempt it is (test/cli/status-numbers.test.ts)
  assert.equal(st.ami?.eventsReceived, 3);
  assert.equal(st.ami?.signalsSeen, 3);
  assert.ok(st.ami !== null && st.ami.attemptsCounted <= 3);
  const service = await client.request({ cmd: 'status' });
  assert.equal(service.dryRun, true);
  assert.equal(service.ami?.state, 'connected');
}
