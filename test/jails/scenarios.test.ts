// Every folder of fixtures/scenarios is one case (format: test/jails/scenario-runner.ts).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';
import { runScenario } from './scenario-runner.js';

const root = join(packageRoot(), 'fixtures', 'scenarios');
const tmp = mkdtempSync(join(tmpdir(), 'vg-scenarios-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const cases = readdirSync(root)
  .filter((n) => statSync(join(root, n)).isDirectory())
  .sort();

test('there are scenarios', () => assert.ok(cases.length >= 10));

for (const name of cases) {
  test(`scenario ${name}`, () => {
    const r = runScenario(join(root, name), join(tmp, `${name}.sqlite3`));
    assert.deepEqual(r.configErrors, [], 'the scenario config loads unchanged');
    assert.deepEqual(r.decisions, r.expected);
    for (const c of r.expectedCounters) assert.ok(r.counters.includes(c), `${c} (got ${r.counters.join('; ')})`);
  });
}
