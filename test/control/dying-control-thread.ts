// The real control thread, which exits (code 9) at the first board that holds "die": a control
// thread lost after the socket was handed to it (test/control/threaded-control.test.ts).
import { parentPort } from 'node:worker_threads';
import '../../src/control/control-thread.js';

parentPort?.on('message', (m: { type: string; json?: string }) => {
  if (m.type === 'board' && m.json?.includes('"die"')) process.exit(9);
});
