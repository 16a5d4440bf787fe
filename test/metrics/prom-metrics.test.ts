import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PromMetrics, TIME_TO_BAN_BUCKETS } from '../../src/metrics/prom-metrics.js';
import { NoopMetrics } from '../../src/metrics/noop-metrics.js';
import type { Metrics } from '../../src/metrics/metrics.js';

async function text(m: PromMetrics): Promise<string> {
  return (await m.scrape()).body;
}

function sample(body: string, series: string): number | undefined {
  for (const line of body.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1));
  }
  return undefined;
}

test('two metric sets in one process keep their own counts (no global registry)', async () => {
  const a = new PromMetrics();
  const b = new PromMetrics();
  a.ban('asterisk', 'detected');
  a.ban('asterisk', 'detected');
  b.ban('asterisk', 'manual');
  assert.equal(sample(await text(a), 'voipguard_bans_total{jail="asterisk",reason="detected"}'), 2);
  assert.equal(sample(await text(b), 'voipguard_bans_total{jail="asterisk",reason="detected"}'), undefined);
  assert.equal(sample(await text(b), 'voipguard_bans_total{jail="asterisk",reason="manual"}'), 1);
});

test('every stage fact shows up under a Prometheus-style name', async () => {
  const m = new PromMetrics();
  m.linesRead('/var/log/asterisk/security', 10);
  m.linesRead('/var/log/asterisk/security');
  m.candidateLines('/var/log/asterisk/security', 4);
  m.failure({ jail: 'asterisk', source: '/var/log/asterisk/security', kind: 'InvalidPassword', service: 'PJSIP' });
  m.failure({ jail: 'asterisk', source: 'ami', kind: 'InvalidAccountID' });
  m.signalSeen('asterisk');
  m.signalSeen('asterisk');
  m.attemptCounted('asterisk');
  m.unban('asterisk', 'expired');
  m.activeBans('asterisk', 7);
  m.firewallCommand('iptables', 'batch', true);
  m.firewallCommand('iptables', 'batch', false);
  m.pendingBans(3);
  m.amiState('backing-off');
  m.amiInUse(true);
  m.amiReconnect();
  m.jailStarted('asterisk', () => 2);
  m.timestampClamped('/var/log/asterisk/messages');
  m.notification('webhook', 'sent');
  m.notification('webhook', 'failed');
  m.notification('webhook', 'dropped', 5);
  const t = await text(m);
  const expect: Record<string, number> = {
    'voipguard_lines_read_total{source="/var/log/asterisk/security"}': 11,
    'voipguard_candidate_lines_total{source="/var/log/asterisk/security"}': 4,
    'voipguard_failures_total{jail="asterisk",source="/var/log/asterisk/security",kind="InvalidPassword",service="PJSIP"}': 1,
    'voipguard_failures_total{jail="asterisk",source="ami",kind="InvalidAccountID",service=""}': 1,
    'voipguard_signals_seen_total{jail="asterisk"}': 2,
    'voipguard_attempts_counted_total{jail="asterisk"}': 1,
    'voipguard_unbans_total{jail="asterisk",reason="expired"}': 1,
    'voipguard_active_bans{jail="asterisk"}': 7,
    'voipguard_firewall_commands_total{action="iptables",operation="batch"}': 2,
    'voipguard_firewall_errors_total{action="iptables",operation="batch"}': 1,
    voipguard_pending_bans: 3,
    'voipguard_ami_state{state="backing-off"}': 1,
    'voipguard_ami_state{state="connected"}': 0,
    voipguard_ami_reconnects_total: 1,
    'voipguard_jail_info{jail="asterisk"}': 1,
    'voipguard_currently_failed{jail="asterisk"}': 2,
    'voipguard_timestamps_clamped_total{source="/var/log/asterisk/messages"}': 1,
    'voipguard_notifications_total{channel="webhook",outcome="sent"}': 1,
    'voipguard_notifications_total{channel="webhook",outcome="failed"}': 1,
    'voipguard_notification_bans_dropped_total{channel="webhook"}': 5,
  };
  for (const [series, value] of Object.entries(expect)) assert.equal(sample(t, series), value, series);
  for (const line of t.split('\n')) {
    if (line.startsWith('# TYPE') && line.endsWith(' counter')) assert.match(line, /^# TYPE voipguard_\w+_total counter$/);
  }
});

test('AMI state is exported only while a running jail takes AMI events: none on a log-only install', async () => {
  const m = new PromMetrics();
  assert.doesNotMatch(await text(m), /^voipguard_ami_state\{/m);
  m.amiState('connecting');
  assert.doesNotMatch(await text(m), /^voipguard_ami_state\{/m);
  m.amiInUse(true);
  assert.equal(sample(await text(m), 'voipguard_ami_state{state="connecting"}'), 1);
  m.amiState('connected');
  assert.equal(sample(await text(m), 'voipguard_ami_state{state="connected"}'), 1);
  m.amiInUse(false);
  assert.doesNotMatch(await text(m), /^voipguard_ami_state\{/m);
});

test('time to ban is measured from the attack line to the kernel rule, in seconds', async () => {
  const m = new PromMetrics();
  const attack = Date.UTC(2026, 10, 21, 9, 43, 47, 100);
  m.banInKernel('asterisk', attack, attack + 12); // 12 ms
  m.banInKernel('asterisk', attack, attack + 700); // 0.7 s
  m.banInKernel('asterisk', attack + 5000, attack); // log clock ahead of ours: observed as 0
  const t = await text(m);
  assert.equal(sample(t, 'voipguard_time_to_ban_seconds_count{jail="asterisk"}'), 3);
  assert.ok(Math.abs(sample(t, 'voipguard_time_to_ban_seconds_sum{jail="asterisk"}')! - 0.712) < 1e-9);
  assert.equal(sample(t, 'voipguard_time_to_ban_seconds_bucket{le="0.001",jail="asterisk"}'), 1);
  assert.equal(sample(t, 'voipguard_time_to_ban_seconds_bucket{le="0.025",jail="asterisk"}'), 2);
  assert.equal(sample(t, 'voipguard_time_to_ban_seconds_bucket{le="1",jail="asterisk"}'), 3);
  assert.deepEqual(TIME_TO_BAN_BUCKETS.slice(0, 3), [0.001, 0.0025, 0.005]);
});

test('an attacker address never becomes a label, and label sets stay bounded', async () => {
  const m = new PromMetrics({ maxLabelValues: 4 });
  // a misconfigured filter that put the address where the kind belongs
  m.failure({ jail: 'asterisk', source: '203.0.113.5:5060', kind: '203.0.113.5', service: '2001:db8::1' });
  for (let i = 0; i < 100; i++) m.failure({ jail: 'asterisk', source: 'ami', kind: `Kind${i}` });
  const t = await text(m);
  assert.doesNotMatch(t, /203\.0\.113\.5|2001:db8/);
  const kinds = new Set([...t.matchAll(/kind="([^"]*)"/g)].map((x) => x[1]));
  assert.ok(kinds.size <= 5, `kinds: ${[...kinds].join(',')}`);
  assert.ok(kinds.has('other'));
  const total = [...t.matchAll(/^voipguard_failures_total\{[^}]*\} (\d+)$/gm)].reduce((s, x) => s + Number(x[1]), 0);
  assert.equal(total, 101, 'folding labels keeps every failure counted');
});

test('the no-op twin has every method the exporter has, and they return nothing', () => {
  const exporter = Object.getOwnPropertyNames(PromMetrics.prototype).filter((n) => n !== 'constructor' && n !== 'scrape');
  const twin: Metrics = new NoopMetrics();
  for (const name of exporter) {
    const fn = (twin as unknown as Record<string, unknown>)[name];
    assert.equal(typeof fn, 'function', name);
    assert.equal((fn as (...a: unknown[]) => unknown)('asterisk', 'detected'), undefined);
  }
  assert.ok(exporter.length >= 15);
});

test("the daemon's registry carries the default process and Node.js metrics under their usual names, and build info", async () => {
  const m = new PromMetrics({ processMetrics: true, version: '1.2.3' });
  const body = await text(m);
  assert.match(body, /^process_cpu_user_seconds_total /m);
  assert.match(body, /^process_resident_memory_bytes /m);
  assert.match(body, /^nodejs_eventloop_lag_seconds /m);
  assert.match(body, new RegExp(`^voipguard_build_info\\{version="1\\.2\\.3",nodejs="${process.versions.node.replace(/\./g, '\\.')}"\\} 1$`, 'm'));
  assert.doesNotMatch(await text(new PromMetrics()), /^(process_|nodejs_|voipguard_build_info)/m, 'off unless asked');
});
