// What the fleet's end-to-end tests share (cluster.test.ts, cluster-tls.test.ts): a built daemon in
// a namespace with a [cluster] section and its Redis password in a file, started and stopped, and
// its `status cluster --json`.

import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NetnsPair } from '../helpers/netns.js';
import { cli, Daemon, makeConfig, waitFor, type E2eConfig } from './daemon-harness.js';
import type { ClusterStatus } from '../../src/control/replies.js';

export interface FleetNode {
  readonly name: string;
  readonly pair: NetnsPair;
  readonly cfg: E2eConfig;
  daemon: Daemon | null;
}

/**
 * A node's config: `jail` (its jail.local), then a [cluster] section made of `redis` (the `redis =`
 * line and what goes with it, such as `redis.cafile`), the password in a 0600 file, its name and the
 * key prefix. Its log file exists, empty.
 */
export function fleetNode(name: string, pair: NetnsPair, jail: string, redis: string, password: string, prefix: string): FleetNode {
  const cfg = makeConfig(jail);
  const pwfile = join(cfg.dir, 'redis.password');
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  appendFileSync(
    join(cfg.dir, 'voipguard.local'),
    `\n[cluster]\nenabled = yes\n${redis}\nredis.passwordfile = ${pwfile}\nnode = ${name}\nprefix = ${prefix}\n`,
  );
  writeFileSync(cfg.log, '');
  return { name, pair, cfg, daemon: null };
}

/** Starts the node's daemon in its defender namespace; resolves once it answers `request` (`ping`
 *  answers at once; `status` waits for the start, the fleet's catch-up included). */
export async function startFleetNode(n: FleetNode, request: 'ping' | 'status', ms = 60_000): Promise<void> {
  const d = new Daemon(n.pair.defender, n.cfg);
  n.daemon = d;
  await waitFor(`${n.name} to answer ${request}`, () => cli(n.cfg, [request]).code === 0 || d.proc.exitCode !== null, ms);
  assert.equal(d.proc.exitCode, null, `${n.name} died: ${d.stderr}`);
}

export async function stopFleetNode(n: FleetNode): Promise<void> {
  if (n.daemon && n.daemon.proc.exitCode === null) {
    n.daemon.proc.kill('SIGTERM');
    await n.daemon.exited;
  }
}

export function clusterStatus(n: FleetNode): ClusterStatus {
  const r = cli(n.cfg, ['status', 'cluster', '--json']);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as ClusterStatus;
}
