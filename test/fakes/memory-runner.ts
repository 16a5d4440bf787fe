// The in-memory twin of ExecaRunner: records every call and answers from handlers, so tests can
// play a locked xtables, a missing binary or a module that is not loaded.

import type { CommandRunner, RunOptions, RunResult } from '../../src/exec/command-runner.js';

export interface RecordedCall {
  readonly argv: readonly string[];
  readonly input?: string;
}

export type Responder = (argv: readonly string[], input: string | undefined) => RunResult | undefined;

export const OK: RunResult = Object.freeze({ exitCode: 0, stdout: '', stderr: '' });

export class MemoryRunner implements CommandRunner {
  readonly calls: RecordedCall[] = [];
  private readonly responders: Responder[] = [];

  /** Adds a responder; the most recent one that returns a result wins, else the call succeeds. */
  on(responder: Responder): this {
    this.responders.unshift(responder);
    return this;
  }

  /** Answers calls whose argv starts with `prefix` (joined by spaces) with `result`. */
  when(prefix: string, result: Partial<RunResult>): this {
    return this.on((argv) => (argv.join(' ').startsWith(prefix) ? { ...OK, ...result } : undefined));
  }

  clearResponders(): void {
    this.responders.length = 0;
  }

  async run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    this.calls.push(opts.input === undefined ? { argv: [...argv] } : { argv: [...argv], input: opts.input });
    for (const r of this.responders) {
      const res = r(argv, opts.input);
      if (res) return res;
    }
    return OK;
  }

  /** The calls as `argv joined by spaces`, for readable assertions. */
  lines(): string[] {
    return this.calls.map((c) => c.argv.join(' '));
  }
}
