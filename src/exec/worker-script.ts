// Starting a worker thread from one of our own scripts, built or not. The built daemon starts the
// script's .js file (the bundle puts each thread's script beside its chunks: scripts/bundle.mjs).
// Under tsx (tests, benches run from source) a worker does not inherit the main thread's loader on
// Node 20: the worker registers tsx's own, then loads the script.

import { Worker } from 'node:worker_threads';

export function startWorker(script: URL, workerData: unknown): Worker {
  if (!script.pathname.endsWith('.ts')) return new Worker(script, { workerData });
  const api = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(api)}).then((t) => { t.register(); return import(${JSON.stringify(script.href)}); });`;
  return new Worker(code, { eval: true, workerData });
}
