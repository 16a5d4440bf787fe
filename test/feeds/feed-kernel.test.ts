// Feeds in a real kernel (network namespaces, root only), for both families: a listed address is
// dropped on packets; a refresh swaps the list while the attacker probes continuously and not one
// probe is answered; the hook stays in front of a jail hook inserted later; a restart without
// network fills the set from the database.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VoipguardError } from '../../src/core/errors.js';
import { IpsetFeedSet } from '../../src/firewall/feed-set-ipset.js';
import { NftFeedSet } from '../../src/firewall/feed-set-nft.js';
import type { FeedSet, FeedSetSpec } from '../../src/firewall/feed-set.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { MemoryFeedFetcher } from '../fakes/memory-feed-fetcher.js';
import { defenderRunner, PORTS, usePair } from '../firewall/kernel-scenario.js';
import { KERNEL_SKIP } from '../helpers/privileges.js';
import { feedConfig, makeRunner } from './feed-kit.js';

const T0 = 1_800_000_000_000;
const box = usePair();
const URL_ = 'https://feeds.example/list.txt';

type Kind = 'iptables' | 'nftables';
function makeSet(kind: Kind, spec: FeedSetSpec): FeedSet {
  const { log } = memoryLogger('debug');
  const runner = defenderRunner(box.pair);
  return kind === 'nftables' ? new NftFeedSet(spec, runner, log) : new IpsetFeedSet(spec, runner, log);
}

/** `n` (at most 262,144) filler addresses in 100.64.0.0/10 (never the namespaces' own); another `block` gives other addresses. */
function filler(n: number, block: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`100.${64 + block * 4 + ((i >> 16) & 3)}.${(i >> 8) & 255}.${i & 255}`);
  return out;
}

