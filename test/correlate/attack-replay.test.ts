// One attack recorded three ways (AMI events, security-log lines, notice lines), fed through the
// three real sources (an AmiClient on a TCP fake Asterisk, two FileSources tailing real files) into
// the daemon's own jail runtime with the correlator as its gate: the ban falls after exactly
// `maxretry` attempts. Without the gate the same replay bans during the first attempt.

import { firewallMaker } from '../../src/app.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadJailActions } from '../../src/actions/jail-actions.js';
import { MemoryRunner } from '../fakes/memory-runner.js';
import { diskReader, type ConfigFileReader } from '../../src/config/config-set.js';
import { loadConfig } from '../../src/config/load-config.js';
import { ManualClock } from '../../src/core/clock.js';
import { packageRoot } from '../../src/core/paths.js';
import { AttemptCorrelator } from '../../src/correlate/attempt-correlator.js';
import { JailRuntime } from '../../src/daemon/jail-runtime.js';
import { loadFilter } from '../../src/filters/load-filter.js';
import { Jail } from '../../src/jails/jail.js';
import { silentLogger } from '../../src/log/logger.js';
import { NoopMetrics } from '../../src/metrics/noop-metrics.js';
import { AmiClient } from '../../src/sources/ami-client.js';
import { AmiFailureFilter } from '../../src/filters/ami-failures.js';
import { ManualTimers } from '../../src/core/timers.js';
import { FileSource } from '../../src/sources/file-source.js';
import { pollingOnly } from '../../src/sources/file-watch.js';
import { MemoryStore } from '../fakes/memory-store.js';
import { FakeAmiServer, amiBlock, waitUntil } from '../helpers/fake-ami-server.js';

const ROOT = packageRoot();
const MAXRETRY = 5;
const T0 = Date.UTC(2026, 2, 1, 10, 15, 30, 120);
const PJSIP_ATTACKER = '203.0.113.50';
const AMI_ATTACKER = '192.0.2.4';

type Pairs = Array<[string, string]>;

interface Recording {
  readonly ami: Pairs[];
  readonly security: string[];
  readonly notice: string[];
}

const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
const tv = (ms: number) => new Date(ms).toISOString().replace('Z', '+0000');

function event(name: string, ms: number, service: string, session: string, remote: string, extra: Pairs = []): Pairs {
  const local = service === 'AMI' ? 'IPV4/TCP/0.0.0.0/5038' : 'IPV4/UDP/198.51.100.10/5060';
  const account = service === 'AMI' ? 'admin' : name === 'ChallengeResponseFailed' ? '<unknown>' : '1001';
  return [
    ['Event', name],
    ['Privilege', 'security,all'],
    ['EventTV', tv(ms)],
    ['Severity', name === 'ChallengeSent' ? 'Informational' : 'Error'],
    ['Service', service],
    ['EventVersion', '1'],
    ['AccountID', account],
    ['SessionID', session],
    ['LocalAddress', local],
    ['RemoteAddress', remote],
    ...extra,
  ];
}

/** The same event as res_security_log writes it. */
function securityLine(e: Pairs, ms: number): string {
  const [head, ...rest] = e;
  const fields = rest
    .filter(([k]) => k !== 'Privilege')
    .map(([k, v]) => `,${k}="${v}"`)
    .join('');
  return `[${stamp(ms)}] SECURITY[4711] res_security_log.c: SecurityEvent="${head![1]}"${fields}`;
}

/** Attempt k of both attackers, as Asterisk 20 reports it (facts §3 multiplicity, §9.4, §9.11). */
function attempt(k: number): Recording {
  const t = T0 + k * 700;
  const callId = `a84b4c76e66710-${k}@198.51.100.10`;
  const remote = `IPV4/UDP/${PJSIP_ATTACKER}/5072`;
  const crf: Pairs = [
    ['Challenge', '1569024763/510a7e1ed568b93ce283d1b16bc17a15'],
    ['Response', '8e181448412899ccb20ea585efc8bab0'],
    ['ExpectedResponse', ''],
  ];
  // PJSIP REGISTER for an unknown user: request without credentials, then with them, one Call-ID
  const pjsip: Array<[Pairs, number]> = [
    [event('InvalidAccountID', t, 'PJSIP', callId, remote), t],
    [event('ChallengeSent', t + 1, 'PJSIP', callId, remote), t + 1],
    [event('InvalidAccountID', t + 40, 'PJSIP', callId, remote), t + 40],
    [event('ChallengeResponseFailed', t + 41, 'PJSIP', callId, remote, crf), t + 41],
  ];
  // an AMI login with a wrong secret; Asterisk reuses the session pointer for every attempt
  const amiLogin: Array<[Pairs, number]> = [
    [
      event('InvalidPassword', t + 200, 'AMI', '0x7f3a2c001a40', `IPV4/TCP/${AMI_ATTACKER}/${51514 + k}`, [['SessionTV', '1970-01-01T00:00:00.000+0000']]),
      t + 200,
    ],
  ];
  const all = [...pjsip, ...amiLogin];
  const notice = (reason: string) =>
    `[${stamp(t)}] NOTICE[4711] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '<sip:1001@198.51.100.10>' failed for '${PJSIP_ATTACKER}:5072' (callid: ${callId}) - ${reason}`;
  return {
    ami: all.map(([e]) => e),
    security: all.map(([e, ms]) => securityLine(e, ms)),
    notice: [
      notice('No matching endpoint found'),
      notice('No matching endpoint found'),
      notice('Failed to authenticate'),
      `[${stamp(t + 1200)}] NOTICE[4711] manager.c: ${AMI_ATTACKER} failed to authenticate as 'admin'`,
    ],
  };
}

