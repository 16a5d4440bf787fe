// node --import tsx bench/burst-cpu.bench.ts [N]: the daemon's main-thread CPU per ban in a burst, in process, for the
// parts behind the filter: the jail runtime, the jail, the store (SQLite on a file), the log (pino
// to a file, info level) and the actions (dry run, no command). N attackers × maxretry failures,
// interleaved as a flood arrives (every address's first failure, then every second, ...), read in
// chunks of 430 lines as a file tail delivers 64 KiB. Reports CPU (user+system) per ban and the
// store's statements. A stand-in filter and no metrics: the figures are those of the parts above.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load-config.js';
import { memoryReader } from '../src/config/config-set.js';
import { ManualClock } from '../src/core/clock.js';
import { packageRoot } from '../src/core/paths.js';
import { Jail } from '../src/jails/jail.js';
import { firewallMaker } from '../src/app.js';
import { NoopMetrics } from '../src/metrics/noop-metrics.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { storeHistory } from '../src/store/store.js';
import { createLogger } from '../src/log/logger.js';
import { loadJailActions } from '../src/actions/jail-actions.js';
import { JailRuntime } from '../src/daemon/jail-runtime.js';
import { fakeFilter, PushSource, T0 } from '../test/cli/daemon-kit.js';

const N = Number(process.argv[2] ?? 10_000);
const MAXRETRY = 5;
const CHUNK = 430;
const CONF = `
[DEFAULT]
maxretry = ${MAXRETRY}
findtime = 10m
bantime = 1h
filter = fake
action = iptables[name=flood, port="5060", protocol="udp"]

[asterisk]
enabled = true
logpath = /var/log/asterisk/messages
`;

async function run(n: number): Promise<{ cpuMs: number; wallMs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'vg-burst-cpu-'));
  const cfg = loadConfig('/cfg', { reader: memoryReader({ '/cfg/jail.conf': CONF }) }).jails.find((j) => j.name === 'asterisk')!;
  const clock = new ManualClock(T0);
  const store = SqliteStore.open(join(dir, 'voipguard.sqlite3'));
  const log = createLogger({ level: 'info', target: join(dir, 'voipguard.log') });
  const metrics = new NoopMetrics();
  const jail = new Jail(cfg, { history: storeHistory(store, 86_400_000) });
  const actions = loadJailActions(
    { jail: cfg.name, actions: cfg.actions, params: cfg.raw },
    { configDir: packageRoot(), firewalls: firewallMaker({ run: () => Promise.reject(new Error('no commands in a dry run')) }, true), store, log, metrics },
  );
  let source!: PushSource;
  const runtime = new JailRuntime(cfg, { store, clock, log, metrics }, (sink) => {
    source = new PushSource(sink, cfg.logpath);
    return { engine: jail, filter: fakeFilter(cfg.logpath[0]!), ami: null, gate: null, actions, sources: [source] };
  });
  await runtime.start();
  const sec = Math.floor(T0 / 1000);
  const lines: string[] = [];
  for (let k = 0; k < MAXRETRY; k++) for (let i = 0; i < n; i++) lines.push(`FAIL 10.${(i >>> 16) & 255}.${(i >>> 8) & 255}.${i & 255} ${sec}`);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < lines.length; i++) {
    source.push(lines[i]!, clock);
    if (i % CHUNK === CHUNK - 1) await new Promise((r) => setImmediate(r));
  }
  while (jail.bannedCount < n || runtime.pendingCount() > 0) await new Promise((r) => setImmediate(r));
  const c = process.cpuUsage(c0);
  const wallMs = performance.now() - t0;
  await runtime.stop(true);
  if (store.activeBans('asterisk').length !== n) throw new Error('not every ban is in the store');
  store.close();
  log.flush();
  rmSync(dir, { recursive: true, force: true });
  return { cpuMs: (c.user + c.system) / 1000, wallMs };
}

await run(1000); // warm-up: the code paths compiled
for (let i = 0; i < 3; i++) {
  const r = await run(N);
  console.log(
    `${N} attackers × ${MAXRETRY} failures: CPU ${r.cpuMs.toFixed(0)} ms (${((r.cpuMs * 1000) / N).toFixed(0)} µs per ban), wall ${r.wallMs.toFixed(0)} ms`,
  );
}
