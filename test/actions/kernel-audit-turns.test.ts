// The periodic audit compares every ban held with the kernel's listing: at 100,000 bans that is two
// passes of 100,000, which must not hold the event loop in one piece (issue 14: the control socket
// answers within 100 ms during a flood). Checked by sampling the view from turns of the loop.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareListing, placeholder } from '../../src/actions/kernel-audit.js';
import { SLICE } from '../../src/core/slices.js';
import type { FirewallBan } from '../../src/firewall/firewall.js';

test('the audit of a large listing gives the event loop turns, and still finds every lost and unknown ban', async () => {
  const n = SLICE * 3;
  const inKernel = new Map<string, FirewallBan>();
  for (let i = 0; i < n; i++) {
    const ip = `10.0.${i >> 8}.${i & 255}`;
    inKernel.set(ip, placeholder(ip));
  }
  // the kernel lost the first half of ours and holds as many we never asked for
  const listed = new Set<string>();
  for (let i = n / 2; i < n; i++) listed.add(`10.0.${i >> 8}.${i & 255}`);
  for (let i = 0; i < n / 2; i++) listed.add(`10.9.${i >> 8}.${i & 255}`);
  const view = { inKernel, pendingBan: new Map<string, FirewallBan>(), pendingUnban: new Set<string>(), backlog: new Map<string, FirewallBan>() };
  const sizes: number[] = [];
  let on = true;
  const spin = (): void => {
    sizes.push(view.inKernel.size);
    if (on) setImmediate(spin);
  };
  setImmediate(spin);
  const r = await compareListing(view, listed, new Set(), 0, false);
  on = false;
  assert.deepEqual(r, { lost: n / 2, unknown: n / 2 });
  assert.equal(view.pendingBan.size, n / 2);
  assert.equal(view.pendingUnban.size, n / 2);
  const mid = sizes.filter((s) => s !== n && s !== n / 2 && s !== n);
  assert.ok(mid.length >= 1, `the loop turned during the passes (sizes seen: ${[...new Set(sizes)].join(', ')})`);
});
