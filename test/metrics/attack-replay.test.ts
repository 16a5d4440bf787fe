// The "must show" for metrics: an attack replayed through the daemon's own jail runtime
// (filter → correlator-less jail → dummy firewall, src/daemon/jail-runtime.ts), scraped over real
// HTTP on 127.0.0.1 from the /metrics server, checking the counters and the time-to-ban histogram,
// the candidate lines, clamped timestamps and firewall commands (a failing one included).
// Time is a manual clock: each line is "read" 5 ms after the time Asterisk wrote in it.

import { firewallMaker } from '../../src/app.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadJailActions } from '../../src/actions/jail-actions.js';
import { MemoryRunner } from '../fakes/memory-runner.js';
import { diskReader, type ConfigFileReader } from '../../src/config/config-set.js';
import { loadConfig } from '../../src/config/load-config.js';
import { ManualClock } from '../../src/core/clock.js';
import { packageRoot } from '../../src/core/paths.js';
import { JailRuntime } from '../../src/daemon/jail-runtime.js';
import { loadFilter } from '../../src/filters/load-filter.js';
import { Jail } from '../../src/jails/jail.js';
import { silentLogger } from '../../src/log/logger.js';
import { PromMetrics } from '../../src/metrics/prom-metrics.js';
import { startMetricsServer } from '../../src/metrics/metrics-server.js';
import { MemoryStore } from '../fakes/memory-store.js';
import { scrape, value } from './scrape.js';

const ROOT = packageRoot();
const SECURITY = '/var/log/asterisk/security';
const jailLocal = (action: string): string => `[asterisk]
enabled = true
maxretry = 3
findtime = 10m
bantime = 1h
action = ${action}
logpath = ${SECURITY}
`;

/** The shipped config dir with a jail.local that exists only in memory. */
function reader(local: string): ConfigFileReader {
  return {
    read: (p) => (p === join(ROOT, 'jail.local') ? local : diskReader.read(p)),
    list: (d) => diskReader.list(d),
  };
}

const T0 = Date.UTC(2026, 10, 21, 9, 43, 47, 120);

function securityLine(ms: number, event: string, ip: string): string {
  const d = new Date(ms).toISOString();
  const prefix = `[${d.slice(0, 10)} ${d.slice(11, 19)}] SECURITY[4711] res_security_log.c: `;
  const tv = d.replace('Z', '+0000');
  // each event with the fields Asterisk writes after RemoteAddress for it (a foreign tail is refused)
  const tail = event === 'InvalidPassword' ? ',Challenge="1",ReceivedChallenge="1",ReceivedHash="x"' : '';
  return `${prefix}SecurityEvent="${event}",EventTV="${tv}",Severity="Error",Service="PJSIP",EventVersion="2",AccountID="1001",SessionID="${ms}",LocalAddress="IPV4/UDP/198.51.100.10/5060",RemoteAddress="IPV4/UDP/${ip}/5072"${tail}`;
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** The jail runtime as the daemon builds it, with one Metrics for the runtime and the firewall. */
async function rig(action: string, runner = new MemoryRunner()) {
  const config = loadConfig(ROOT, { reader: reader(jailLocal(action)) });
  const cfg = config.jails.find((j) => j.name === 'asterisk')!;
  assert.ok(cfg.enabled);
  const clock = new ManualClock(T0 - 60_000);
  const store = new MemoryStore();
  const log = silentLogger();
  const metrics = new PromMetrics();
  const rt = new JailRuntime(cfg, { store, clock, log, metrics }, () => ({
    engine: new Jail(cfg),
    filter: loadFilter(cfg.filter!.name, { configDir: ROOT, args: cfg.filter!.args, timezone: 'UTC' }),
    ami: null,
    gate: null,
    actions: loadJailActions(
      { jail: cfg.name, actions: cfg.actions, params: cfg.raw },
      { configDir: ROOT, firewalls: firewallMaker(runner, false), store, log, metrics },
    ),
    sources: [],
  }));
  await rt.start();
  const server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, metrics, log);
  const read = async (at: number, text: string): Promise<void> => {
    clock.set(at + 5); // read 5 ms after Asterisk wrote it
    rt.line({ source: SECURITY, text, readAt: clock.now() });
    await settle();
  };
  return { rt, clock, store, server, read, scrape: () => scrape(server.address.port) };
}

