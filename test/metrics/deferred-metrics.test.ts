import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeferredMetrics } from '../../src/metrics/deferred-metrics.js';
import { PromMetrics } from '../../src/metrics/prom-metrics.js';

test('calls made before prom-client is attached are replayed into it, in order; later ones go straight through', async () => {
  const d = new DeferredMetrics();
  d.ban('asterisk', 'detected');
  d.ban('asterisk', 'detected');
  d.activeBans('asterisk', 7);
  d.activeBans('asterisk', 2); // the later value wins, as it would have
  d.firewallCommand('iptables', 'ban', true);
  let scraped = false;
  const early = d.scrape().then((s) => ((scraped = true), s));
  await new Promise((r) => setImmediate(r));
  assert.equal(scraped, false, 'a scrape waits for the real metrics');
  const prom = new PromMetrics();
  d.attach(prom);
  d.ban('asterisk', 'detected');
  const body = (await early).body;
  assert.match(body, /voipguard_bans_total\{[^}]*jail="asterisk"[^}]*\} 3/);
  assert.match(body, /voipguard_active_bans\{jail="asterisk"\} 2/);
  assert.equal((await d.scrape()).body, (await prom.scrape()).body);
  assert.equal(d.dropped, 0);
});
