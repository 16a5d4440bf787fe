// The runtime's side of docs/beyond-one-address.md, with the real filter and jail: ChallengeSent and
// SuccessfulAuth lines reach the jail as signals, the tick settles unanswered challenges into
// failures, and the facts (account-attack, compromise-suspected) are logged, counted and, for a
// compromise, handed to the notify actions at once.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authSignalsFor } from '../../src/config/account-schema.js';
import type { GuardNotice } from '../../src/core/auth-signal.js';
import { loadConfig, type JailConfig } from '../../src/config/load-config.js';
import { ManualClock } from '../../src/core/clock.js';
import { packageRoot } from '../../src/core/paths.js';
import { JailRuntime } from '../../src/daemon/jail-runtime.js';
import { loadFilter } from '../../src/filters/load-filter.js';
import { Jail } from '../../src/jails/jail.js';
import { NoopMetrics } from '../../src/metrics/noop-metrics.js';
import type { Metrics } from '../../src/metrics/metrics.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { MemoryStore } from '../fakes/memory-store.js';
import { CONFIG_DIR, fixtureReader } from '../config/config-kit.js';
import { PushSource, RecordingActions, T0 } from './daemon-kit.js';

function jailConfig(keys: string): JailConfig {
  const c = loadConfig(CONFIG_DIR, {
    reader: fixtureReader(null, { 'jail.local': `[asterisk]\nenabled = true\nlogpath = /var/log/asterisk/security\n${keys}` }),
  });
  assert.deepEqual(c.errors, []);
  return c.jails.find((j) => j.name === 'asterisk')!;
}

function line(clock: ManualClock, event: string, ip: string, account: string, session: string): string {
  const d = new Date(clock.now());
  const stamp = d.toISOString().replace('T', ' ').slice(0, 19);
  return (
    `[${stamp}] SECURITY[4711] res_security_log.c: SecurityEvent="${event}",EventTV="${d.toISOString().replace('Z', '+0000')}",` +
    `Severity="Error",Service="PJSIP",EventVersion="1",AccountID="${account}",SessionID="${session}",` +
    `LocalAddress="IPV4/UDP/198.51.100.10/5060",RemoteAddress="IPV4/UDP/${ip}/5060"`
  );
}

async function setup(keys: string) {
  const cfg = jailConfig(keys);
  const clock = new ManualClock(T0);
  const { log, records } = memoryLogger('info');
  const counted: string[] = [];
  const metrics: Metrics = { ...new NoopMetrics(), guardNotice: (jail, event) => counted.push(`${jail} ${event}`) };
  const actions = new RecordingActions();
  const alarms: GuardNotice[] = [];
  let source!: PushSource;
  const runtime = new JailRuntime(cfg, { store: new MemoryStore(), clock, log, metrics }, (sink) => {
    source = new PushSource(sink, cfg.logpath);
    const filter = loadFilter('asterisk', { configDir: packageRoot(), timezone: 'UTC', signals: authSignalsFor(cfg) });
    return { engine: new Jail(cfg), filter, ami: null, gate: null, actions, sources: [source], alarm: (n) => alarms.push(n) };
  });
  await runtime.start();
  const push = (event: string, ip: string, account: string, session: string) => source.push(line(clock, event, ip, account, session), clock);
  return { runtime, clock, records, counted, actions, alarms, push };
}

const settle = () => new Promise((r) => setImmediate(r));

test('a scanner that never answers its challenges is banned once the tick has settled maxretry of them', async () => {
  const k = await setup('maxretry = 3\nchallengetimeout = 10s\n');
  for (let i = 0; i < 3; i++) {
    k.push('ChallengeSent', '203.0.113.9', `${100 + i}`, `scan-${i}`);
    k.clock.advance(1000);
  }
  // a phone: challenged and answered
  k.push('ChallengeSent', '198.51.100.7', '200', 'phone');
  k.push('SuccessfulAuth', '198.51.100.7', '200', 'phone');
  await k.runtime.tick(k.clock.now(), false);
  assert.equal(k.runtime.engine.status(k.clock.now()).totalFailed, 0, 'nothing settles before its timeout');
  k.clock.advance(10_000);
  await k.runtime.tick(k.clock.now(), false);
  await settle();
  assert.deepEqual(
    k.actions.applied.map((d) => [d.type, d.ip]),
    [['ban', '203.0.113.9']],
  );
  assert.equal(k.runtime.engine.status(k.clock.now()).totalFailed, 3);
  assert.equal(k.runtime.counters.attempts, 3);
  await k.runtime.stop(true);
});

test('the account-attack fact is logged once and counted; status lists the account', async () => {
  const k = await setup('maxretry = 5\naccountretry = 4\n');
  for (let i = 1; i <= 4; i++) {
    k.push('ChallengeResponseFailed', `198.18.0.${i}`, '1001', `g${i}a`);
    k.push('ChallengeResponseFailed', `198.18.0.${i}`, '1001', `g${i}b`);
  }
  await settle();
  const facts = k.records.filter((r) => r.event === 'account-attack');
  assert.equal(facts.length, 1);
  assert.deepEqual([facts[0]!.jail, facts[0]!.account, facts[0]!.addresses], ['asterisk', '1001', 2]);
  assert.deepEqual(k.counted, ['asterisk account-attack']);
  assert.equal(k.actions.applied.filter((d) => d.type === 'ban' && d.reason === 'account-attack').length, 4);
  assert.equal(k.runtime.engine.guardStatus(k.clock.now()).accountsUnderAttack, 1);
  await k.runtime.stop(true);
});

test('a login after three failures: compromise-suspected logged, counted and sent to the notify actions; no ban without bansuspected', async () => {
  const k = await setup('maxretry = 5\n');
  for (let i = 0; i < 3; i++) k.push('ChallengeResponseFailed', '203.0.113.20', '300', `c${i}`);
  k.push('SuccessfulAuth', '203.0.113.20', '300', 'c9');
  await settle();
  const fact = k.records.find((r) => r.event === 'compromise-suspected');
  assert.ok(fact);
  assert.deepEqual([fact.ip, fact.account, fact.failures, fact.banned], ['203.0.113.20', '300', 3, false]);
  assert.deepEqual(k.counted, ['asterisk compromise-suspected']);
  assert.equal(k.alarms.length, 1);
  assert.equal(k.actions.applied.length, 0);
  await k.runtime.stop(true);
});
