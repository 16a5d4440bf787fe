#!/usr/bin/env node
// Runs every test/**/*.test.ts through node:test with tsx. Node 20's `--test` neither expands globs
// nor finds .ts files by itself, so the list is built here. Arguments narrow the run:
// `npm test -- test/core` runs the files under that path.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir, out) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2).map((a) => resolve(a));
const files = walk('test', []).filter((f) => filters.length === 0 || filters.some((x) => resolve(f).startsWith(x)));
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// No --test-force-exit: every test file must end on its own, so a leaked socket, timer or child
// process shows up as a file that does not finish (and --test-timeout, 5 minutes, fails it) instead
// of being hidden.
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', '--test-timeout=300000', ...files], {
  stdio: 'inherit',
  env: { ...process.env, NODE_NO_WARNINGS: '1' },
});
process.exit(r.status ?? 1);
