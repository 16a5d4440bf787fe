// bench:e2e --sections feed: a 100,000-entry blocklist feed loaded into the kernel of the defender
// namespace (file read, parse, screen, one ipset restore or one nft transaction), for iptables+ipset
// and nftables; then a refresh that swaps in another 100,000 entries while the attacker, whose
// address is on both lists, probes UDP 5060 without pause: every answer it gets would be a packet
// from a listed address accepted during the swap.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecaRunner } from '../src/exec/execa-runner.js';
import { IpsetFeedSet } from '../src/firewall/feed-set-ipset.js';
import { NftFeedSet } from '../src/firewall/feed-set-nft.js';
import { FeedRunner } from '../src/daemon/feed-runner.js';
import { NodeFeedFetcher } from '../src/sources/feed-fetch.js';
import { NO_REGISTRATIONS } from '../src/core/protection.js';
import { createLogger } from '../src/log/logger.js';
import { FEED_FIELDS } from '../src/config/feed-schema.js';
import { readSchema } from '../src/config/fields.js';
import type { FeedStore, FeedListRow } from '../src/store/feed-store.js';
import type { NetnsPair } from '../test/helpers/netns.js';
import { parsePlain } from '../src/sources/feed-parse.js';
import { screenEntries } from '../src/sources/feed-screen.js';
import { readFileSync } from 'node:fs';

type Row = (action: string, measure: string, value: string) => void;

const N = 100_000;

function list(n: number, block: number, extra: string): string {
  const out: string[] = [extra];
  for (let i = 0; i < n - 1; i++) out.push(`${block}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  return out.join('\n') + '\n';
}

class BenchStore implements FeedStore {
  private row: FeedListRow | undefined;
  loadFeedList(): FeedListRow | undefined {
    return this.row;
  }
  saveFeedList(row: FeedListRow): void {
    this.row = row;
  }
}

export async function runFeedBench(pair: NetnsPair, row: Row): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vg-feedbench-'));
  const log = createLogger({ level: 'silent' });
  const runner = new ExecaRunner({ prefix: ['ip', 'netns', 'exec', pair.defender], timeoutMs: 120_000 });
  try {
    for (const kind of ['iptables', 'nftables'] as const) {
      const label = kind === 'iptables' ? 'feed ipset' : 'feed nftables';
      const path = join(dir, 'list.txt');
      writeFileSync(path, list(N, 100, pair.attacker4));
      const cfg = {
        name: 'bench',
        configFile: join(dir, 'bench.conf'),
        ...readSchema(
          FEED_FIELDS,
          (k) => (k === 'file' ? { raw: path, place: {} } : k === 'refresh' ? { raw: '1m', place: {} } : undefined),
          {},
          () => {},
          [],
        ),
      };
      const spec = { name: 'bench', blocktype: 'DROP' as const, ports: null, maxentries: 200_000 };
      const set = kind === 'nftables' ? new NftFeedSet(spec, runner, log) : new IpsetFeedSet(spec, runner, log);
      const feed = new FeedRunner(cfg, { ports: null, ignore: [], firewall: kind }, set, {
        log,
        store: new BenchStore(),
        fetcher: new NodeFeedFetcher(),
        host: { addresses: () => [pair.defender4, pair.defender6] },
        registrations: NO_REGISTRATIONS,
      });
      try {
        await feed.start(0);
        const t0 = performance.now();
        await feed.refreshNow(0);
        const load = performance.now() - t0;
        const st = feed.status();
        if (st.lastError) throw new Error(st.lastError);
        const held = (await set.list()).length;
        row(
          label,
          `${N.toLocaleString('en-US')}-entry feed loaded into the kernel (read, parse, screen, load)`,
          `${Math.round(load)} ms (${held.toLocaleString('en-US')} held; target ≤ 2 s)`,
        );

        // the same load split in two: parse and screen (JavaScript), then the kernel step alone
        const t2 = performance.now();
        const kept = screenEntries({
          entries: parsePlain(readFileSync(path, 'utf8')).entries,
          ignore: [],
          allow: [],
          host: [pair.defender4],
          registered: [],
        }).kept;
        const js = performance.now() - t2;
        const t3 = performance.now();
        await set.replace(kept);
        const kernel = performance.now() - t3;
        row(
          label,
          `  of which parse + screen / kernel step (${kind === 'iptables' ? 'ipset restore + swap' : 'one nft -f transaction'})`,
          `${Math.round(js)} ms / ${Math.round(kernel)} ms`,
        );

        // the swap under continuous probes from a listed address
        writeFileSync(path, list(N, 101, pair.attacker4));
        const client = await pair.udpClient(pair.defender4, 5060);
        const outcomes: string[] = [];
        let done = false;
        const probing = (async () => {
          while (!done || outcomes.length < 10) outcomes.push(await client.send(50));
        })();
        const t1 = performance.now();
        await feed.refreshNow(60_000);
        const swap = performance.now() - t1;
        done = true;
        await probing;
        client.close();
        const accepted = outcomes.filter((o) => o === 'reply').length;
        const now = new Set(await set.list());
        if (!now.has('101.0.0.0') || now.has('100.0.0.0')) throw new Error('the refresh did not replace the list');
        row(
          label,
          `refresh swap of ${N.toLocaleString('en-US')} entries under probes`,
          `${Math.round(swap)} ms; ${accepted} of ${outcomes.length} probes from a listed address accepted`,
        );
      } finally {
        await set.stop(true);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
