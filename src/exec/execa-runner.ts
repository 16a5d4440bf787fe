// CommandRunner over execa with `shell: false`: argv goes to execve as is, so no argument can be
// reinterpreted. A timeout kills a hung command (a stuck xtables lock) instead of hanging the jail.
// execa is loaded at the first command, not at start: its modules cost about a third of the
// daemon's start before the control socket answered (docs/flood.md), and the first commands (the
// firewall structure) run after the daemon is ready.

import type { execa as Execa, ResultPromise } from 'execa';
import {
  EXIT_NOT_FOUND,
  EXIT_TIMEOUT,
  type CommandRunner,
  type CommandStreamer,
  type LineProcess,
  type RunOptions,
  type RunResult,
  type StreamExit,
  type StreamOptions,
} from './command-runner.js';

export interface ExecaRunnerOptions {
  /** Kill a command after this long (ms). */
  readonly timeoutMs?: number;
  /** Prepended to every argv, e.g. ['ip', 'netns', 'exec', 'vg-test'] to act inside a namespace. */
  readonly prefix?: readonly string[];
}

export class ExecaRunner implements CommandRunner, CommandStreamer {
  private readonly timeoutMs: number;
  private readonly prefix: readonly string[];
  private loaded: Promise<typeof Execa> | null = null;

  constructor(opts: ExecaRunnerOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.prefix = opts.prefix ?? [];
  }

  private execa(): Promise<typeof Execa> {
    return (this.loaded ??= import('execa').then((m) => m.execa));
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const full = [...this.prefix, ...argv];
    if (full.length === 0) return { exitCode: EXIT_NOT_FOUND, stdout: '', stderr: 'empty command' };
    const execa = await this.execa();
    let r;
    try {
      r = await execa(full[0]!, full.slice(1), {
        shell: false,
        reject: false,
        timeout: opts.timeoutMs ?? this.timeoutMs,
        input: opts.input ?? '',
        stripFinalNewline: false,
        env: { LC_ALL: 'C', ...opts.env },
        extendEnv: true,
        maxBuffer: opts.maxBuffer ?? 256 * 1024 * 1024,
      });
    } catch (e) {
      // execa refuses some argv before spawning (a NUL byte): a failed command, not a crash
      return { exitCode: EXIT_NOT_FOUND, stdout: '', stderr: (e as Error).message };
    }
    const stdout = typeof r.stdout === 'string' ? r.stdout : '';
    const stderr = typeof r.stderr === 'string' ? r.stderr : '';
    if (r.timedOut) return { exitCode: EXIT_TIMEOUT, stdout, stderr: stderr || `timed out after ${opts.timeoutMs ?? this.timeoutMs} ms` };
    if (typeof r.exitCode === 'number') return { exitCode: r.exitCode, stdout, stderr };
    const code = (r.cause as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') return { exitCode: EXIT_NOT_FOUND, stdout, stderr: `${full[0]}: command not found` };
    if (r.signal) return { exitCode: 128 + signalNumber(r.signal), stdout, stderr: stderr || `killed by ${r.signal}` };
    return { exitCode: EXIT_NOT_FOUND, stdout, stderr: stderr || String(r.message ?? 'cannot run') };
  }

  stream(argv: readonly string[], opts: StreamOptions = {}): LineProcess {
    const full = [...this.prefix, ...argv];
    if (full.length === 0) {
      return { lines: (async function* () {})(), exited: Promise.resolve({ code: null, signal: null, stderr: 'empty command' }), kill: () => undefined };
    }
    let sub: ResultPromise | null = null;
    let killed = false;
    const started = this.execa().then((execa) => {
      const p = execa(full[0]!, full.slice(1), {
        shell: false,
        stdin: 'ignore',
        buffer: { stdout: false, stderr: true },
        maxBuffer: { stderr: 1024 * 1024 },
        reject: false,
        stripFinalNewline: true,
        env: { ...opts.env },
        extendEnv: true,
      });
      sub = p;
      if (killed) p.kill('SIGTERM');
      return { p }; // boxed: a returned promise would be awaited here
    });
    const exited: Promise<StreamExit> = started.then(({ p }) =>
      p.then(
        (r) => ({
          code: r.exitCode ?? null,
          signal: r.signal ?? null,
          stderr: tail(r.failed && r.exitCode === undefined && r.signal === undefined ? String(r.shortMessage) : String(r.stderr ?? '')),
        }),
        (e: unknown) => ({ code: null, signal: null, stderr: tail(String((e as Error)?.message ?? e)) }),
      ),
    );
    return {
      lines: (async function* () {
        yield* safeLines((await started).p.iterable({ from: 'stdout' }));
      })(),
      exited,
      kill: () => {
        killed = true;
        (sub as ResultPromise | null)?.kill('SIGTERM');
      },
    };
  }
}

const STDERR_KEEP = 4096;

/** A spawn error would make the iterable throw; the exit promise already reports it. */
async function* safeLines(it: AsyncIterable<string>): AsyncGenerator<string> {
  try {
    for await (const line of it) yield line;
  } catch {
    /* reported through `exited` */
  }
}

function tail(s: string): string {
  const t = s.trim();
  return t.length > STDERR_KEEP ? t.slice(-STDERR_KEEP) : t;
}

function signalNumber(name: string): number {
  const map: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return map[name] ?? 0;
}
