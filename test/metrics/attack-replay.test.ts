// The "must show" for metrics: an attack replayed through the daemon's own jail runtime
// (filter → correlator-less jail → dummy firewall, src/daemon/jail-runtime.ts), scraped over real
// HTTP on 127.0.0.1 from the /metrics server, checking the counters and the time-to-ban histogram.
// Time is a manual clock: each line is "read" 5 ms after the time Asterisk wrote in it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { join } from 'node:path';
import { loadJailActions } from '../../src/actions/jail-actions.js';
import { MemoryRunner } from '../../src/actions/memory-runner.js';
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
import { MemoryStore } from '../../src/store/memory-store.js';

const ROOT = packageRoot();
const SECURITY = '/var/log/asterisk/security';
const JAIL_LOCAL = `[asterisk]
enabled = true
maxretry = 3
findtime = 10m
bantime = 1h
action = dummy
logpath = ${SECURITY}
`;

/** The shipped config dir with a jail.local that exists only in memory. */
const reader: ConfigFileReader = {
  read: (p) => (p === join(ROOT, 'jail.local') ? JAIL_LOCAL : diskReader.read(p)),
  list: (d) => diskReader.list(d),
};

const T0 = Date.UTC(2026, 10, 21, 9, 43, 47, 120);

function securityLine(ms: number, event: string, ip: string): string {
  const d = new Date(ms).toISOString();
  const prefix = `[${d.slice(0, 10)} ${d.slice(11, 19)}] SECURITY[4711] res_security_log.c: `;
  const tv = d.replace('Z', '+0000');
  return `${prefix}SecurityEvent="${event}",EventTV="${tv}",Severity="Error",Service="PJSIP",EventVersion="2",AccountID="1001",SessionID="${ms}",LocalAddress="IPV4/UDP/198.51.100.10/5060",RemoteAddress="IPV4/UDP/${ip}/5072",Challenge="1",ReceivedChallenge="1",ReceivedHash="x"`;
}

function scrape(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`HTTP ${res.statusCode}`))));
    })
      .on('error', reject)
      .end();
  });
}

function value(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

test('an attack replayed through the jail runtime shows in /metrics: counters and time to ban', async () => {
  const config = loadConfig(ROOT, { reader });
  const cfg = config.jails.find((j) => j.name === 'asterisk')!;
  assert.ok(cfg.enabled);
  const clock = new ManualClock(T0 - 60_000);
  const store = new MemoryStore();
  const log = silentLogger();
  const metrics = new PromMetrics();
  const rt = new JailRuntime(cfg, { store, clock, log, metrics });
  rt.attach({
    engine: new Jail(cfg),
    filter: loadFilter(cfg.filter!.name, { configDir: ROOT, args: cfg.filter!.args, timezone: 'UTC' }),
    ami: null,
    gate: null,
    actions: loadJailActions({ jail: cfg.name, actions: cfg.actions, params: cfg.raw }, { configDir: ROOT, runner: new MemoryRunner(), store, log }),
    sources: [],
  });
  await rt.start();
  const server = await startMetricsServer({ host: '127.0.0.1', port: 0 }, metrics, log);
  try {
    const replay: [number, string, string][] = [
      [T0, 'InvalidPassword', '203.0.113.50'],
      [T0 + 150, 'ChallengeSent', '203.0.113.50'], // never a failure
      [T0 + 300, 'InvalidPassword', '203.0.113.50'],
      [T0 + 310, 'InvalidAccountID', '198.51.100.77'], // another address, one failure
      [T0 + 450, 'InvalidPassword', '203.0.113.50'], // the third: the ban
      [T0 + 600, 'InvalidPassword', '203.0.113.50'], // still hammering while the rule lands
    ];
    for (const [at, event, ip] of replay) {
      clock.set(at + 5); // read 5 ms after Asterisk wrote it
      rt.line({ source: SECURITY, text: securityLine(at, event, ip), readAt: clock.now() });
      await settle();
    }
    assert.deepEqual(store.activeBans('asterisk').map((b) => [b.ip, b.applied]), [['203.0.113.50', true]]);

    let body = await scrape(server.address.port);
    assert.equal(value(body, `voipguard_lines_read_total{source="${SECURITY}"}`), 6);
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

    // an hour later the ban expires
    clock.set(T0 + 3_600_000 + 1000);
    await rt.tick(clock.now(), false);
    body = await scrape(server.address.port);
    assert.equal(value(body, 'voipguard_unbans_total{jail="asterisk",reason="expired"}'), 1);
    assert.equal(value(body, 'voipguard_active_bans{jail="asterisk"}'), 0);
  } finally {
    await server.close();
    await rt.stop(false);
  }
});
