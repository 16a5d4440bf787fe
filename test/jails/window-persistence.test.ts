// Failure windows survive a restart: the jail reports the windows it changed, the store keeps them,
// a new jail takes them back. The same story on MemoryStore and on a real SQLite file reopened.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Jail } from '../../src/jails/jail.js';
import { MemoryStore } from '../fakes/memory-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { failure, MIN, settings, T0 } from './jail-kit.js';

const ATT = '203.0.113.5';

/** What the runtime does around a jail: save its changes, and at start load them back. */
function save(j: Jail, s: Store): void {
  s.saveWindows(j.name, j.takeWindowChanges());
}
function restart(s: Store, now: number, over = {}): Jail {
  const j = new Jail(settings(over));
  j.restoreWindows(s.loadWindows('asterisk', now - 10 * MIN), now);
  return j;
}

const stores: [string, () => { open: () => Store; reopen: (s: Store) => Store; done: () => void }][] = [
  ['MemoryStore', () => ({ open: () => new MemoryStore(), reopen: (s) => s, done: () => undefined })],
  [
    'SqliteStore',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'vg-windows-'));
      const path = join(dir, 'db.sqlite3');
      return {
        open: () => SqliteStore.open(path),
        reopen: (s) => (s.close(), SqliteStore.open(path)),
        done: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
];

for (const [name, make] of stores) {
  test(`${name}: 4 failures, a restart, 1 failure: the 5th failure bans`, () => {
    const kit = make();
    let s = kit.open();
    try {
      const j = new Jail(settings());
      for (let i = 0; i < 4; i++) j.failure(failure(ATT, T0 + i * 1000), T0 + i * 1000);
      save(j, s);
      s = kit.reopen(s);
      const again = restart(s, T0 + 5000);
      assert.equal(again.status(T0 + 5000).currentlyFailed, 1);
      assert.equal(again.status(T0 + 5000).totalFailed, 0, 'restored windows are not new failures');
      const d = again.failure(failure(ATT, T0 + 6000), T0 + 6000);
      assert.equal(d.length, 1);
      const ban = d[0]!;
      assert.equal(ban.type === 'ban' && ban.failures, 5);
      save(again, s);
      assert.deepEqual(s.loadWindows('asterisk', 0), [], 'the ban ended the window, in the store too');
    } finally {
      s.close();
      kit.done();
    }
  });

  test(`${name}: failures that left findtime during the restart do not come back`, () => {
    const kit = make();
    let s = kit.open();
    try {
      const j = new Jail(settings());
      j.failure(failure(ATT, T0), T0);
      j.failure(failure(ATT, T0 + 2 * MIN), T0 + 2 * MIN);
      for (let i = 0; i < 2; i++) j.failure(failure(ATT, T0 + 9 * MIN + i), T0 + 9 * MIN + i);
      save(j, s);
      s = kit.reopen(s);
      // 13 minutes on: only the two at 9 minutes are inside findtime
      const again = restart(s, T0 + 13 * MIN);
      for (let i = 0; i < 2; i++) assert.deepEqual(again.failure(failure(ATT, T0 + 13 * MIN + i), T0 + 13 * MIN + i), [], `failure ${3 + i}`);
      assert.equal(again.failure(failure(ATT, T0 + 13 * MIN + 5), T0 + 13 * MIN + 5).length, 1, 'the 5th inside findtime');
    } finally {
      s.close();
      kit.done();
    }
  });
}

test('a leftover window of an address restored as banned, or now in ignoreip, is dropped from the store', () => {
  const s = new MemoryStore();
  s.saveWindows('asterisk', [
    { ip: ATT, times: [T0, T0 + 1] },
    { ip: '198.51.100.7', times: [T0] },
    { ip: '192.0.2.9', times: [T0] },
  ]);
  const j = new Jail(settings({ ignoreip: ['198.51.100.0/24'] }));
  j.restore([{ jail: 'asterisk', ip: ATT, start: T0, until: T0 + 10 * MIN, banCount: 1, reason: 'detected' }], T0 + 1000);
  assert.equal(j.restoreWindows(s.loadWindows('asterisk', 0), T0 + 1000), 1);
  save(j, s);
  assert.deepEqual(s.loadWindows('asterisk', 0), [{ ip: '192.0.2.9', times: [T0] }]);
});

test('the jail reports each changed window once, and nothing when nothing changed', () => {
  const j = new Jail(settings());
  assert.deepEqual(j.takeWindowChanges(), []);
  j.failure(failure(ATT, T0), T0);
  j.failure(failure(ATT, T0 + 1), T0 + 1);
  j.failure(failure('192.0.2.1', T0 + 2), T0 + 2);
  assert.deepEqual(j.takeWindowChanges(), [
    { ip: ATT, times: [T0, T0 + 1] },
    { ip: '192.0.2.1', times: [T0 + 2] },
  ]);
  assert.deepEqual(j.takeWindowChanges(), []);
  j.ban('192.0.2.1', T0 + 3);
  assert.deepEqual(j.takeWindowChanges(), [{ ip: '192.0.2.1', times: [] }], 'a manual ban ends the window');
  // an address with no window has no row to drop: a fleet's 100,000 bans report nothing
  j.ban('192.0.2.77', T0 + 4, { reason: 'cluster' });
  assert.deepEqual(j.takeWindowChanges(), []);
});

for (const [name, make] of stores) {
  test(`${name}: the store keeps what memory tracks, so a ban of an untracked address leaves no row behind`, () => {
    const kit = make();
    let s = kit.open();
    try {
      // cap 2: the first address is evicted by the third, and the store drops it at the next save
      const j = new Jail(settings(), { maxTracked: 2 });
      for (const k of [1, 2, 3]) j.failure(failure(`192.0.2.${k}`, T0 + k), T0 + k);
      save(j, s);
      assert.deepEqual(
        s.loadWindows('asterisk', 0).map((r) => r.ip),
        ['192.0.2.2', '192.0.2.3'],
      );
      s = kit.reopen(s);
      const again = new Jail(settings(), { maxTracked: 2 });
      again.restoreWindows(s.loadWindows('asterisk', T0 - 10 * MIN), T0 + 10);
      // 192.0.2.1 is tracked nowhere: its ban reports nothing; 192.0.2.2's ends its row
      again.ban('192.0.2.1', T0 + 20, { reason: 'cluster' });
      again.ban('192.0.2.2', T0 + 21, { reason: 'cluster' });
      save(again, s);
      assert.deepEqual(
        s.loadWindows('asterisk', 0).map((r) => r.ip),
        ['192.0.2.3'],
      );
    } finally {
      s.close();
      kit.done();
    }
  });
}

test('restored windows respect the tracked-address cap, least recently failed evicted first', () => {
  const s = new MemoryStore();
  s.saveWindows(
    'asterisk',
    [1, 2, 3].map((k) => ({ ip: `192.0.2.${k}`, times: [T0 + k] })),
  );
  const j = new Jail(settings(), { maxTracked: 2 });
  j.restoreWindows(s.loadWindows('asterisk', 0), T0 + 10);
  assert.equal(j.status(T0 + 10).counters.tracked, 2);
  assert.equal(j.status(T0 + 10).counters.evicted, 1);
});
