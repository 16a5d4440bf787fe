// The worker side of ThreadRunner (thread-runner.ts): runs each command it is sent through a
// SpawnRunner of its own and posts the result back. Nothing else lives in this thread.

import { parentPort, threadId, workerData } from 'node:worker_threads';
import type { RunOptions, RunResult } from './command-runner.js';
import { SpawnRunner, type SpawnRunnerOptions } from './spawn-runner.js';

/** What the main thread sends: one command. */
export interface ThreadRequest {
  readonly id: number;
  readonly argv: readonly string[];
  readonly opts: RunOptions;
}

/** What this thread answers, once per request. */
export interface ThreadReply {
  readonly id: number;
  readonly result: RunResult;
  /** The thread that started the program (never the main thread's 0). */
  readonly thread: number;
}

const port = parentPort;
if (port) {
  const runner = new SpawnRunner(workerData as SpawnRunnerOptions);
  port.on('message', (m: ThreadRequest) => {
    void runner.run(m.argv, m.opts).then((result) => port.postMessage({ id: m.id, result, thread: threadId } satisfies ThreadReply));
  });
}
