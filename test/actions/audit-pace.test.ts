// The periodic check's audit listing is paced by the number of bans an action holds (audit-pace.ts):
// every check up to 2,500 bans; beyond, so that the listing work per check stays about the same. Counted in listings, not timed. A ban the kernel lost is still put back, later.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ActionInstance } from '../../src/actions/action-instance.js';
import { AUDIT_BANS_PER_CHECK, AuditPace } from '../../src/actions/audit-pace.js';
import type { FirewallBan } from '../../src/firewall/firewall.js';
import { MemoryFirewall } from '../../src/firewall/memory-firewall.js';
import { silentLogger } from '../../src/log/logger.js';

class CountingFirewall extends MemoryFirewall {
  lists = 0;
  override async list(): Promise<Set<string>> {
    this.lists++;
    return super.list();
  }
}

const ban = (i: number): FirewallBan => {
  const ip = `100.${64 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
  return { ip, family: 'inet4', time: 0, until: null, banCount: 1, failures: 1 };
};

async function instanceHolding(n: number): Promise<{ fw: CountingFirewall; inst: ActionInstance }> {
  const fw = new CountingFirewall('nftables[test]', silentLogger());
  const inst = new ActionInstance(fw, silentLogger());
  inst.queue(
    Array.from({ length: n }, (_, i) => ban(i)),
    [],
  );
  await inst.flush(0);
  assert.equal(fw.banned.size, n);
  return { fw, inst };
}

async function checks(inst: ActionInstance, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) await inst.check(i * 5_000, await inst.probe());
}

test('up to 2,500 bans, every check lists the kernel', async () => {
  const { fw, inst } = await instanceHolding(AUDIT_BANS_PER_CHECK);
  const before = fw.lists;
  await checks(inst, 6);
  assert.equal(fw.lists - before, 6);
});

test('with 6,250 bans, one check in three lists, and a ban the kernel lost is put back at the next listing', async () => {
  const { fw, inst } = await instanceHolding(6_250);
  const before = fw.lists;
  await checks(inst, 6);
  assert.equal(fw.lists - before, 2);
  // someone deletes a ban from the kernel: the audit finds it within three checks
  fw.banned.delete(ban(7).ip);
  await checks(inst, 3);
  assert.equal(fw.banned.has(ban(7).ip), true);
});

test('the pace itself: a few bans list at every check, 100,000 in 40', () => {
  const p = new AuditPace();
  assert.deepEqual(
    [0, 1, 2].map(() => p.due(1)),
    [true, true, true],
  );
  const q = new AuditPace();
  const due = Array.from({ length: 80 }, () => q.due(100_000));
  assert.deepEqual(
    due.map((d, i) => (d ? i : -1)).filter((i) => i >= 0),
    [39, 79],
  );
});
