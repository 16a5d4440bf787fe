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

test('a bulk commit with one ban the store refuses keeps every other ban, in order around the unbans, and counts the one', async () => {
  const cfg = loadConfig('/cfg', { reader: memoryReader(files(JAIL)) }).jails.find((j) => j.name === 'asterisk')!;
  const sqlite = SqliteStore.open(':memory:');
  const refused = '192.0.2.77';
  // the store refuses one address (a disk error on its row, say): addBans throws, addBan throws for it alone
  const store = new Proxy(sqlite, {
    get(target, prop) {
      if (prop === 'addBan')
        return (b: Parameters<Store['addBan']>[0], applied: boolean) => {
          if (b.ip === refused) throw new Error('disk I/O error');
          target.addBan(b, applied);
        };
      if (prop === 'addBans')
        return (bans: Parameters<Store['addBans']>[0], applied: Parameters<Store['addBans']>[1]) => {
          if (bans.some((b) => b.ip === refused)) throw new Error('disk I/O error');
          target.addBans(bans, applied);
        };
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const jail = new Jail(cfg, { random: () => 0 });
  const { log, records } = memoryLogger('error');
  const counters = { storeErrors: 0 };
  const writer = new JailStoreWriter('asterisk', store, jail, log, counters, () => cfg.findtime);
  const banOf = (ip: string) => jail.ban(ip, T0)[0]!;
  // ban, ban (refused), ban, unban of the first, ban again of the first: the order decides what stays
  const a = banOf('192.0.2.1');
  const b = banOf(refused);
  const c = banOf('192.0.2.3');
  const un = jail.unban('192.0.2.1', T0 + 1);
  const again = jail.ban('192.0.2.1', T0 + 2);
  writer.toStore([a, b, c, ...un, ...again], true);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(
    sqlite
      .activeBans('asterisk')
      .map((x) => x.ip)
      .sort(),
    ['192.0.2.1', '192.0.2.3'],
  );
  assert.equal(sqlite.activeBans('asterisk').find((x) => x.ip === '192.0.2.1')!.start, T0 + 2);
  assert.equal(counters.storeErrors, 1);
  assert.ok(records.some((e) => e.event === 'store-failed'));
  sqlite.close();
});
