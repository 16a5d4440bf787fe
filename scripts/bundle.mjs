// `npm run build`'s second step: the compiled CLI (dist/src/cli/voipguard.js, tsc's output) and
// every module it reaches, ours only, bundled by esbuild into dist/src/bundle/ (one entry file and
// a few chunks: the parts loaded with import() stay in chunks of their own, so a start still does
// not load them). Loading one file instead of about 150 roughly halved the CPU of the daemon's
// imports (docs/flood.md, "Start to ready"). Packages stay outside (node_modules, as before).
// The entry the system runs is still dist/src/cli/voipguard.js: it hands over to the bundle when
// the bundle is at least as new as itself (a tsc run alone leaves an older one, which is not used).

import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'src', 'bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  // the threads' scripts (the command thread's, src/exec/thread-runner.ts; the control socket's,
  // src/control/threaded-control.ts) beside the chunks, where the bundled code looks for them: a worker is started from a file, not from a module already loaded
  entryPoints: {
    voipguard: join(root, 'dist', 'src', 'cli', 'voipguard.js'),
    'spawn-thread': join(root, 'dist', 'src', 'exec', 'spawn-thread.js'),
    'control-thread': join(root, 'dist', 'src', 'control', 'control-thread.js'),
  },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'chunk-[hash]',
  // the bundled copy of voipguard.js knows it is the bundle, and runs main() itself
  define: { 'globalThis.VOIPGUARD_BUNDLED': 'true' },
  logLevel: 'warning',
});