/** Replays attempts until both attackers are banned; returns the attempt (1-based) each ban fell in. */
async function replay(withCorrelator: boolean): Promise<{ banAt: Map<string, number>; failures: Map<string, number>; stats: unknown }> {
  const dir = mkdtempSync(join(tmpdir(), 'vg-replay-'));
  const security = join(dir, 'security');
  const messages = join(dir, 'messages');
  writeFileSync(security, '');
  writeFileSync(messages, '');
  const jailLocal = `[asterisk]\nenabled = true\nmaxretry = ${MAXRETRY}\nfindtime = 10m\nbantime = 1h\naction = dummy\nami = yes\nlogpath = ${security}\n          ${messages}\n`;
  const reader: ConfigFileReader = {
    read: (p) => (p === join(ROOT, 'jail.local') ? jailLocal : diskReader.read(p)),
    list: (d) => diskReader.list(d),
  };
  const cfg = loadConfig(ROOT, { reader }).jails.find((j) => j.name === 'asterisk')!;
  assert.ok(cfg.enabled && cfg.ami && cfg.logpath.length === 2);

  const clock = new ManualClock(T0 - 1000);
  const store = new MemoryStore();
  const log = silentLogger();
  const correlator = new AttemptCorrelator();
  const rt = new JailRuntime(cfg, { store, clock, log, metrics: new NoopMetrics() }, (sink) => ({
    engine: new Jail(cfg),
    filter: loadFilter(cfg.filter!.name, { configDir: ROOT, args: cfg.filter!.args, timezone: 'UTC' }),
    ami: new AmiFailureFilter({ events: cfg.amievents, jail: cfg.name, log }),
    gate: withCorrelator ? correlator : null,
    actions: loadJailActions(
      { jail: cfg.name, actions: cfg.actions, params: cfg.raw },
      { configDir: ROOT, firewalls: firewallMaker(new MemoryRunner(), false), store, log },
    ),
    sources: [new FileSource({ patterns: cfg.logpath, pollIntervalMs: 0 }, { store, clock, log, onLine: sink, watcher: pollingOnly })],
  }));
  await rt.start();
  const server = new FakeAmiServer();
  await server.listen();
  const client = new AmiClient(
    { host: '127.0.0.1', port: server.port, username: 'voipguard', secret: 's3cret-Pa55' },
    { log, clock, timers: new ManualTimers() },
  );
  client.onEvent((e) => rt.amiEvent(e));
  client.start();
  const banAt = new Map<string, number>();
  const failures = new Map<string, number>();
  try {
    await waitUntil(() => client.state().status === 'connected', 'AMI login');
    for (let k = 0; k < 3 * MAXRETRY && banAt.size < 2; k++) {
      const r = attempt(k);
      const t = T0 + k * 700;
      // AMI first (it is pushed at once), the log files a moment later (the tail polls)
      clock.set(t + 300);
      const events = rt.counters.amiEvents + r.ami.length;
      await server.write(r.ami.map(amiBlock).join(''));
      await waitUntil(() => rt.counters.amiEvents === events, `AMI events of attempt ${k + 1}`);
      clock.set(t + 1500);
      const lines = rt.counters.lines + r.security.length + r.notice.length;
      appendFileSync(security, r.security.map((l) => l + '\n').join(''));
      appendFileSync(messages, r.notice.map((l) => l + '\n').join(''));
      await (rt.sources[0] as FileSource).poll();
      await waitUntil(() => rt.counters.lines === lines, `log lines of attempt ${k + 1}`);
      for (const b of rt.engine.status(clock.now()).banned) {
        if (!banAt.has(b.ip)) banAt.set(b.ip, k + 1);
      }
    }
    for (const d of store.activeBans('asterisk')) failures.set(d.ip, d.banCount);
    return { banAt, failures, stats: correlator.stats() };
  } finally {
    await client.stop();
    await server.close();
    await rt.stop(false);
    rmSync(dir, { recursive: true, force: true });
  }
}

test(`one attack seen through AMI, the security log and the notice log bans after exactly maxretry (${MAXRETRY}) attempts`, async () => {
  const { banAt, stats } = await replay(true);
  assert.equal(banAt.get(PJSIP_ATTACKER), MAXRETRY);
  assert.equal(banAt.get(AMI_ATTACKER), MAXRETRY);
  // five attempts of each. PJSIP: 3 events ×2 sources + 3 notice lines, all under one Call-ID.
  // AMI login: the event ×2 sources (the same pointer, 0 ms apart) + the manager.c line (no id).
  assert.deepEqual(stats, {
    signals: 5 * 9 + 5 * 3,
    attempts: 10,
    merged: { sameId: 5 * 8, samePointer: 5, crossSource: 5, loginPair: 0 },
    tracked: 10,
    evicted: 0,
  });
});

test('the same replay without the correlator bans in the first attempt: every signal counted', async () => {
  const { banAt } = await replay(false);
  assert.equal(banAt.get(PJSIP_ATTACKER), 1);
});
