// CommandRunner on node:child_process alone, for the commands the daemon runs most (firewall
// batches, listings, conntrack): argv goes to execve as it is (`shell: false`), so no argument can
// be reinterpreted. Same results as ExecaRunner (exit code, 127 for a missing program, 124 on
// timeout, 128+n for a signal), without execa's modules: loading those was about a third of the
// daemon's CPU before the control socket answered, and each command through execa cost about 1.7
// times the main-thread CPU of a bare spawn (docs/flood.md). Streams (journalctl --follow) stay on
// ExecaRunner.

import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { EXIT_NOT_FOUND, EXIT_TIMEOUT, type CommandRunner, type RunOptions, type RunResult } from './command-runner.js';

export interface SpawnRunnerOptions {
  /** Kill a command after this long (ms). */
  readonly timeoutMs?: number;
  /** Prepended to every argv, e.g. ['ip', 'netns', 'exec', 'vg-test'] to act inside a namespace. */
  readonly prefix?: readonly string[];
  /** After the timeout's SIGTERM, SIGKILL follows this much later (ms). */
  readonly killAfterMs?: number;
}

const DEFAULT_MAX_BUFFER = 256 * 1024 * 1024;

export class SpawnRunner implements CommandRunner {
  private readonly timeoutMs: number;
  private readonly prefix: readonly string[];
  private readonly killAfterMs: number;

  constructor(opts: SpawnRunnerOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.prefix = opts.prefix ?? [];
    this.killAfterMs = opts.killAfterMs ?? 5_000;
  }

  run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const full = [...this.prefix, ...argv];
    if (full.length === 0) return Promise.resolve({ exitCode: EXIT_NOT_FOUND, stdout: '', stderr: 'empty command' });
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const maxBuffer = opts.maxBuffer ?? DEFAULT_MAX_BUFFER;
    let child: ChildProcess;
    try {
      child = spawn(full[0]!, full.slice(1), {
        shell: false,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, LC_ALL: 'C', ...opts.env },
      });
    } catch (e) {
      // refused before spawning (a NUL byte in an argument): a failed command, not a crash
      return Promise.resolve({ exitCode: EXIT_NOT_FOUND, stdout: '', stderr: (e as Error).message });
    }
    return new Promise<RunResult>((resolve) => {
      const out = new Collected(maxBuffer);
      const err = new Collected(maxBuffer);
      let timedOut = false;
      let overflow = false;
      let spawnError: NodeJS.ErrnoException | null = null;
      let killTimer: NodeJS.Timeout | null = null;
      const kill = (): void => {
        child.kill('SIGTERM');
        killTimer ??= setTimeout(() => child.kill('SIGKILL'), this.killAfterMs);
        killTimer.unref();
      };
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, timeoutMs);
      timer.unref();
      child.stdout!.on('data', (c: Buffer) => {
        if (!out.add(c) && !overflow) {
          overflow = true;
          kill();
        }
      });
      child.stderr!.on('data', (c: Buffer) => {
        if (!err.add(c) && !overflow) {
          overflow = true;
          kill();
        }
      });
      // a program that exits without reading its input closes the pipe: not our failure
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(opts.input ?? '');
      child.on('error', (e: NodeJS.ErrnoException) => {
        spawnError ??= e;
      });
      child.on('close', (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        if (killTimer) clearTimeout(killTimer);
        const stdout = out.text();
        const stderr = err.text();
        if (timedOut) return resolve({ exitCode: EXIT_TIMEOUT, stdout, stderr: stderr || `timed out after ${timeoutMs} ms` });
        if (spawnError?.code === 'ENOENT') return resolve({ exitCode: EXIT_NOT_FOUND, stdout, stderr: `${full[0]}: command not found` });
        if (spawnError) return resolve({ exitCode: EXIT_NOT_FOUND, stdout, stderr: stderr || spawnError.message });
        if (overflow) return resolve({ exitCode: 128 + constants.signals.SIGTERM, stdout, stderr: stderr || `output over ${maxBuffer} bytes` });
        if (typeof code === 'number') return resolve({ exitCode: code, stdout, stderr });
        const n = signal ? (constants.signals[signal] ?? 0) : 0;
        resolve({ exitCode: 128 + n, stdout, stderr: stderr || `killed by ${signal ?? 'a signal'}` });
      });
    });
  }
}

/** Chunks of one output, up to a cap; decoded once at the end (a character may span two chunks). */
class Collected {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly cap: number) {}
  /** false once the cap is passed (the rest is not kept). */
  add(c: Buffer): boolean {
    if (this.size + c.length > this.cap) {
      this.chunks.push(c.subarray(0, Math.max(0, this.cap - this.size)));
      this.size = this.cap;
      return false;
    }
    this.chunks.push(c);
    this.size += c.length;
    return true;
  }
  text(): string {
    return this.chunks.length === 1 ? this.chunks[0]!.toString('utf8') : Buffer.concat(this.chunks).toString('utf8');
  }
}
