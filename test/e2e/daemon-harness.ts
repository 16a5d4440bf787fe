// Runs the BUILT voipguard (dist/src/cli/voipguard.js) as real processes: the daemon inside the
// defender namespace of a test network (its iptables are that namespace's), the CLI from the host
// (the control socket is a file, reachable from any namespace). A temp config dir copies the
// shipped jail.conf and enables [asterisk] on a temp log file; filter.d and action.d come from the
// package (searchDirs), as they do for a user's /etc/voipguard.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';
import { waitFor as waitForFact } from '../helpers/wait-for.js';

export const ROOT = packageRoot();
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'voipguard.js');

/** Newest modification time under `dir` (ms). */
export function newestSource(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    t = Math.max(t, st.isDirectory() ? newestSource(p) : st.mtimeMs);
  }
  return t;
}

const BUILD_LOCK = join(ROOT, '.e2e-build.lock');
const BUILD_LOCK_STALE_MS = 180_000;

/**
 * `npm run build` (the compiler, then the bundler), once per change of src/: several e2e files run at once (two at a time)
 * and each asks for a build, so the first one compiles under a lock (a directory, made atomically)
 * and the others, waiting on the lock, find dist/ fresh and leave it alone. Rewriting dist/ under a
 * daemon that another file is starting would make it read half-written modules. Other files' type
 * errors do not stop tsc from emitting ours.
 */
export function build(): void {
  const deadline = Date.now() + BUILD_LOCK_STALE_MS;
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // a lock left by a killed run: older than any build takes
      if (Date.now() - statSync(BUILD_LOCK, { throwIfNoEntry: false })!.mtimeMs > BUILD_LOCK_STALE_MS) rmSync(BUILD_LOCK, { recursive: true, force: true });
      else if (Date.now() > deadline) throw new Error(`the build lock ${BUILD_LOCK} was held for ${BUILD_LOCK_STALE_MS} ms`);
      else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); // the holder's tsc runs: look again
    }
  }
  try {
    const app = join(ROOT, 'dist', 'src', 'app.js');
    const fresh = (): boolean => existsSync(CLI) && existsSync(app) && statSync(app).mtimeMs >= newestSource(join(ROOT, 'src'));
    if (fresh()) return;
    const started = Date.now();
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'tsconfig.json')], {
      encoding: 'utf8',
      cwd: ROOT,
    });
    if (!(existsSync(CLI) && statSync(app).mtimeMs >= started - 2000)) throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
    // npm run build's second step: the bundle the built CLI hands over to (scripts/bundle.mjs)
    const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs')], { encoding: 'utf8', cwd: ROOT });
    if (b.status !== 0) throw new Error(`bundle failed:\n${b.stdout}\n${b.stderr}`);
    chmodSync(CLI, 0o755);
  } finally {
    rmSync(BUILD_LOCK, { recursive: true, force: true });
  }
}

export interface E2eConfig {
  readonly dir: string;
  readonly log: string;
  readonly socket: string;
  readonly daemonLog: string;
  readonly db: string;
}

export function makeConfig(jailLocal: string): E2eConfig {
  const dir = mkdtempSync(join(tmpdir(), 'vg-e2e-'));
  const cfg = {
    dir,
    log: join(dir, 'asterisk', 'messages'),
    socket: join(dir, 'run', 'voipguard.sock'),
    daemonLog: join(dir, 'voipguard.log'),
    db: join(dir, 'lib', 'voipguard.sqlite3'),
  };
  copyFileSync(join(ROOT, 'jail.conf'), join(dir, 'jail.conf'));
  copyFileSync(join(ROOT, 'voipguard.conf'), join(dir, 'voipguard.conf'));
  writeFileSync(
    join(dir, 'voipguard.local'),
    `[Definition]\nloglevel = DEBUG\nlogtarget = ${cfg.daemonLog}\nsocket = ${cfg.socket}\npidfile = ${join(dir, 'run', 'voipguard.pid')}\ndbfile = ${cfg.db}\n`,
  );
  writeFileSync(join(dir, 'jail.local'), jailLocal.replaceAll('$LOG', cfg.log));
  mkdirSync(join(dir, 'asterisk'));
  return cfg;
}

export function removeConfig(cfg: E2eConfig): void {
  rmSync(cfg.dir, { recursive: true, force: true });
}

export class Daemon {
  readonly proc: ChildProcess;
  stderr = '';
  readonly exited: Promise<number | null>;
  /** `entry`: the node arguments that run the CLI (the built file; the bench runs the sources with tsx). */
  constructor(netns: string, cfg: E2eConfig, entry: readonly string[] = [CLI]) {
    this.proc = spawn('ip', ['netns', 'exec', netns, process.execPath, ...entry, 'daemon', '-c', cfg.dir], { stdio: ['ignore', 'ignore', 'pipe'], cwd: ROOT });
    this.proc.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    this.exited = new Promise((r) => this.proc.once('exit', (code, sig) => r(sig === 'SIGKILL' ? -9 : code)));
  }
}

/** The built CLI, from the host; optionally as another user (argv prefix such as setpriv) and from another copy. */
export function cli(cfg: E2eConfig, args: readonly string[], asUser: readonly string[] = [], entry = CLI): { code: number; out: string; err: string } {
  const argv = [...asUser, process.execPath, entry, '-c', cfg.dir, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** Polls until fn() is truthy, or throws with the last value (for processes and the kernel). */
export function waitFor<T>(what: string, fn: () => T | Promise<T>, deadlineMs = 15_000): Promise<T> {
  return waitForFact(fn, { what, timeoutMs: deadlineMs, intervalMs: 50 });
}

/** Asterisk's log time, local: `2026-12-05 02:13:00`. */
export function stamp(d = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** One failed SIP registration as chan_sip writes it to the messages log. */
export function attackLine(ip: string, user = '100'): string {
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return `[${stamp()}] NOTICE[2211] chan_sip.c: Registration from '"${user}" <sip:${user}@10.0.0.1>' failed for '${host}:5060' - Wrong password\n`;
}

export function attack(path: string, ip: string, n = 1): void {
  for (let i = 0; i < n; i++) appendFileSync(path, attackLine(ip, String(100 + i)));
}

/** A field of `status <jail>`'s tree: `Total failed`, `Banned IP list`… */
export function field(statusText: string, label: string): string | undefined {
  const m = new RegExp(`${label}:\\t(.*)$`, 'm').exec(statusText);
  return m?.[1];
}

/**
 * A copy of the built CLI that any user can load: dist/src, package.json and the runtime dependencies
 * (package-lock's non-dev packages) in a world-readable temp dir. The checkout itself may sit under a
 * directory only its owner can enter, so a test that runs the CLI as another user runs this copy.
 */
export function readableCliCopy(): { dir: string; cli: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vg-cli-copy-'));
  cpSync(join(ROOT, 'dist', 'src'), join(dir, 'dist', 'src'), { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  for (const [path, pkg] of Object.entries(lock.packages)) {
    const top = path.startsWith('node_modules/') && !path.slice('node_modules/'.length).includes('node_modules/');
    if (top && !pkg.dev && existsSync(join(ROOT, path))) cpSync(join(ROOT, path), join(dir, path), { recursive: true });
  }
  openToAll(dir);
  return { dir, cli: join(dir, 'dist', 'src', 'cli', 'voipguard.js') };
}

function openToAll(path: string): void {
  const st = statSync(path);
  chmodSync(path, st.isDirectory() ? 0o755 : st.mode & 0o111 ? 0o755 : 0o644);
  if (st.isDirectory()) for (const name of readdirSync(path)) openToAll(join(path, name));
}