for (const kind of ['iptables', 'nftables'] as const) {
  test(`${kind}: a listed address is dropped (v4 and v6), others pass; stop removes everything`, { skip: KERNEL_SKIP }, async () => {
    const { pair } = box;
    const fetcher = new MemoryFeedFetcher();
    fetcher.urls.set(URL_, { status: 200, body: `${pair.attacker4}\n${pair.attacker6}\n` });
    const cfg = feedConfig('t1', { url: URL_ });
    const set = makeSet(kind, { name: 't1', blocktype: 'DROP', ports: [{ lo: 5060, hi: 5061 }], maxentries: 1000 });
    const k = makeRunner(cfg, fetcher, { set, host: { addresses: () => [pair.defender4, pair.defender6] } });
    try {
      assert.equal(await pair.probe('udp', pair.defender4, 5060), 'reply');
      await k.runner.start(T0);
      await k.runner.due(T0);
      assert.equal(k.runner.status().lastError, null);
      assert.deepEqual((await set.list()).sort(), [pair.attacker4, pair.attacker6].sort());
      assert.equal(await pair.probe('udp', pair.defender4, 5060, 800), 'timeout', 'DROP: silent');
      assert.equal(await pair.probe('tcp', pair.defender6, 5061, 800), 'timeout');
      assert.equal(await pair.probe('udp', pair.defender6, 5060, 800), 'timeout');
      assert.equal(await pair.probe('udp', pair.defender4, PORTS[2]!), 'reply', 'a port the feed does not name passes');
    } finally {
      await set.stop(true);
    }
    assert.equal(await pair.probe('udp', pair.defender4, 5060), 'reply', 'stopped: traffic passes');
    const left =
      kind === 'nftables'
        ? (await pair.exec(pair.defender, ['nft', 'list', 'tables'])).stdout
        : (await pair.exec(pair.defender, ['ipset', 'list', '-n'])).stdout;
    assert.doesNotMatch(left, /f2b-feed|f2b-fnew/);
  });

  test(`${kind}: a refresh swaps 50,000 entries under continuous probes: no probe from a listed address is answered`, { skip: KERNEL_SKIP }, async () => {
    const { pair } = box;
    const fetcher = new MemoryFeedFetcher();
    const listA = [pair.attacker4, ...filler(50_000, 0)];
    const listB = [pair.attacker4, ...filler(50_000, 1), '203.0.113.0/24'];
    fetcher.urls.set(URL_, { status: 200, body: listA.join('\n') });
    const set = makeSet(kind, { name: 'swap', blocktype: 'DROP', ports: null, maxentries: 200_000 });
    const k = makeRunner(feedConfig('swap', { url: URL_, refresh: '1m' }), fetcher, { set });
    const client = await pair.udpClient(pair.defender4, 5060);
    try {
      await k.runner.start(T0);
      await k.runner.due(T0);
      assert.equal(k.runner.status().entries, listA.length);
      fetcher.urls.set(URL_, { status: 200, body: listB.join('\n') });
      let done = false;
      const outcomes: string[] = [];
      const probing = (async () => {
        while (!done || outcomes.length < 5) outcomes.push(await client.send(100));
      })();
      const refresh = k.runner.due(T0 + 60_000);
      assert.ok(refresh, 'the refresh is due');
      await refresh;
      done = true;
      await probing;
      assert.equal(k.runner.status().lastError, null);
      assert.equal(k.runner.status().entries, listB.length - 0);
      assert.ok(outcomes.length >= 5, `probes sent: ${outcomes.length}`);
      assert.deepEqual(
        outcomes.filter((o) => o !== 'timeout'),
        [],
        `every probe during the swap was dropped (${outcomes.length} probes)`,
      );
      const now = new Set(await set.list());
      assert.ok(now.has('203.0.113.0/24') && now.has(pair.attacker4), 'the new list is in');
      assert.ok(!now.has(listA[1]!), 'the old list is gone');
    } finally {
      client.close();
      await set.stop(true);
    }
  });

  test(`${kind}: restart without network: the last good list comes back from the database`, { skip: KERNEL_SKIP }, async () => {
    const { pair } = box;
    const dir = mkdtempSync(join(tmpdir(), 'vg-feed-'));
    const spec: FeedSetSpec = { name: 'restart', blocktype: 'DROP', ports: null, maxentries: 1000 };
    const cfg = feedConfig('restart', { url: URL_ });
    try {
      const store1 = SqliteStore.open(join(dir, 'db.sqlite3'));
      const up = new MemoryFeedFetcher();
      up.urls.set(URL_, { status: 200, body: `${pair.attacker4}\n` });
      const set1 = makeSet(kind, spec);
      const k1 = makeRunner(cfg, up, { set: set1, store: store1 });
      await k1.runner.start(T0);
      await k1.runner.due(T0);
      await set1.stop(true); // a stop that removed the rules (voipguard stop --flush)
      store1.close();
      assert.equal(await pair.probe('udp', pair.defender4, 5060), 'reply');

      const store2 = SqliteStore.open(join(dir, 'db.sqlite3'));
      const down = new MemoryFeedFetcher();
      down.urls.set(URL_, new VoipguardError('VG_FEED_FETCH', 'feeds.example: EAI_AGAIN'));
      const set2 = makeSet(kind, spec);
      const k2 = makeRunner(cfg, down, { set: set2, store: store2 });
      try {
        await k2.runner.start(T0 + 7_200_000);
        assert.equal(await pair.probe('udp', pair.defender4, 5060, 800), 'timeout', 'protected before any download');
        await k2.runner.due(T0 + 7_200_000);
        const st = k2.runner.status();
        assert.equal(st.lastErrorCode, 'VG_FEED_FETCH');
        assert.equal(st.entries, 1);
        assert.equal(st.lastRefresh, T0, 'the list in the kernel is the one fetched before the restart');
        assert.equal(await pair.probe('udp', pair.defender4, 5060, 800), 'timeout', 'still protected after the failed download');
      } finally {
        await set2.stop(true);
        store2.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('iptables: the feed hook goes back in front of a jail hook inserted after it', { skip: KERNEL_SKIP }, async () => {
  const { pair } = box;
  const set = makeSet('iptables', { name: 'first', blocktype: 'DROP', ports: null, maxentries: 1000 });
  const { log } = memoryLogger('debug');
  void log;
  try {
    await set.start();
    await set.replace([{ family: 4, text: pair.attacker4, prefix: 32, bytes: Uint8Array.from(pair.attacker4.split('.').map(Number)) }]);
    // a jail that starts later inserts its own jump first; an ACCEPT there would let the feed's addresses through
    await pair.exec(pair.defender, ['iptables', '-w', '-I', 'INPUT', '1', '-p', 'udp', '-j', 'ACCEPT']);
    assert.equal(await pair.probe('udp', pair.defender4, 5060), 'reply', 'behind the ACCEPT the feed is not reached');
    await set.hookFirst();
    const rules = (await pair.exec(pair.defender, ['iptables', '-S', 'INPUT'])).stdout.split('\n').filter((l) => l.startsWith('-A'));
    assert.equal(rules[0], '-A INPUT -j f2b-feed-first');
    assert.equal(rules.filter((l) => l.includes('f2b-feed-first')).length, 1, 'one jump');
    assert.equal(await pair.probe('udp', pair.defender4, 5060, 800), 'timeout');
  } finally {
    await pair.exec(pair.defender, ['iptables', '-w', '-D', 'INPUT', '-p', 'udp', '-j', 'ACCEPT']).catch(() => undefined);
    await set.stop(true);
  }
});
