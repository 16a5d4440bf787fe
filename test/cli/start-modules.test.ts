// What the daemon's start does not load (docs/flood.md, "Ready first"): importing the composition
// root loads none of the packages used only by optional parts or only after ready. ioredis alone
// cost about 150 ms of CPU at every start when a static import brought it in with [cluster] off.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';

const LATER = ['ioredis', 'asterisk-manager', 'execa', 'prom-client'];

test('importing app.ts loads no package of [cluster], AMI, journalctl or /metrics; pino and better-sqlite3 it does', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-start-modules-'));
  try {
    const out = join(dir, 'packages.txt');
    // a resolve hook (it runs on the loader's thread) writes down every package the import reaches
    const hook = join(dir, 'hook.mjs');
    writeFileSync(
      hook,
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(r.url);
  if (m) appendFileSync(${JSON.stringify(out)}, m[1] + '\\n');
  return r;
}
`,
    );
    const register = join(dir, 'register.mjs');
    writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify('file://' + hook)});\n`);
    writeFileSync(out, '');
    const app = join(packageRoot(), 'src', 'app.ts');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--import', register, '--input-type=module', '-e', `await import(${JSON.stringify(app)});`], {
      cwd: packageRoot(),
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const loaded = new Set(readFileSync(out, 'utf8').split('\n').filter(Boolean));
    assert.ok(loaded.has('pino') && loaded.has('better-sqlite3'), `the hook saw the start's packages: ${[...loaded].join(', ')}`);
    for (const p of LATER) assert.equal(loaded.has(p), false, `${p} is loaded by importing app.ts`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
