import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PromMetrics } from '../../src/metrics/prom-metrics.js';

interface Panel {
  readonly type: string;
  readonly targets?: { readonly expr: string }[];
}

const dashboard = JSON.parse(readFileSync(new URL('../../grafana/voipguard-dashboard.json', import.meta.url), 'utf8')) as { panels: Panel[]; uid: string };

test('the sample Grafana dashboard queries only metrics voipguard exports, and shows every one of them', async () => {
  const exported = new Set((await new PromMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
  const queried = new Set<string>();
  for (const p of dashboard.panels) {
    for (const t of p.targets ?? []) {
      for (const m of t.expr.matchAll(/\bvoipguard_[a-z_]+/g)) queried.add(m[0].replace(/_(bucket|sum|count)$/, ''));
    }
  }
  for (const q of queried) assert.ok(exported.has(q), `the dashboard queries ${q}, which voipguard does not export`);
  for (const e of exported) assert.ok(queried.has(e), `${e} is exported but not on the dashboard`);
  assert.equal(dashboard.uid, 'voipguard');
});
