// protectregistered through the real composition root (in this process, --dry-run) and a fake
// Asterisk manager on 127.0.0.1 (docs/registrations.md): the session asks for the security and system
// classes and for PJSIPShowContacts at login; a SuccessfulAuth over AMI registers the phone; its
// failures against its own account are shown, not banned; against another account they ban.

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

const PHONE = '203.0.113.20';
const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
/** A PJSIP NOTICE line: it names the address, not the account. */
const notice = (ms: number, callId: string, reason: string) =>
  `[${stamp(ms)}] NOTICE[19388] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '<sip:1001@198.51.100.10>' failed for '${PHONE}:5060' (callid: ${callId}) - ${reason}\n`;
const tv = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');
let seq = 0;

function event(name: string, account: string, ms: number, tail: Array<[string, string]>): string {
  return amiBlock([
    ['Event', name],
    ['Privilege', 'security,all'],
    ['EventTV', tv(ms)],
    ['Severity', name === 'SuccessfulAuth' ? 'Informational' : 'Error'],
    ['Service', 'PJSIP'],
    ['EventVersion', '1'],
    ['AccountID', account],
    ['SessionID', `reg-${++seq}@${PHONE}`],
    ['LocalAddress', 'IPV4/UDP/198.51.100.10/5060'],
    ['RemoteAddress', `IPV4/UDP/${PHONE}/5060`],
    ...tail,
  ]);
}
const success = (account: string, ms: number) => event('SuccessfulAuth', account, ms, [['UsingPassword', '1']]);
const badAnswer = (account: string, ms: number) =>
  event('ChallengeResponseFailed', account, ms, [
    ['Challenge', '1f2e'],
    ['Response', '9a8b'],
    ['ExpectedResponse', ''],
  ]);

test('over AMI: a SuccessfulAuth protects the phone for its own account only; the session asks for contacts at login', async () => {
  const ami = new FakeAmiServer({
    lists: {
      pjsipshowcontacts: [
        [
          ['Event', 'ContactList'],
          ['ObjectName', '1001;@0a1b2c'],
          ['Endpoint', '1001'],
          ['Uri', `sip:1001@${PHONE}:5060`],
          ['Status', 'Reachable'],
          ['ExpirationTime', String(Math.floor(Date.now() / 1000) + 3600)],
        ],
      ],
    },
  });
  const port = await ami.listen();
  const dir = mkdtempSync(join(tmpdir(), 'vg-reg-'));
  try {
    copyFileSync(join(packageRoot(), 'jail.conf'), join(dir, 'jail.conf'));
    copyFileSync(join(packageRoot(), 'voipguard.conf'), join(dir, 'voipguard.conf'));
    const socket = join(dir, 'run', 'vg.sock');
    mkdirSync(join(dir, 'asterisk'));
    writeFileSync(
      join(dir, 'voipguard.local'),
      `[Definition]\nlogtarget = ${join(dir, 'vg.log')}\nsocket = ${socket}\npidfile = ${join(dir, 'run', 'vg.pid')}\ndbfile = ${join(dir, 'vg.sqlite3')}\n\n[ami]\nenabled = yes\nhost = 127.0.0.1\nport = ${port}\nusername = voipguard\nsecret = s3cret-Pa55\n`,
    );
    // AMI and the notice log (the notice log alone would never see a login: auto resolves through `ami = yes`)
    const messages = join(dir, 'asterisk', 'messages');
    writeFileSync(messages, '');
    writeFileSync(join(dir, 'jail.local'), `[asterisk]\nenabled = true\nami = yes\nlogpath = ${messages}\nmaxretry = 3\ntimezone = UTC\n`);
    const errors: string[] = [];
    const running = startDaemon({ configDir: dir, dryRun: true, keepRules: false, tty: false, err: (s) => errors.push(s) });
    const client = new ControlClient(socket, 5000);
    const status = () => client.request({ cmd: 'jail-status', jail: 'asterisk', short: false });
    try {
      await waitUntil(() => ami.actionsNamed('PJSIPShowContacts').length === 1, 'the contact query at login', 15_000);
      // the jail exists and takes AMI (the connection may come up before the jails at start)
      await waitFor(async () => (await status()).ami?.state === 'connected', { what: 'the jail sees AMI connected', timeoutMs: 15_000 });
      const [events] = ami.actionsNamed('Events');
      assert.equal(events!.fields.find(([k]) => k.toLowerCase() === 'eventmask')?.[1], 'security,system');
      const now = Date.now();
      await ami.write(success('1001', now));
      for (let k = 0; k < 5; k++) await ami.write(badAnswer('1001', now + k));
      let st = await status();
      await waitFor(async () => (st = await status()).filter.totalFailed === 5, { what: '5 failures', timeoutMs: 15_000 });
      assert.deepEqual(st.actions.bannedIps, [], 'five failures against its own account, maxretry 3: no ban');
      assert.deepEqual(st.protectedRegistered, [{ ip: PHONE, failures: 5, accounts: ['1001'] }]);
      // a NOTICE line names no account: a credential failure from the registered address is its own…
      appendFileSync(messages, notice(now + 5, 'n-1', 'Failed to authenticate'));
      await waitFor(async () => (st = await status()).filter.totalFailed === 6, { what: 'the notice line', timeoutMs: 15_000 });
      assert.equal(st.protectedRegistered?.[0]?.failures, 6);
      // …an unknown endpoint is not: it counts toward the ban
      appendFileSync(messages, notice(now + 6, 'n-2', 'No matching endpoint found'));
      await waitFor(async () => (st = await status()).filter.currentlyFailed === 1, { what: 'the unknown-endpoint line counted', timeoutMs: 15_000 });
      assert.equal(st.protectedRegistered?.[0]?.failures, 6);
      for (let k = 0; k < 2; k++) await ami.write(badAnswer('1002', now + 10 + k));
      await waitFor(async () => (st = await status()).actions.bannedIps.length === 1, { what: 'the ban', timeoutMs: 15_000 });
      assert.deepEqual(st.actions.bannedIps, [PHONE]);
      assert.equal(st.filter.totalFailed, 9);
    } finally {
      await client.request({ cmd: 'stop' }).catch(() => undefined);
    }
    assert.equal(await running, 0);
    assert.deepEqual(errors, []);
  } finally {
    await ami.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
