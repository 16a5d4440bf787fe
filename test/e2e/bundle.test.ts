// The built CLI runs from the bundle `npm run build` makes (scripts/bundle.mjs, docs/flood.md):
// dist/src/cli/voipguard.js hands over to dist/src/bundle/voipguard.js, and only while that bundle
// is not older than itself (a tsc run alone leaves a stale bundle, which must not run).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, CLI, ROOT } from './daemon-harness.js';

const BUNDLE = join(ROOT, 'dist', 'src', 'bundle', 'voipguard.js');

/** Runs the built CLI with `args`; returns its output and the files of dist/src it loaded. */
function runCli(args: string[]): { code: number | null; out: string; loaded: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'vg-bundle-'));
  try {
    const out = join(dir, 'loaded.txt');
    const hook = join(dir, 'hook.mjs');
    writeFileSync(
      hook,
      `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.includes('/dist/src/')) appendFileSync(${JSON.stringify(out)}, url.replace(/.*\\/dist\\/src\\//, '') + '\\n');
  return next(url, context);
}
`,
    );
    const register = join(dir, 'register.mjs');
    writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify('file://' + hook)});\n`);
    writeFileSync(out, '');
    const r = spawnSync(process.execPath, ['--import', register, CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, out: r.stdout + r.stderr, loaded: readFileSync(out, 'utf8').split('\n').filter(Boolean) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the built CLI hands over to the bundle, and runs its own modules when the bundle is older than itself', () => {
  build();
  const fresh = runCli(['regex']);
  assert.equal(fresh.code, 64, fresh.out);
  assert.match(fresh.out, /regex needs <LOG\|LINE> and <FILTER\|REGEX>/);
  assert.ok(fresh.loaded.includes('bundle/voipguard.js'), fresh.loaded.join(' '));
  assert.ok(!fresh.loaded.includes('cli/regex-command.js'), 'the command came from the bundle');

  const st = statSync(BUNDLE);
  const cli = statSync(CLI);
  try {
    utimesSync(BUNDLE, st.atime, new Date(cli.mtimeMs - 60_000)); // as a tsc run alone leaves it
    const stale = runCli(['regex']);
    assert.equal(stale.code, 64, stale.out);
    assert.match(stale.out, /regex needs <LOG\|LINE> and <FILTER\|REGEX>/);
    assert.ok(!stale.loaded.includes('bundle/voipguard.js'), 'the stale bundle is not used');
    assert.ok(stale.loaded.includes('cli/regex-command.js'));
  } finally {
    utimesSync(BUNDLE, st.atime, st.mtime);
  }
});
