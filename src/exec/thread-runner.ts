// Commands started from a worker thread, not from the main thread. Starting a program blocks the
// thread that starts it until the child has exec'd (libuv forks, then waits): with the daemon's heap
// at a few hundred MB and a loaded machine, that is 10 to 200 ms per command, during which the
// main thread would serve neither the control socket nor the log tails (docs/flood.md). In a
// worker, only the worker waits.
//
// Same contract as SpawnRunner (argv only, no shell, exit codes): the worker runs a SpawnRunner.
// Should the worker fail to start or die, the commands it held fail (the callers' retries handle a
// failed command already: a batch is retried as a batch) and every later command runs on the
// fallback runner, on the main thread, with a warning in the log: the guard keeps banning.

import type { Worker } from 'node:worker_threads';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log/logger.js';
import type { CommandRunner, RunOptions, RunResult } from './command-runner.js';
import type { SpawnRunnerOptions } from './spawn-runner.js';
import type { ThreadReply, ThreadRequest } from './spawn-thread.js';
import { startWorker } from './worker-script.js';

/** The exit code of a command lost with its worker (a failed command to its caller). */
export const EXIT_WORKER_LOST = 125;

export class ThreadRunner implements CommandRunner {
  private worker: Worker | null = null;
  private failed = false;
  private nextId = 1;
  private lastThread = -1;
  private readonly waiting = new Map<number, (r: RunResult) => void>();

  constructor(
    private readonly fallback: CommandRunner,
    private readonly log: Logger,
    private readonly options: SpawnRunnerOptions = {},
    /** The worker's script: by default spawn-thread beside this file (.js when built, .ts under tsx). */
    private readonly script: URL = new URL(`./spawn-thread${extname(fileURLToPath(import.meta.url))}`, import.meta.url),
  ) {}

  run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    const w = this.failed ? null : (this.worker ?? this.startWorker());
    if (!w) return this.fallback.run(argv, opts);
    const id = this.nextId++;
    return new Promise<RunResult>((resolve) => {
      this.waiting.set(id, resolve);
      if (this.waiting.size === 1) w.ref();
      w.postMessage({ id, argv, opts } satisfies ThreadRequest);
    });
  }

  /** Commands sent and not answered yet. */
  get pending(): number {
    return this.waiting.size;
  }

  /** The thread that started the last program answered by the worker (-1 before any). */
  get startedOn(): number {
    return this.lastThread;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.failed = true; // anything run after close goes to the fallback
    this.lose('the command thread was stopped');
    if (w) await w.terminate();
  }

  private startWorker(): Worker | null {
    let w: Worker;
    try {
      w = startWorker(this.script, this.options);
    } catch (e) {
      this.giveUp(`cannot start: ${(e as Error).message}`);
      return null;
    }
    w.unref();
    w.on('message', (m: ThreadReply) => {
      const done = this.waiting.get(m.id);
      if (!done) return;
      this.waiting.delete(m.id);
      this.lastThread = m.thread;
      if (this.waiting.size === 0) w.unref();
      done(m.result);
    });
    w.on('error', (e) => this.giveUp(e.message));
    w.on('exit', (code) => {
      if (this.worker === w) this.giveUp(`exited with code ${code}`);
    });
    this.worker = w;
    return w;
  }

  private giveUp(why: string): void {
    if (this.failed) return;
    this.failed = true;
    const w = this.worker;
    this.worker = null;
    this.log.warn({ event: 'command-thread-failed', err: why }, 'commands run on the main thread from now on');
    this.lose(`the command thread failed: ${why}`);
    if (w) void w.terminate();
  }

  private lose(why: string): void {
    for (const done of this.waiting.values()) done({ exitCode: EXIT_WORKER_LOST, stdout: '', stderr: why });
    this.waiting.clear();
  }
}
