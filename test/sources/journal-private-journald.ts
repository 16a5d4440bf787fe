// A real systemd-journald of our own for tests on machines without a running systemd: journald in a
// journal namespace (`systemd-journald <ns>`) listens on /run/systemd/journal.<ns>/ and writes real
// journal files to /var/log/journal/<machine-id>.<ns>/, which journalctl reads with --directory.
// Lines are written through its stdout-stream socket (what systemd-cat does), so each becomes an
// entry with SYSLOG_IDENTIFIER as given; bytes that are not UTF-8 are stored as binary fields.
// Everything is removed by stop().

import { execa, type ResultPromise } from 'execa';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { waitFor as waitForFact } from '../helpers/wait-for.js';

export const JOURNALD = '/lib/systemd/systemd-journald';

/** Why the machine cannot run a private journald, or null when it can. */
export function privateJournaldMissing(): string | null {
  if (!existsSync(JOURNALD)) return `${JOURNALD} is not installed`;
  if (!existsSync('/usr/bin/journalctl') && !existsSync('/bin/journalctl')) return 'journalctl is not installed';
  if (process.getuid?.() !== 0) return 'needs root';
  if (!existsSync('/etc/machine-id')) return '/etc/machine-id is missing';
  return null;
}

export class PrivateJournald {
  private proc: ResultPromise | null = null;
  readonly runtimeDir: string;
  readonly directory: string;

  private constructor(readonly namespace: string) {
    const machine = readFileSync('/etc/machine-id', 'utf8').trim();
    this.runtimeDir = `/run/systemd/journal.${namespace}`;
    this.directory = `/var/log/journal/${machine}.${namespace}`;
  }

  static async start(): Promise<PrivateJournald> {
    sweepStale();
    const j = new PrivateJournald(`vgtest${process.pid}x${Math.floor(Math.random() * 1e6)}`);
    await j.launch();
    return j;
  }

  /** Kills journald and starts it again on the same files (what `systemctl restart` does). */
  async restart(): Promise<void> {
    await this.kill();
    await this.launch();
  }

  /** One stream connection per call, as one process logging under `identifier`. */
  async write(identifier: string, messages: ReadonlyArray<string | Buffer>): Promise<void> {
    const header = `${identifier}\n\n6\n0\n0\n0\n0\n`;
    const body = Buffer.concat(messages.map((m) => Buffer.concat([Buffer.isBuffer(m) ? m : Buffer.from(m), Buffer.from('\n')])));
    const once = () =>
      new Promise<void>((resolve, reject) => {
        const s = connect(`${this.runtimeDir}/stdout`);
        s.on('error', reject);
        s.on('connect', () => s.end(Buffer.concat([Buffer.from(header), body])));
        s.on('close', (hadError) => hadError || resolve());
      });
    // the socket file appears at bind(), a moment before journald listens: refused means "not yet"
    const sent = () =>
      once().then(
        () => true,
        (e: NodeJS.ErrnoException) => {
          if (e.code === 'ECONNREFUSED') return false;
          throw e;
        },
      );
    await waitForFact(sent, { what: 'journald to accept a stream connection', timeoutMs: 5000, intervalMs: 20 });
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.runtimeDir, { recursive: true, force: true });
    rmSync(this.directory, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    this.proc = execa(JOURNALD, [this.namespace], { reject: false, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' });
    await waitFor(() => existsSync(`${this.runtimeDir}/stdout`) && existsSync(this.directory), 5000, 'journald socket');
  }

  private async kill(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    if (p === null) return;
    p.kill('SIGTERM');
    await p;
    rmSync(`${this.runtimeDir}/stdout`, { force: true }); // so launch() waits for the new socket
  }
}

/** Removes what a test process that died left behind (its journald died with it). */
function sweepStale(): void {
  for (const [dir, re] of [
    ['/run/systemd', /^journal\.vgtest(\d+)x\d+$/],
    ['/var/log/journal', /^[0-9a-f]{32}\.vgtest(\d+)x\d+$/],
  ] as const) {
    let names: string[] = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = re.exec(name);
      if (!m || Number(m[1]) === process.pid || alive(Number(m[1]))) continue;
      rmSync(join(dir, name), { recursive: true, force: true });
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `cond` until true or the deadline passes (waits only on real external processes). */
export async function waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
  await waitForFact(cond, { what, timeoutMs: ms, intervalMs: 20 });
}
