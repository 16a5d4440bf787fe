// A blocklist feed on the built CLI, a real kernel and a real database: the daemon loads
// feed.d/local.conf into f2b-feed-local, the attacker on the list gets no answer, `status feeds
// --json` says so; stopped and started again with the list gone, the daemon refills the set from
// the database and says why the refresh failed.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNetnsPair, type NetnsPair } from '../helpers/netns.js';
import { KERNEL_SKIP } from '../helpers/privileges.js';
import { build, cli, Daemon, makeConfig, removeConfig, waitFor, type E2eConfig } from './daemon-harness.js';
import type { FeedStatus } from '../../src/control/replies.js';

const JAIL = `
[asterisk]
enabled = true
logpath = $LOG
`;

let pair: NetnsPair;
let cfg: E2eConfig;
const daemons: Daemon[] = [];

before(async () => {
  if (KERNEL_SKIP) return;
  build();
  pair = await createNetnsPair();
  await pair.serve([5060]);
  cfg = makeConfig(JAIL);
});

after(async () => {
  if (KERNEL_SKIP) return;
  for (const d of daemons) {
    if (d.proc.exitCode === null) {
      d.proc.kill('SIGTERM');
      await d.exited;
    }
  }
  await pair?.destroy();
  if (cfg) removeConfig(cfg);
});

// a daemon start takes seconds on a loaded 2-core machine (docs/benchmarks.md): the waits allow a minute
function feeds(): FeedStatus[] | null {
  const r = cli(cfg, ['status', 'feeds', '--json']);
  return r.code === 0 ? (JSON.parse(r.out) as FeedStatus[]) : null;
}

async function stop(d: Daemon): Promise<void> {
  d.proc.kill('SIGTERM');
  assert.equal(await d.exited, 0, d.stderr);
}

test('daemon: a feed file reaches the kernel, survives a restart without its source', { skip: KERNEL_SKIP }, async () => {
  const list = join(cfg.dir, 'lists', 'drop.txt');
  mkdirSync(join(cfg.dir, 'lists'));
  mkdirSync(join(cfg.dir, 'feed.d'));
  writeFileSync(list, `# test list\n${pair.attacker4}\n${pair.attacker6}\nnot an address\n`);
  writeFileSync(join(cfg.dir, 'feed.d', 'local.conf'), `[Definition]\nfile = ${list}\njails = asterisk\nrefresh = 2s\n`);
  writeFileSync(cfg.log, '');
  assert.equal(await pair.probe('udp', pair.defender4, 5060), 'reply');

  const d1 = new Daemon(pair.defender, cfg);
  daemons.push(d1);
  const st1 = (await waitFor('the feed loaded', () => feeds()?.find((f) => f.entries === 2) ?? null, 60_000))!;
  assert.equal(st1.garbage, 1);
  assert.equal(st1.lastError, null);
  assert.equal(st1.ports, '5060:5061');
  assert.equal(await pair.probe('udp', pair.defender4, 5060, 800), 'timeout', 'the listed attacker is dropped');
  const text = cli(cfg, ['status', 'feeds']);
  assert.match(text.out, /Status for the feed: local/);
  assert.match(text.out, /Entries:\t2/);
  // the jails hook their chains in the background after start; the feed's jump then goes back in front
  const inputRules = async (): Promise<string[]> =>
    (await pair.exec(pair.defender, ['iptables', '-S', 'INPUT'])).stdout.split('\n').filter((l) => l.startsWith('-A'));
  const rules = (await waitFor(
    'the feed hooked before the jail chains',
    async () => {
      const r = await inputRules();
      return r[0] === '-A INPUT -j f2b-feed-local' && r.some((l) => l.includes('f2b-asterisk-udp')) ? r : null;
    },
    20_000,
  ))!;
  assert.equal(rules.filter((l) => l === '-A INPUT -j f2b-feed-local').length, 1, `one jump to the feed:\n${rules.join('\n')}`);
  await stop(d1);

  // the rules stayed (a plain stop); remove them to prove the restart refills from the database
  await pair.exec(pair.defender, ['ipset', 'flush', 'f2b-feed-local']);
  assert.equal(await pair.probe('udp', pair.defender4, 5060), 'reply');
  rmSync(list);
  const d2 = new Daemon(pair.defender, cfg);
  daemons.push(d2);
  const st2 = (await waitFor('the failed refresh', () => feeds()?.find((f) => f.lastErrorCode !== null) ?? null, 60_000))!;
  assert.equal(st2.lastErrorCode, 'VG_FEED_FETCH');
  assert.equal(st2.entries, 2, 'the last good list is in the kernel');
  assert.equal(await pair.probe('udp', pair.defender4, 5060, 800), 'timeout');
  await stop(d2);
});
