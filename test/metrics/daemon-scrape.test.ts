// The composition root wired for real (startDaemon in this process, --dry-run, [metrics] listen on
// 127.0.0.1): an attack appended to a security log is scraped from /metrics, so the series fed by
// the runtime and the firewall reach the exporter the daemon serves, not only a test's own rig.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon } from '../../src/app.js';
import { ControlClient } from '../../src/control/control-client.js';
import { scrape, value } from './scrape.js';
import { waitFor } from '../helpers/wait-for.js';
import { freePort } from '../helpers/free-port.js';
import { daemonDir } from '../helpers/daemon-dir.js';

const ATTACKER = '203.0.113.50';

function securityLine(ms: number, session: string, ip = ATTACKER): string {
  const d = new Date(ms).toISOString();
  const tv = d.replace('Z', '+0000');
  return `[${d.slice(0, 10)} ${d.slice(11, 19)}] SECURITY[4711] res_security_log.c: SecurityEvent="InvalidPassword",EventTV="${tv}",Severity="Error",Service="PJSIP",EventVersion="2",AccountID="1001",SessionID="${session}",LocalAddress="IPV4/UDP/198.51.100.10/5060",RemoteAddress="IPV4/UDP/${ip}/5072",Challenge="abc",ReceivedChallenge="abc",ReceivedHash="f00"\n`;
}

test('the running daemon exports candidate lines, clamped timestamps and firewall commands on /metrics', async () => {
  const port = await freePort();
  const { dir, socket, log } = daemonDir('vg-metrics-', `[metrics]\nlisten = 127.0.0.1:${port}\n`);
  const errors: string[] = [];
  const running = startDaemon({ configDir: dir, dryRun: true, keepRules: false, tty: false, err: (s) => errors.push(s) });
  const client = new ControlClient(socket, 5000);
  try {
    let body = '';
    // the daemon is up when /metrics answers with the jail's firewall started
    const until = async (what: string, ok: (b: string) => boolean): Promise<void> => {
      const seen = await waitFor(async () => ok((body = await scrape(port).catch(() => ''))), { what, timeoutMs: 10_000, intervalMs: 20 }).catch(() => false);
      if (!seen) assert.fail(`timed out waiting for ${what}; last scrape:\n${body.slice(0, 4000)}`);
    };
    await until('the firewall start', (b) => (value(b, 'voipguard_firewall_commands_total{action="iptables",operation="start"}') ?? 0) >= 1);

    const now = Date.now();
    appendFileSync(log, '[2026-03-01 10:00:00] VERBOSE[4712] pbx.c: Executing [s@default:1] Answer("PJSIP/1001-00000001", "") in new stack\n');
    // dated 20 minutes ahead of the daemon's clock: counted at now, and reported as clamped
    appendFileSync(log, securityLine(now + 20 * 60_000, 'future@198.51.100.10', '192.0.2.9'));
    for (let k = 0; k < 3; k++) appendFileSync(log, securityLine(now + k, `call-${k}@198.51.100.10`));
    await until('the ban', (b) => value(b, 'voipguard_bans_total{jail="asterisk",reason="detected"}') === 1);
    await until('the ban in the (memory) firewall', (b) => (value(b, 'voipguard_firewall_commands_total{action="iptables",operation="ban"}') ?? 0) >= 1);

    assert.equal(value(body, `voipguard_lines_read_total{source="${log}"}`), 5);
    assert.equal(value(body, `voipguard_candidate_lines_total{source="${log}"}`), 4);
    assert.equal(value(body, `voipguard_timestamps_clamped_total{source="${log}"}`), 1);
    assert.doesNotMatch(body, /^voipguard_firewall_errors_total\{/m);
  } finally {
    // a failed assertion must not leave the daemon running in the test process
    await client.request({ cmd: 'stop' }).catch(() => undefined);
    const code = await running;
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0);
    assert.deepEqual(errors, []);
  }
});

test('reload follows [metrics]: added starts the exporter, changed moves it, removed stops it; per-jail series from the start', async () => {
  const [port1, port2] = [await freePort(), await freePort()];
  const { dir, socket, log, definition: base } = daemonDir('vg-metrics-reload-', '', 5);
  const withMetrics = (port: number | null): void =>
    writeFileSync(join(dir, 'voipguard.local'), port === null ? base : `${base}\n[metrics]\nlisten = 127.0.0.1:${port}\n`);
  withMetrics(null);
  const errors: string[] = [];
  const running = startDaemon({ configDir: dir, dryRun: true, keepRules: false, tty: false, err: (s) => errors.push(s) });
  const client = new ControlClient(socket, 5000);
  const reload = async (): Promise<void> => {
    const r = await client.request({ cmd: 'reload', jail: null });
    assert.deepEqual(r.errors, []);
  };
  const refused = (port: number): Promise<boolean> =>
    scrape(port).then(
      () => false,
      () => true,
    );
  try {
    assert.ok(
      await waitFor(async () => (await client.request({ cmd: 'status' }).catch(() => null)) !== null, { what: 'the control socket', timeoutMs: 10_000 }),
    );
    // one failure, before any exporter exists: the gauge must count it once the section is added
    appendFileSync(log, securityLine(Date.now(), 'call-0@198.51.100.10'));
    assert.ok(
      await waitFor(
        async () => {
          const st = await client.request({ cmd: 'jail-status', jail: 'asterisk', short: true });
          return st.filter.currentlyFailed === 1;
        },
        { what: 'the failure counted', timeoutMs: 10_000 },
      ),
    );
    assert.equal(await refused(port1), true);

    withMetrics(port1);
    await reload();
    const body = await scrape(port1);
    assert.equal(value(body, 'voipguard_jail_info{jail="asterisk"}'), 1);
    assert.equal(value(body, 'voipguard_currently_failed{jail="asterisk"}'), 1);
    assert.equal(value(body, 'voipguard_active_bans{jail="asterisk"}'), 0);
    // AMI is off in the shipped config: no AMI state series at all
    assert.doesNotMatch(body, /^voipguard_ami_state\{/m);

    withMetrics(port2);
    await reload();
    assert.equal(value(await scrape(port2), 'voipguard_jail_info{jail="asterisk"}'), 1);
    assert.equal(await refused(port1), true);

    withMetrics(null);
    await reload();
    assert.equal(await refused(port2), true);
  } finally {
    await client.request({ cmd: 'stop' }).catch(() => undefined);
    const code = await running;
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0);
    assert.deepEqual(errors, []);
  }
});
