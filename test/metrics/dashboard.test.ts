import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PromMetrics } from '../../src/metrics/prom-metrics.js';

interface Panel {
  readonly type: string;
  readonly targets?: { readonly expr: string }[];
}

interface Variable {
  readonly name: string;
  readonly query?: { readonly query: string } | string;
}

const dashboard = JSON.parse(readFileSync(new URL('../../grafana/voipguard-dashboard.json', import.meta.url), 'utf8')) as {
  panels: Panel[];
  uid: string;
  templating: { list: Variable[] };
};

test('the sample Grafana dashboard queries only metrics voipguard exports, and shows every one of them', async () => {
  const exported = new Set((await new PromMetrics().registry.getMetricsAsJSON()).map((m) => m.name));
  const queried = new Set<string>();
  for (const p of dashboard.panels) {
    for (const t of p.targets ?? []) {
      for (const m of t.expr.matchAll(/\bvoipguard_[a-z_]+/g)) queried.add(m[0].replace(/_(bucket|sum|count)$/, ''));
    }
  }
  for (const v of dashboard.templating.list) {
    const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? '');
    for (const m of q.matchAll(/\bvoipguard_[a-z_]+/g)) queried.add(m[0]);
  }
  for (const q of queried) assert.ok(exported.has(q), `the dashboard queries ${q}, which voipguard does not export`);
  for (const e of exported) assert.ok(queried.has(e), `${e} is exported but not on the dashboard`);
  assert.equal(dashboard.uid, 'voipguard');
});

test('the $jail variable comes from a series every running jail has from its start, not from the first ban', async () => {
  const jail = dashboard.templating.list.find((v) => v.name === 'jail');
  assert.ok(jail && typeof jail.query === 'object');
  assert.equal(jail.query.query, 'label_values(voipguard_jail_info, jail)');
  const m = new PromMetrics();
  m.jailStarted('asterisk', () => 0);
  const { body } = await m.scrape();
  assert.match(body, /^voipguard_jail_info\{jail="asterisk"\} 1$/m);
  assert.match(body, /^voipguard_currently_failed\{jail="asterisk"\} 0$/m);
  m.jailStopped('asterisk');
  assert.doesNotMatch((await m.scrape()).body, /jail="asterisk"/);
});
