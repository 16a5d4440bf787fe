// protectregistered on the built daemon, a real kernel and a real log (docs/registrations.md): a phone
// that logged in (SuccessfulAuth in the security log) keeps its traffic passing while its failures
// against its own account go past maxretry, shown under `Protected (registered):`; once it fails
// against another account as often as maxretry, it is banned and the kernel rejects it.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { createNetnsPair, type NetnsPair } from '../helpers/netns.js';
import { build, cli, Daemon, field, makeConfig, removeConfig, waitFor, type E2eConfig } from './daemon-harness.js';

const JAIL = `
[asterisk]
enabled = true
logpath = $LOG
maxretry = 3
findtime = 10m
bantime = 1h
`;

const root = process.getuid?.() === 0;
let pair: NetnsPair;
let cfg: E2eConfig;
let daemon: Daemon | null = null;
let session = 0;

/** The newest source file's mtime: the build is only redone when a source is newer than it. */
before(async () => {
  if (!root) return;
  build();
  pair = await createNetnsPair();
  await pair.serve([5060]);
  cfg = makeConfig(JAIL);
});

after(async () => {
  if (!root) return;
  if (daemon && daemon.proc.exitCode === null) {
    daemon.proc.kill('SIGTERM');
    await daemon.exited;
  }
  await pair?.destroy();
  if (cfg) removeConfig(cfg);
});

function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** One security-log line as res_security_log writes it, dated now (EventTV in UTC). */
function securityLine(event: string, ip: string, account: string, tail: string): string {
  const now = new Date();
  const tv = now.toISOString().replace('Z', '+0000');
  const common =
    `SecurityEvent="${event}",EventTV="${tv}",Severity="${event === 'SuccessfulAuth' ? 'Informational' : 'Error'}",Service="PJSIP",EventVersion="1",` +
    `AccountID="${account}",SessionID="e2e-${++session}@${ip}",LocalAddress="IPV4/UDP/${pair.defender4}/5060",RemoteAddress="IPV4/UDP/${ip}/5060"`;
  return `[${stamp(now)}] SECURITY[4711] res_security_log.c: ${common}${tail}\n`;
}

const login = (ip: string, account: string) => appendFileSync(cfg.log, securityLine('SuccessfulAuth', ip, account, ',UsingPassword="1"'));
const badPassword = (ip: string, account: string) =>
  appendFileSync(cfg.log, securityLine('ChallengeResponseFailed', ip, account, ',Challenge="1f2e3d",Response="9a8b7c",ExpectedResponse=""'));

function status(): string {
  const r = cli(cfg, ['status', 'asterisk']);
  assert.equal(r.code, 0, r.err);
  return r.out;
}

test(
  'a registered phone passes while failing against its own account past maxretry, and is banned once it fails against another',
  { skip: !root && 'needs root for network namespaces' },
  async () => {
    daemon = new Daemon(pair.defender, cfg);
    await waitFor('the daemon to answer ping', () => cli(cfg, ['ping']).code === 0 || daemon!.proc.exitCode !== null);
    assert.equal(daemon.proc.exitCode, null, `the daemon died: ${daemon.stderr}`);
    const phone = pair.attacker4;
    const udp = () => pair.probe('udp', pair.defender4, 5060);
    assert.equal(await udp(), 'reply');

    login(phone, '1001');
    for (let i = 0; i < 6; i++) badPassword(phone, '1001');
    await waitFor('six failures counted', () => field(status(), 'Total failed') === '6');
    const protectedStatus = status();
    assert.equal(field(protectedStatus, 'Protected \\(registered\\)'), `${phone} (6 failures: 1001)`, protectedStatus);
    assert.equal(field(protectedStatus, 'Currently banned'), '0', protectedStatus);
    assert.equal(await udp(), 'reply', 'twice maxretry against its own account: its traffic still passes');
    const json = JSON.parse(cli(cfg, ['--json', 'status', 'asterisk']).out) as { protectedRegistered: unknown };
    assert.deepEqual(json.protectedRegistered, [{ ip: phone, failures: 6, accounts: ['1001'] }]);

    for (let i = 0; i < 3; i++) badPassword(phone, '1002');
    await waitFor('the ban', () => field(status(), 'Banned IP list') === phone);
    assert.equal(field(status(), 'Total failed'), '9');
    assert.equal(await waitFor('UDP rejected', async () => ((await udp()) === 'refused' ? 'refused' : '')), 'refused');
  },
);
