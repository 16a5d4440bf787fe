// Start-up probe (root): starts the built daemon in a namespace N times on the shipped jail.conf,
// prints the time until the control socket answers about the jail and the daemon's CPU at that
// moment (/proc), then the daemon's log events with their offsets. Used for docs/flood.md.
//   node --import tsx bench/start-probe.ts [iptables|ipset] [N] [cpu-profile-dir]
// Env: HOLD=ms (how long each daemon runs, default 1500), PIDFILE=path (the daemon's pid, for
// strace -p), KEEP=1 (keep the config directory), SEED=n (the database holds n active bans of the
// jail before the first start: start to ready whatever the bans held), DRY=1 (daemon --dry-run),
// ENTRY=path (another build of the CLI, for an A/B in one sitting), ENV=inherit (keep the shell's
// NODE_EXTRA_CA_CERTS; by default it is unset, as under the systemd unit: bench/e2e.bench.ts --env).
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createNetnsPair } from '../test/helpers/netns.js';
import { CLI, makeConfig, removeConfig, ROOT } from '../test/e2e/daemon-harness.js';
import { cpuSeconds } from './daemon-proc.js';
import { ControlClient } from '../src/control/control-client.js';
import { SqliteStore } from '../src/store/sqlite-store.js';

if (process.env.ENV !== 'inherit') delete process.env.NODE_EXTRA_CA_CERTS;
const action = process.argv[2] ?? 'iptables';
const n = Number(process.argv[3] ?? 3);
const prof = process.argv[4]; // dir for --cpu-prof
const pair = await createNetnsPair();
const cfg = makeConfig(`${action === 'ipset' ? '[DEFAULT]\nbanaction = iptables-ipset\n\n' : ''}[asterisk]\nenabled = true\nlogpath = $LOG\n`);
writeFileSync(cfg.log, '');
const seed = Number(process.env.SEED ?? 0);
if (seed > 0) {
  const store = SqliteStore.open(cfg.db);
  const t = Date.now();
  store.batch(() => {
    for (let i = 0; i < seed; i++) {
      const ip = `198.${18 + ((i >> 16) & 1)}.${(i >> 8) & 255}.${i & 255}`; // 198.18.0.0/15, as bench:e2e
      store.addBan({ jail: 'asterisk', ip, start: t, until: t + 86_400_000, banCount: 1, reason: 'detected' }, true);
    }
  });
  store.close();
}
try {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const args = [
      ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
      process.env.ENTRY ?? CLI,
      'daemon',
      '-c',
      cfg.dir,
      ...(process.env.DRY ? ['--dry-run'] : []),
    ];
    const p = spawn('ip', ['netns', 'exec', pair.defender, process.execPath, ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
      cwd: ROOT,
      env: { ...process.env, VG_TRACE: '1' },
    });
    const c = new ControlClient(cfg.socket, 2000);
    if (process.env.PIDFILE) writeFileSync(process.env.PIDFILE, String(p.pid));
    let ready = 0;
    let cpu = 0;
    for (;;) {
      try {
        await c.request({ cmd: 'jail-status', jail: 'asterisk', short: true });
        ready = performance.now() - t0;
        cpu = cpuSeconds(p.pid!) * 1000;
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    await new Promise((r) => setTimeout(r, Number(process.env.HOLD ?? 1500)));
    p.kill('SIGTERM');
    await new Promise((r) => p.once('exit', r));
    const own = readFileSync(cfg.daemonLog, 'utf8')
      .match(/"event":"ready".*"cpuMs":(\d+)/g)
      ?.at(-1);
    console.log(`ready ${ready.toFixed(0)} ms, daemon cpu ${cpu.toFixed(0)} ms (its own at ready: ${own?.replace(/.*"cpuMs":/, '') ?? '?'} ms)`);
  }
  const lines = readFileSync(cfg.daemonLog, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const t = Date.parse(lines[0].time);
  for (const l of lines) if (l.event && !/failure|debug/.test(l.event)) console.log(Date.parse(l.time) - t, l.event, l.ms ?? '', l.action ?? '');
} finally {
  if (!process.env.KEEP) removeConfig(cfg);
  else console.log(cfg.dir);
  await pair.destroy();
}
