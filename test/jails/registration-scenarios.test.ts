// Every folder of fixtures/registrations is one case (format: test/jails/registration-scenario-runner.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';
import { runRegistrationScenario } from './registration-scenario-runner.js';

const root = join(packageRoot(), 'fixtures', 'registrations');
const cases = readdirSync(root)
  .filter((n) => statSync(join(root, n)).isDirectory())
  .sort();

test('there are registration scenarios', () => assert.ok(cases.length >= 5));

for (const name of cases) {
  test(`registration scenario ${name}`, () => {
    const r = runRegistrationScenario(join(root, name));
    assert.deepEqual(r.configErrors, [], 'the scenario config loads unchanged');
    assert.deepEqual(r.out, r.expected);
    for (const c of r.expectedCounters) assert.equal(r.counters, c);
  });
}
