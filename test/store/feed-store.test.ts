// The feed-list contract (store/feed-store.ts), for SqliteStore and its memory twin alike.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { FeedStore } from '../../src/store/feed-store.js';
import { MemoryFeedStore } from '../fakes/memory-feed-store.js';

const impls: [string, () => { store: FeedStore; close(): void }][] = [
  ['memory', () => ({ store: new MemoryFeedStore(), close: () => undefined })],
  [
    'sqlite',
    () => {
      const s = SqliteStore.open(':memory:');
      return { store: s, close: () => s.close() };
    },
  ],
];

for (const [name, make] of impls) {
  test(`${name}: a feed list round-trips; saving replaces it; feeds are separate`, () => {
    const { store, close } = make();
    try {
      assert.equal(store.loadFeedList('a'), undefined);
      store.saveFeedList({ name: 'a', entries: ['192.0.2.1', '198.51.100.0/24', '2001:db8::/32'], fetchedAt: 1000, cursor: null, fullAt: 1000 });
      store.saveFeedList({ name: 'b', entries: ['203.0.113.1'], fetchedAt: 2000, cursor: '77', fullAt: 1500 });
      assert.deepEqual(store.loadFeedList('a'), {
        name: 'a',
        entries: ['192.0.2.1', '198.51.100.0/24', '2001:db8::/32'],
        fetchedAt: 1000,
        cursor: null,
        fullAt: 1000,
      });
      store.saveFeedList({ name: 'a', entries: [], fetchedAt: 3000, cursor: null, fullAt: 3000 });
      assert.deepEqual(store.loadFeedList('a')?.entries, []);
      assert.deepEqual(store.loadFeedList('b'), { name: 'b', entries: ['203.0.113.1'], fetchedAt: 2000, cursor: '77', fullAt: 1500 });
    } finally {
      close();
    }
  });
}

test('sqlite: a 200,000-entry list survives a close and reopen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vg-feedstore-'));
  try {
    const entries = Array.from({ length: 200_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const s1 = SqliteStore.open(join(dir, 'db.sqlite3'));
    s1.saveFeedList({ name: 'big', entries, fetchedAt: 5, cursor: null, fullAt: 5 });
    s1.close();
    const s2 = SqliteStore.open(join(dir, 'db.sqlite3'));
    assert.deepEqual(s2.loadFeedList('big')?.entries, entries);
    s2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
