// Joins the batch scripts that go to the same batch command in the same turn of the event loop
// into one run: the default action's two chains of a jail (f2b-<jail>-tcp and -udp) each send one
// `iptables-restore --noflush` per ban; joined, a ban costs one process per family instead of two
// (a process spawn holds the daemon's main thread: docs/flood.md). Scripts are joined under one
// head and one tail (`*filter` … `COMMIT`) when both are the same, so the kernel takes them as one
// transaction. When the joined run fails, each part runs again alone and gets its own answer: one
// action's broken chain never holds back another's ban. That needs a batch command that applies
// nothing of a failed script (iptables-restore: one COMMIT) or whose lines may be applied twice
// (`ipset restore -exist`); only actions that declare `batchjoin = yes` come here.

import type { CommandRunner, RunResult } from '../exec/command-runner.js';

export interface BatchScript {
  readonly head: readonly string[];
  readonly lines: readonly string[];
  readonly tail: readonly string[];
}

interface Waiting {
  readonly argv: readonly string[];
  readonly head: readonly string[];
  readonly tail: readonly string[];
  readonly parts: { lines: readonly string[]; resolve: (r: RunResult) => void }[];
}

export class BatchJoiner {
  private readonly waiting = new Map<string, Waiting>();
  /** Runs started (for tests and the benchmark's counts). */
  runs = 0;

  constructor(private readonly runner: CommandRunner) {}

  run(argv: readonly string[], script: BatchScript): Promise<RunResult> {
    const key = JSON.stringify([argv, script.head, script.tail]);
    let w = this.waiting.get(key);
    if (w === undefined) {
      const fresh: Waiting = { argv, head: script.head, tail: script.tail, parts: [] };
      w = fresh;
      this.waiting.set(key, fresh);
      // the other actions of the same decision reach here in the same turn (their flushes run side by side)
      setImmediate(() => {
        this.waiting.delete(key);
        void this.fire(fresh);
      });
    }
    const parts = w.parts;
    return new Promise((resolve) => parts.push({ lines: script.lines, resolve }));
  }

  private async fire(w: Waiting): Promise<void> {
    this.runs++;
    const lines = w.parts.flatMap((p) => p.lines);
    const input = [...w.head, ...lines, ...w.tail, ''].join('\n');
    const r = await this.runOnce(w.argv, input);
    if (r.exitCode === 0 || w.parts.length === 1) {
      for (const p of w.parts) p.resolve(r);
      return;
    }
    // which part failed is not known: each goes again alone, side by side
    await Promise.all(
      w.parts.map(async (p) => {
        this.runs++;
        p.resolve(await this.runOnce(w.argv, [...w.head, ...p.lines, ...w.tail, ''].join('\n')));
      }),
    );
  }

  private async runOnce(argv: readonly string[], input: string): Promise<RunResult> {
    try {
      return await this.runner.run(argv, { input });
    } catch (e) {
      return { exitCode: 127, stdout: '', stderr: (e as Error).message };
    }
  }
}