test('an attack replayed through the jail runtime shows in /metrics: counters and time to ban', async () => {
  const { rt, clock, store, server, read } = await rig('dummy');
  try {
    const replay: [number, string, string][] = [
      [T0, 'InvalidPassword', '203.0.113.50'],
      [T0 + 150, 'ChallengeSent', '203.0.113.50'], // never a failure, but past the pre-check
      [T0 + 300, 'InvalidPassword', '203.0.113.50'],
      [T0 + 310, 'InvalidAccountID', '198.51.100.77'], // another address, one failure
      [T0 + 450, 'InvalidPassword', '203.0.113.50'], // the third: the ban
      [T0 + 600, 'InvalidPassword', '203.0.113.50'], // still hammering while the rule lands
    ];
    for (const [at, event, ip] of replay) await read(at, securityLine(at, event, ip));
    // lines the literal gate turns away are read, never candidates
    await read(T0 + 620, '[2026-11-21 09:43:47] VERBOSE[4712] pbx.c: Executing [s@default:1] Answer("PJSIP/1001-00000001", "") in new stack');
    await read(T0 + 630, '[2026-11-21 09:43:47] NOTICE[4712] chan_pjsip.c: Call from 1001 to 200 answered');
    assert.deepEqual(
      store.activeBans('asterisk').map((b) => [b.ip, b.applied]),
      [['203.0.113.50', true]],
    );

    let body = await scrape(server.address.port);
    assert.equal(value(body, `voipguard_lines_read_total{source="${SECURITY}"}`), 8);
    assert.equal(value(body, `voipguard_candidate_lines_total{source="${SECURITY}"}`), 6);
    assert.equal(value(body, `voipguard_failures_total{jail="asterisk",source="${SECURITY}",kind="InvalidPassword",service="PJSIP"}`), 4);
    assert.equal(value(body, `voipguard_failures_total{jail="asterisk",source="${SECURITY}",kind="InvalidAccountID",service="PJSIP"}`), 1);
    assert.equal(value(body, 'voipguard_signals_seen_total{jail="asterisk"}'), 5);
    assert.equal(value(body, 'voipguard_attempts_counted_total{jail="asterisk"}'), 5);
    assert.equal(value(body, 'voipguard_bans_total{jail="asterisk",reason="detected"}'), 1);
    assert.equal(value(body, 'voipguard_active_bans{jail="asterisk"}'), 1);
    // one ban, confirmed 5 ms after the third attack line's own timestamp
    assert.equal(value(body, 'voipguard_time_to_ban_seconds_count{jail="asterisk"}'), 1);
    assert.equal(value(body, 'voipguard_time_to_ban_seconds_sum{jail="asterisk"}'), 0.005);
    assert.equal(value(body, 'voipguard_time_to_ban_seconds_bucket{le="0.0025",jail="asterisk"}'), 0);
    assert.equal(value(body, 'voipguard_time_to_ban_seconds_bucket{le="0.005",jail="asterisk"}'), 1);
    assert.equal(value(body, 'voipguard_time_to_ban_seconds_bucket{le="+Inf",jail="asterisk"}'), 1);
    assert.doesNotMatch(body, /203\.0\.113\.50|198\.51\.100\.77/, 'no address in any label');
    // the dummy action: started, kernel listed at start-up, one ban transaction, nothing failed
    assert.equal(value(body, 'voipguard_firewall_commands_total{action="dummy",operation="start"}'), 1);
    assert.equal(value(body, 'voipguard_firewall_commands_total{action="dummy",operation="reconcile"}'), 1);
    assert.equal(value(body, 'voipguard_firewall_commands_total{action="dummy",operation="ban"}'), 1);
    assert.doesNotMatch(body, /^voipguard_firewall_errors_total\{/m);
    // every line so far was dated 5 ms before it was read: nothing clamped
    assert.equal(value(body, `voipguard_timestamps_clamped_total{source="${SECURITY}"}`), undefined);

    // a line dated 20 minutes ahead of our clock (> the 10-minute skew bound) counts at now
    await read(T0 + 700, securityLine(T0 + 20 * 60_000, 'InvalidAccountID', '192.0.2.9'));
    body = await scrape(server.address.port);
    assert.equal(value(body, `voipguard_timestamps_clamped_total{source="${SECURITY}"}`), 1);
    assert.equal(value(body, `voipguard_candidate_lines_total{source="${SECURITY}"}`), 7);

    // an hour later the ban expires
    clock.set(T0 + 3_600_000 + 1000);
    await rt.tick(clock.now(), false);
    body = await scrape(server.address.port);
    assert.equal(value(body, 'voipguard_unbans_total{jail="asterisk",reason="expired"}'), 1);
    assert.equal(value(body, 'voipguard_active_bans{jail="asterisk"}'), 0);
    assert.equal(value(body, 'voipguard_firewall_commands_total{action="dummy",operation="unban"}'), 1);
  } finally {
    await server.close();
    await rt.stop(false);
  }
});

test('a firewall command that fails shows in /metrics as an error of its action and operation', async () => {
  // iptables through a runner whose iptables-restore (the batch form) fails: the xtables lock is held
  const runner = new MemoryRunner().when('iptables-restore', { exitCode: 4, stderr: 'Another app is currently holding the xtables lock.' });
  const { rt, clock, store, server, read, scrape } = await rig('iptables[name=asterisk, port="5060", protocol=udp]', runner);
  try {
    for (const k of [0, 1, 2]) await read(T0 + k * 100, securityLine(T0 + k * 100, 'InvalidPassword', '203.0.113.50'));
    assert.deepEqual(
      store.activeBans('asterisk').map((b) => [b.ip, b.applied]),
      [['203.0.113.50', false]],
      'the ban is kept, pending',
    );
    const body = await scrape();
    assert.equal(value(body, 'voipguard_firewall_commands_total{action="iptables",operation="start"}'), 1);
    assert.equal(value(body, 'voipguard_firewall_errors_total{action="iptables",operation="start"}'), undefined, 'the start succeeded');
    assert.equal(value(body, 'voipguard_firewall_commands_total{action="iptables",operation="ban"}'), 1);
    assert.equal(value(body, 'voipguard_firewall_errors_total{action="iptables",operation="ban"}'), 1);
    assert.equal(value(body, 'voipguard_time_to_ban_seconds_count{jail="asterisk"}'), undefined, 'not in the kernel');
    // the lock is released; the check's retry lands the ban, and its time to ban is taken then
    runner.clearResponders();
    clock.set(T0 + 60_000);
    await rt.tick(clock.now(), true);
    assert.deepEqual(
      store.activeBans('asterisk').map((b) => [b.ip, b.applied]),
      [['203.0.113.50', true]],
    );
    const after = await scrape();
    assert.equal(value(after, 'voipguard_time_to_ban_seconds_count{jail="asterisk"}'), 1, 'confirmed after the retry');
  } finally {
    await server.close();
    await rt.stop(false);
  }
});
