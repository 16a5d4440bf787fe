// CommandRunner over execa with `shell: false`: argv goes to execve as is, so no argument can be
// reinterpreted. A timeout kills a hung command (a stuck xtables lock) instead of hanging the jail.

import { execa } from 'execa';
import { EXIT_NOT_FOUND, EXIT_TIMEOUT, type CommandRunner, type RunOptions, type RunResult } from './command-runner.js';

export interface ExecaRunnerOptions {
  /** Kill a command after this long (ms). */
  readonly timeoutMs?: number;
  /** Prepended to every argv, e.g. ['ip', 'netns', 'exec', 'vg-test'] to act inside a namespace. */
  readonly prefix?: readonly string[];
}

export class ExecaRunner implements CommandRunner {
  private readonly timeoutMs: number;
  private readonly prefix: readonly string[];

  constructor(opts: ExecaRunnerOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.prefix = opts.prefix ?? [];
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const full = [...this.prefix, ...argv];
    if (full.length === 0) return { exitCode: EXIT_NOT_FOUND, stdout: '', stderr: 'empty command' };
    let r;
    try {
      r = await execa(full[0]!, full.slice(1), {
        shell: false,
        reject: false,
        timeout: this.timeoutMs,
        input: opts.input ?? '',
        stripFinalNewline: false,
        env: { LC_ALL: 'C' },
        extendEnv: true,
        maxBuffer: 256 * 1024 * 1024,
      });
    } catch (e) {
      // execa refuses some argv before spawning (a NUL byte): a failed command, not a crash
      return { exitCode: EXIT_NOT_FOUND, stdout: '', stderr: (e as Error).message };
    }
    const stdout = typeof r.stdout === 'string' ? r.stdout : '';
    const stderr = typeof r.stderr === 'string' ? r.stderr : '';
    if (r.timedOut) return { exitCode: EXIT_TIMEOUT, stdout, stderr: stderr || `timed out after ${this.timeoutMs} ms` };
    if (typeof r.exitCode === 'number') return { exitCode: r.exitCode, stdout, stderr };
    const code = (r.cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') return { exitCode: EXIT_NOT_FOUND, stdout, stderr: `${full[0]}: command not found` };
    if (r.signal) return { exitCode: 128 + signalNumber(r.signal), stdout, stderr: stderr || `killed by ${r.signal}` };
    return { exitCode: EXIT_NOT_FOUND, stdout, stderr: stderr || String(r.message ?? 'cannot run') };
  }
}

function signalNumber(name: string): number {
  const map: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return map[name] ?? 0;
}
