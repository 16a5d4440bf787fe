// [cluster] on, but its password file cannot be read: the composition root (startDaemon in this
// process, --dry-run) starts the daemon without the fleet, and `status` says so and why (the file
// and the fix), where it used to show no fleet at all and `status cluster` said "not enabled".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { startDaemon } from '../../src/app.js';
import { ControlClient } from '../../src/control/control-client.js';
import type { ClusterStatus, ServiceStatus } from '../../src/control/replies.js';
import { describeCluster } from '../../src/cli/render-cluster.js';
import { daemonDir } from '../helpers/daemon-dir.js';
import { waitFor } from '../helpers/wait-for.js';

test('an unreadable redis.passwordfile: the daemon runs, bans on its own, and status names the file and the fix', async () => {
  const missing = '/nonexistent/voipguard/redis.password';
  const { dir, socket, daemonLog } = daemonDir(
    'vg-cluster-off-',
    `[cluster]\nenabled = yes\nredis = unix:/nonexistent/voipguard/redis.sock\nredis.passwordfile = ${missing}\nnode = pbx-off\n`,
  );
  const errors: string[] = [];
  const running = startDaemon({ configDir: dir, dryRun: true, keepRules: false, tty: false, err: (s) => errors.push(s) });
  const client = new ControlClient(socket, 5000);
  try {
    // `status` waits for the start
    const status = (await waitFor(async () => (await client.request({ cmd: 'status' }).catch(() => null)) as ServiceStatus | null, {
      what: 'the daemon answers status',
      timeoutMs: 20_000,
    }))!;
    assert.ok(status.cluster, 'the fleet is shown, not left out');
    assert.equal(status.cluster.connected, false);
    assert.match(status.cluster.error ?? '', new RegExp(`ENOENT.*${missing.replace(/[.]/g, '\\.')}.*fix it, then restart voipguard`));
    assert.match(describeCluster(status.cluster), /^NOT connected to unix:.*\(ENOENT: .*\) as pbx-off, /);
    const c = (await client.request({ cmd: 'cluster-status' })) as ClusterStatus | null;
    assert.equal(c?.node, 'pbx-off');
    // a local ban still goes through while the fleet is off
    const ban = await client.request({ cmd: 'banip', jail: 'asterisk', ips: ['198.51.100.77'] });
    assert.ok(ban !== null);
    const banned = await client.request({ cmd: 'get', jail: 'asterisk', key: 'banip', withTime: false });
    assert.match(JSON.stringify(banned), /198\.51\.100\.77/);
    assert.match(readFileSync(daemonLog, 'utf8'), /"event":"cluster-file-unreadable"/);
  } finally {
    await client.request({ cmd: 'stop' }).catch(() => undefined);
    const code = await running;
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0);
  }
});
