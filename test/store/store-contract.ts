// The Store contract, run against SqliteStore and MemoryStore alike (store-contract.test.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BanRecord } from '../../src/core/types.js';
import type { Store } from '../../src/store/store.js';

export interface StoreMaker {
  /** A fresh, empty store. */
  make(): Store;
  /** The same store closed and opened again, when it persists. */
  reopen?(s: Store): Store;
}

const T0 = Date.UTC(2026, 10, 21, 9, 0, 0);
const ban = (over: Partial<BanRecord> = {}): BanRecord => ({
  jail: 'asterisk',
  ip: '203.0.113.5',
  start: T0,
  until: T0 + 600_000,
  banCount: 1,
  reason: 'detected',
  ...over,
});

export function storeContract(name: string, maker: StoreMaker): void {
  const withStore = (title: string, body: (s: Store) => void) =>
    test(`${name}: ${title}`, () => {
      const s = maker.make();
      try {
        body(s);
      } finally {
        s.close();
      }
    });

  withStore('a ban is active with its applied flag until removed; history keeps it', (s) => {
    s.addBan(ban(), false);
    assert.deepEqual(s.activeBans(), [{ ...ban(), applied: false }]);
    s.setApplied('asterisk', '203.0.113.5', true);
    assert.equal(s.activeBans()[0]!.applied, true);
    s.removeBan('asterisk', '203.0.113.5');
    assert.deepEqual(s.activeBans(), []);
    assert.equal(s.banCount('203.0.113.5', 'asterisk', 0), 1);
  });

  withStore('banning the same address again replaces the active ban and adds to the history', (s) => {
    s.addBan(ban(), true);
    s.addBan(ban({ start: T0 + 1000, until: null, banCount: 2, reason: 'manual' }), false);
    assert.deepEqual(s.activeBans(), [{ ...ban({ start: T0 + 1000, until: null, banCount: 2, reason: 'manual' }), applied: false }]);
    assert.equal(s.banCount('203.0.113.5', 'asterisk', 0), 2);
  });

  withStore('active bans by jail, oldest first; permanent bans keep until = null', (s) => {
    s.addBan(ban({ ip: '2001:db8::1', start: T0 + 2 }), true);
    s.addBan(ban({ jail: 'blacklist', ip: '198.51.100.1', start: T0 + 1, until: null, reason: 'manual' }), true);
    s.addBan(ban({ ip: '192.0.2.1', start: T0 }), false);
    assert.deepEqual(
      s.activeBans().map((b) => b.ip),
      ['192.0.2.1', '198.51.100.1', '2001:db8::1'],
    );
    assert.deepEqual(
      s.activeBans('asterisk').map((b) => b.ip),
      ['192.0.2.1', '2001:db8::1'],
    );
    assert.equal(s.activeBans('blacklist')[0]!.until, null);
    assert.deepEqual(s.activeBans('nope'), []);
  });

  withStore("a jail's active bans page by page in address order, and one ban by its key", (s) => {
    const ips = ['203.0.113.9', '192.0.2.1', '2001:db8::1', '198.51.100.7', '192.0.2.10'];
    ips.forEach((ip, i) => s.addBan(ban({ ip, start: T0 + 10 - i }), i % 2 === 0));
    s.addBan(ban({ jail: 'blacklist', ip: '192.0.2.5' }), true);
    const pages: string[][] = [];
    for (let after: string | null = null; ;) {
      const page = s.activeBansPage('asterisk', after, 2);
      if (page.length === 0) break;
      pages.push(page.map((b) => b.ip));
      after = page[page.length - 1]!.ip;
    }
    assert.deepEqual(pages, [['192.0.2.1', '192.0.2.10'], ['198.51.100.7', '2001:db8::1'], ['203.0.113.9']]);
    assert.deepEqual(s.activeBansPage('asterisk', null, 1)[0], { ...ban({ ip: '192.0.2.1', start: T0 + 9 }), applied: false });
    assert.deepEqual(s.activeBansPage('nope', null, 10), []);
    assert.deepEqual(s.activeBan('asterisk', '2001:db8::1'), { ...ban({ ip: '2001:db8::1', start: T0 + 8 }), applied: true });
    assert.equal(s.activeBan('asterisk', '192.0.2.5'), undefined, "another jail's ban");
    s.removeBan('asterisk', '2001:db8::1');
    assert.equal(s.activeBan('asterisk', '2001:db8::1'), undefined);
  });

  withStore('setApplied and removeBan of an unknown ban change nothing', (s) => {
    s.setApplied('asterisk', '192.0.2.9', true);
    s.removeBan('asterisk', '192.0.2.9');
    assert.deepEqual(s.activeBans(), []);
  });

  withStore('ban history counts by jail or across jails, since a time', (s) => {
    s.addBan(ban({ start: T0 }), true);
    s.addBan(ban({ start: T0 + 10 }), true);
    s.addBan(ban({ jail: 'sip-scan', start: T0 + 20 }), true);
    s.addBan(ban({ ip: '192.0.2.1', start: T0 + 30 }), true);
    assert.equal(s.banCount('203.0.113.5', 'asterisk', 0), 2);
    assert.equal(s.banCount('203.0.113.5', null, 0), 3);
    assert.equal(s.banCount('203.0.113.5', null, T0 + 10), 2);
    assert.equal(s.banCount('203.0.113.5', 'other', 0), 0);
  });

  withStore('an address counted before its first ban counts that ban afterwards, in its jail and across jails', (s) => {
    assert.equal(s.banCount('203.0.113.5', 'asterisk', 0), 0);
    assert.equal(s.banCount('192.0.2.1', null, 0), 0);
    s.addBan(ban({ start: T0 }), true);
    s.batch(() => s.addBan(ban({ ip: '192.0.2.1', start: T0 + 5 }), true));
    assert.equal(s.banCount('203.0.113.5', 'asterisk', 0), 1);
    assert.equal(s.banCount('203.0.113.5', null, 0), 1);
    assert.equal(s.banCount('192.0.2.1', null, 0), 1);
    assert.equal(s.banCount('192.0.2.1', 'asterisk', T0 + 6), 0);
  });

  withStore('purging history drops only older entries and never an active ban', (s) => {
    s.addBan(ban({ start: T0 }), true);
    s.addBan(ban({ ip: '192.0.2.1', start: T0 + 100 }), true);
    assert.equal(s.purgeHistory(T0 + 50), 1);
    assert.equal(s.banCount('203.0.113.5', null, 0), 0);
    assert.equal(s.banCount('192.0.2.1', null, 0), 1);
    assert.equal(s.activeBans().length, 2);
    assert.equal(s.purgeHistory(T0 + 50), 0);
  });

  withStore('a batch (one transaction for a firewall flush) keeps every write, returns its value, and nests', (s) => {
    const n = s.batch(() => {
      s.addBan(ban(), false);
      s.batch(() => s.addBan(ban({ ip: '203.0.113.6' }), false));
      s.setApplied('asterisk', '203.0.113.5', true);
      return 2;
    });
    assert.equal(n, 2);
    assert.deepEqual(
      s.activeBans('asterisk').map((b) => [b.ip, b.applied]),
      [
        ['203.0.113.5', true],
        ['203.0.113.6', false],
      ],
    );
  });

  withStore('file positions and meta values are kept and overwritten', (s) => {
    assert.equal(s.getPosition('/var/log/asterisk/security'), undefined);
    s.setPosition({ path: '/var/log/asterisk/security', inode: 1234567, offset: 42, firstLineHash: 'ab12' });
    s.setPosition({ path: '/var/log/asterisk/security', inode: 1234567, offset: 2 ** 40, firstLineHash: 'ab12' });
    assert.deepEqual(s.getPosition('/var/log/asterisk/security'), {
      path: '/var/log/asterisk/security',
      inode: 1234567,
      offset: 2 ** 40,
      firstLineHash: 'ab12',
    });
    assert.equal(s.getMeta('journal:asterisk'), undefined);
    s.setMeta('journal:asterisk', 's=1;i=2');
    s.setMeta('journal:asterisk', 's=1;i=3');
    assert.equal(s.getMeta('journal:asterisk'), 's=1;i=3');
  });

  withStore('the cluster stream cursor is kept per prefix and overwritten', (s) => {
    assert.equal(s.getClusterCursor('voipguard'), undefined);
    s.setClusterCursor('voipguard', '1700000000000-0');
    s.setClusterCursor('voipguard', '1700000000123-4');
    s.setClusterCursor('other', '5-0');
    assert.equal(s.getClusterCursor('voipguard'), '1700000000123-4');
    assert.equal(s.getClusterCursor('other'), '5-0');
  });

  withStore('failure windows: saved per jail, replaced, deleted by an empty list, loaded least recently failed first', (s) => {
    s.saveWindows('asterisk', [
      { ip: '203.0.113.5', times: [T0, T0 + 1000, T0 + 2000] },
      { ip: '2001:db8::7', times: [T0 + 500] },
      { ip: '192.0.2.1', times: [T0 + 100] },
    ]);
    s.saveWindows('blacklist', [{ ip: '203.0.113.5', times: [T0] }]);
    s.saveWindows('asterisk', [
      { ip: '192.0.2.1', times: [] },
      { ip: '2001:db8::7', times: [T0 + 500, T0 + 3000] },
    ]);
    assert.deepEqual(s.loadWindows('asterisk', 0), [
      { ip: '203.0.113.5', times: [T0, T0 + 1000, T0 + 2000] },
      { ip: '2001:db8::7', times: [T0 + 500, T0 + 3000] },
    ]);
    assert.deepEqual(s.loadWindows('blacklist', 0), [{ ip: '203.0.113.5', times: [T0] }]);
    assert.deepEqual(s.loadWindows('nope', 0), []);
  });

  withStore('failure windows: loading skips windows whose newest failure is older than `since`', (s) => {
    s.saveWindows('asterisk', [
      { ip: '192.0.2.1', times: [T0, T0 + 10] },
      { ip: '192.0.2.2', times: [T0 + 20] },
    ]);
    assert.deepEqual(
      s.loadWindows('asterisk', T0 + 11).map((r) => r.ip),
      ['192.0.2.2'],
    );
    assert.deepEqual(
      s.loadWindows('asterisk', T0 + 10).map((r) => r.ip),
      ['192.0.2.1', '192.0.2.2'],
    );
  });

  withStore('failure windows: pruning drops expired ones, then keeps the most recently failed up to the cap', (s) => {
    s.saveWindows(
      'asterisk',
      [1, 2, 3, 4, 5].map((k) => ({ ip: `192.0.2.${k}`, times: [T0 + k * 1000] })),
    );
    s.saveWindows('other', [{ ip: '192.0.2.1', times: [T0] }]);
    assert.equal(s.pruneWindows('asterisk', T0 + 2000, 10), 1);
    assert.equal(s.pruneWindows('asterisk', 0, 2), 2);
    assert.deepEqual(
      s.loadWindows('asterisk', 0).map((r) => r.ip),
      ['192.0.2.4', '192.0.2.5'],
    );
    assert.equal(s.loadWindows('other', 0).length, 1, 'another jail is untouched');
    assert.equal(s.pruneWindows('asterisk', 0, 0), 2);
    assert.deepEqual(s.loadWindows('asterisk', 0), []);
  });

  if (maker.reopen) {
    const reopen = maker.reopen;
    test(`${name}: bans, history, positions, meta and failure windows survive a restart`, () => {
      const s = maker.make();
      s.addBan(ban(), true);
      s.addBan(ban({ jail: 'blacklist', until: null, reason: 'manual' }), false);
      s.setPosition({ path: '/a', inode: 1, offset: 2, firstLineHash: 'h' });
      s.setMeta('k', 'v');
      s.saveWindows('asterisk', [{ ip: '198.51.100.9', times: [T0, T0 + 1, T0 + 2, T0 + 3] }]);
      const again = reopen(s);
      try {
        assert.deepEqual(
          again.activeBans().map((b) => [b.jail, b.ip, b.until, b.applied]),
          [
            ['asterisk', '203.0.113.5', T0 + 600_000, true],
            ['blacklist', '203.0.113.5', null, false],
          ],
        );
        assert.equal(again.banCount('203.0.113.5', null, 0), 2);
        assert.equal(again.getPosition('/a')?.offset, 2);
        assert.equal(again.getMeta('k'), 'v');
        assert.deepEqual(again.loadWindows('asterisk', 0), [{ ip: '198.51.100.9', times: [T0, T0 + 1, T0 + 2, T0 + 3] }]);
      } finally {
        again.close();
      }
    });
  }
}
