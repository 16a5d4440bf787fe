// The layer rules of src/ (docs/architecture.md draws them) and the walker that checks them: every
// `import … from`, `export … from`, side-effect `import '…'` and dynamic `import('…')` of a relative
// path is mapped from the importing file's layer to the imported file's layer and must be allowed.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Leaves: every stage may use them; they use only each other as listed. */
const LEAVES = ['core', 'config', 'log', 'exec', 'store', 'metrics'];

/**
 * What each top folder of src/ may import (besides itself). The pipeline is source -> filter ->
 * (correlate) -> jail -> action; actions drive the firewall and notify backends. A stage may use the
 * records of the stages before it only through core/types.ts, never their code.
 */
export const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  core: [],
  types: [],
  config: ['core'],
  log: ['core', 'config'],
  exec: ['core', 'config', 'log'],
  store: ['core', 'config', 'log'],
  metrics: ['core', 'config', 'log'],
  sources: LEAVES,
  filters: LEAVES,
  correlate: LEAVES,
  jails: LEAVES,
  firewall: LEAVES,
  notify: LEAVES,
  actions: [...LEAVES, 'firewall', 'notify'],
  // the fleet (docs/cluster.md): talks to Redis and to the jails through ports the daemon implements
  cluster: LEAVES,
  asterisk: ['core', 'config'],
  control: LEAVES,
  daemon: [...LEAVES, 'sources', 'filters', 'correlate', 'jails', 'actions', 'firewall', 'notify', 'control', 'cluster'],
  // the doctor probes the fleet's Redis through the cluster's own client (cluster-probe.ts)
  doctor: [...LEAVES, 'sources', 'filters', 'jails', 'actions', 'firewall', 'notify', 'asterisk', 'cluster'],
  cli: [...LEAVES, 'sources', 'filters', 'correlate', 'jails', 'actions', 'firewall', 'notify', 'asterisk', 'control', 'doctor', 'daemon', 'cluster', 'app'],
  // app.ts, the composition root, sees everything but the command line that starts it
  app: [...LEAVES, 'sources', 'filters', 'correlate', 'jails', 'actions', 'firewall', 'notify', 'asterisk', 'control', 'doctor', 'daemon', 'cluster'],
};

/** Single files one layer may reach in another, each with its reason. */
export const EXCEPTIONS: readonly { from: string; to: string; why: string }[] = [
  { from: 'notify', to: 'firewall/action-file.ts', why: 'sendmail/webhook actions are action.d files too; notify reads them with the one action.d reader' },
];

export interface Violation {
  readonly file: string;
  readonly spec: string;
  readonly from: string;
  readonly to: string;
}

const SPEC_RE = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])(\.{1,2}\/[^'"]+)\1/g;

/** The relative module specifiers a source text names, comments excluded. */
export function importSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"\\])\/\/.*$/gm, '$1');
  return [...code.matchAll(SPEC_RE)].map((m) => m[2]!);
}

/** A file's layer: its first folder under src/, or 'app' for src/app.ts. */
export function layerOf(srcRoot: string, file: string): string {
  const rel = relative(srcRoot, file).split(sep);
  return rel.length === 1 ? rel[0]!.replace(/\.ts$/, '') : rel[0]!;
}

export function checkEdge(srcRoot: string, file: string, spec: string): Violation | null {
  const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
  const rel = relative(srcRoot, target);
  const from = layerOf(srcRoot, file);
  if (rel.startsWith('..')) return { file: relative(srcRoot, file), spec, from, to: '(outside src/)' };
  const to = layerOf(srcRoot, target);
  if (from === to) return null;
  const allowed = ALLOWED[from];
  if (allowed === undefined) return { file: relative(srcRoot, file), spec, from: `${from} (no rule: add it)`, to };
  if (allowed.includes(to)) return null;
  if (EXCEPTIONS.some((x) => x.from === from && x.to === rel.split(sep).join('/'))) return null;
  return { file: relative(srcRoot, file), spec, from, to };
}

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every import under `srcRoot` that breaks the rules. */
export function checkTree(srcRoot: string): Violation[] {
  const out: Violation[] = [];
  for (const file of walk(srcRoot, [])) {
    for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
      const v = checkEdge(srcRoot, file, spec);
      if (v) out.push(v);
    }
  }
  return out;
}

export function describe(v: Violation): string {
  return `src/${v.file}: import '${v.spec}' goes from ${v.from} to ${v.to}`;
}
