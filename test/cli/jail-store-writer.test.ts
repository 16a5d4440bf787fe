// The store side of a jail runtime (daemon/jail-store-writer.ts): the windows a read changed and
// the bans it decided reach the store in one transaction, before the event loop turns.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load-config.js';
import { memoryReader } from '../../src/config/config-set.js';
import { Jail } from '../../src/jails/jail.js';
import type { Failure } from '../../src/core/types.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { JailStoreWriter } from '../../src/daemon/jail-store-writer.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { files, JAIL, T0 } from './daemon-kit.js';

/** The real store, with its outer transactions counted (a batch, or a window save outside one). */
function counted(inner: SqliteStore): { store: Store; transactions: () => number } {
  let n = 0;
  let depth = 0;
  const store = new Proxy(inner, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (prop === 'batch')
        return <T>(fn: () => T): T => {
          if (depth++ === 0) n++;
          try {
            return target.batch(fn);
          } finally {
            depth--;
          }
        };
      if (prop === 'saveWindows')
        return (...a: Parameters<Store['saveWindows']>) => {
          if (depth === 0) n++;
          target.saveWindows(...a);
        };
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store, transactions: () => n };
}

function failure(ip: string, at = T0): Failure {
  return { ip, time: at, kind: 'test', origin: 'log', source: '/var/log/asterisk/messages' };
}

test("a read's changed windows and its ban go in one transaction, and the store holds both afterwards", async () => {
  const cfg = loadConfig('/cfg', { reader: memoryReader(files(JAIL)) }).jails.find((j) => j.name === 'asterisk')!;
  const sqlite = SqliteStore.open(':memory:');
  const { store, transactions } = counted(sqlite);
  const jail = new Jail(cfg, { random: () => 0 });
  const { log } = memoryLogger('error');
  const writer = new JailStoreWriter('asterisk', store, jail, log, { storeErrors: 0 }, () => cfg.findtime);
  // one read: 192.0.2.1 fails once (its window changes), 192.0.2.2 reaches maxretry (3) and is banned
  assert.deepEqual(jail.failure(failure('192.0.2.1'), T0), []);
  writer.scheduleWindows();
  jail.failure(failure('192.0.2.2'), T0);
  writer.scheduleWindows();
  jail.failure(failure('192.0.2.2'), T0);
  writer.scheduleWindows();
  const decisions = jail.failure(failure('192.0.2.2'), T0);
  assert.equal(decisions.length, 1);
  writer.toStore(decisions);
  await new Promise((r) => setImmediate(r));
  assert.equal(transactions(), 1, 'one commit for the read');
  assert.deepEqual(
    sqlite.loadWindows('asterisk', 0).map((w) => w.ip),
    ['192.0.2.1'],
  );
  assert.deepEqual(
    sqlite.activeBans('asterisk').map((b) => b.ip),
    ['192.0.2.2'],
  );
  // a read with failures only: its own transaction
  jail.failure(failure('192.0.2.3'), T0);
  writer.scheduleWindows();
  await new Promise((r) => setImmediate(r));
  assert.equal(transactions(), 2);
  assert.equal(sqlite.loadWindows('asterisk', 0).length, 2);
  sqlite.close();
});
