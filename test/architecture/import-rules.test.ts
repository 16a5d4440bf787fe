import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ALLOWED, checkTree, describe, importSpecifiers } from './import-rules.js';

const SRC = resolve(import.meta.dirname, '../../src');

test('every import in src/ points down the layers of docs/architecture.md', () => {
  const bad = checkTree(SRC).map(describe);
  assert.deepEqual(bad, [], `imports against the layers:\n${bad.join('\n')}`);
});

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'vg-layers-'));
  for (const [p, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, p)), { recursive: true });
    writeFileSync(join(root, p), text);
  }
  return root;
}

test('a firewall that imports actions, a config that imports a filter and a source that imports a jail are named with file and import', () => {
  const root = tree({
    'firewall/bad.ts': "import { loadJailActions } from '../actions/jail-actions.js';\n",
    'actions/jail-actions.ts': "import type { Firewall } from '../firewall/firewall.js';\nexport const x = 1;\n",
    'firewall/firewall.ts': 'export type Firewall = {};\n',
    'config/schema.ts': "export { DEFAULT } from '../filters/security-event.js';\n",
    'filters/security-event.ts': 'export const DEFAULT = 1;\n',
    'sources/tail.ts': "const j = await import('../jails/jail.js');\n",
    'jails/jail.ts': "// import { nothing } from '../actions/jail-actions.js';\nexport const j = 1;\n",
  });
  try {
    assert.deepEqual(checkTree(root).map(describe), [
      "src/config/schema.ts: import '../filters/security-event.js' goes from config to filters",
      "src/firewall/bad.ts: import '../actions/jail-actions.js' goes from firewall to actions",
      "src/sources/tail.ts: import '../jails/jail.js' goes from sources to jails",
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a folder with no rule fails until it gets one', () => {
  const root = tree({ 'newstage/x.ts': "import { a } from '../core/a.js';\n", 'core/a.ts': 'export const a = 1;\n' });
  try {
    assert.deepEqual(checkTree(root).map(describe), ["src/newstage/x.ts: import '../core/a.js' goes from newstage (no rule: add it) to core"]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('import forms: from, export from, side effect, dynamic; comments are not imports', () => {
  const text = [
    "import a from './a.js';",
    "import type { B } from '../b/b.js';",
    "export { c } from '../c/c.js';",
    "export * from './d.js';",
    "import './e.js';",
    "const f = await import('../f/f.js');",
    "// import { g } from '../g/g.js';",
    "/* import { h } from '../h/h.js'; */",
    "import { i } from 'node:fs';",
  ].join('\n');
  assert.deepEqual(importSpecifiers(text), ['./a.js', '../b/b.js', '../c/c.js', './d.js', './e.js', '../f/f.js']);
});

test('the leaves import no stage', () => {
  const stages = ['sources', 'filters', 'correlate', 'jails', 'actions', 'firewall', 'notify'];
  for (const leaf of ['core', 'config', 'log', 'exec', 'store', 'metrics']) {
    assert.deepEqual(
      ALLOWED[leaf]!.filter((l) => stages.includes(l)),
      [],
      leaf,
    );
  }
});
