// The composition root wires a jail's notification actions: a ban made by the real daemon (in this
// process, --dry-run) reaches a webhook receiver on 127.0.0.1, with the banned address in the digest.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../../src/app.js';
import { ControlClient } from '../../src/control/control-client.js';
import { packageRoot } from '../../src/core/paths.js';
import { waitUntil } from '../helpers/fake-ami-server.js';
import { waitFor } from '../helpers/wait-for.js';

test("a ban by the daemon is announced to the jail's webhook action, carrying the banned address", async (t) => {
  const bodies: string[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'vg-notify-'));
  t.after(() => {
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });
  copyFileSync(join(packageRoot(), 'jail.conf'), join(dir, 'jail.conf'));
  copyFileSync(join(packageRoot(), 'voipguard.conf'), join(dir, 'voipguard.conf'));
  const socket = join(dir, 'run', 'vg.sock');
  const log = join(dir, 'asterisk', 'messages.log');
  mkdirSync(join(dir, 'asterisk'));
  writeFileSync(log, '');
  writeFileSync(
    join(dir, 'voipguard.local'),
    `[Definition]\nlogtarget = ${join(dir, 'vg.log')}\nsocket = ${socket}\npidfile = ${join(dir, 'run', 'vg.pid')}\ndbfile = ${join(dir, 'vg.sqlite3')}\n`,
  );
  writeFileSync(
    join(dir, 'jail.local'),
    [
      '[asterisk]',
      'enabled = true',
      `logpath = ${log}`,
      'maxretry = 2',
      'action = dummy',
      `         webhook[url="http://127.0.0.1:${port}/hook", delay=1s]`,
      '',
    ].join('\n'),
  );
  const errors: string[] = [];
  const running = startDaemon({ configDir: dir, dryRun: true, keepRules: false, tty: false, err: (s) => errors.push(s) });
  const client = new ControlClient(socket, 5000);
  try {
    await waitFor(
      () =>
        client.request({ cmd: 'ping' }).then(
          () => true,
          () => false,
        ),
      { what: 'the daemon to answer', timeoutMs: 15_000, intervalMs: 50 },
    );
    const stamp = new Date().toISOString().slice(0, 19).replace('T', ' ');
    for (let k = 0; k < 2; k++) {
      appendFileSync(log, `[${stamp}] NOTICE[1] chan_sip.c: Registration from '<sip:10${k}@198.51.100.10>' failed for '203.0.113.77:5060' - Wrong password\n`);
    }
    await waitUntil(() => bodies.some((b) => b.includes('203.0.113.77')), 'the webhook digest', 15_000);
  } finally {
    await client.request({ cmd: 'stop' }).catch(() => undefined);
  }
  assert.equal(await running, 0);
  assert.deepEqual(errors, []);
  assert.ok(bodies.length >= 1);
});
