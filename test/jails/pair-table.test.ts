// The account windows' pair table (pair-table.ts) against a model made of Maps: random adds,
// lookups, touches and removals with a small cap (evictions of the least recently failed pair all the
// time), the owners' lists in their own order, and hashes so weak that every pair lands in one or a
// few runs of the index (the backward shift of a removal, the wrap, the growth).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from './jail-kit.js';
import { PairTable, type PairOwner } from '../../src/jails/pair-table.js';

class Owner implements PairOwner {
  pairHead = -1;
  pairTail = -1;
  pairCount = 0;
  constructor(
    readonly name: string,
    readonly hash: number,
  ) {}
}

function differential(
  cap: number,
  owners: number,
  ips: number,
  ops: number,
  seed: number,
  ipHash: (ip: string) => number,
  ownerHash: (i: number) => number,
): void {
  const t = new PairTable<Owner>(cap);
  const os = Array.from({ length: owners }, (_, i) => new Owner(`a${i}`, ownerHash(i)));
  // the model: every pair by key in least-recently-failed order (a Map keeps insertion order), and its times
  const all = new Map<string, { o: Owner; ip: string; times: number }>();
  const key = (o: Owner, ip: string) => `${o.name} ${ip}`;
  const r = rng(seed);
  let evicted = 0;
  for (let i = 0; i < ops; i++) {
    const o = os[Math.floor(r() * owners)]!;
    const ip = `10.0.${Math.floor(r() * ips)}.1`;
    const k = key(o, ip);
    const p = t.find(o, ip, ipHash(ip));
    assert.equal(p >= 0, all.has(k), `op ${i}: find ${k}`);
    const op = r();
    if (p >= 0 && op < 0.15) {
      t.remove(p);
      all.delete(k);
    } else if (p >= 0 && op < 0.2) {
      t.removeAll(o);
      for (const [kk, v] of all) if (v.o === o) all.delete(kk);
    } else if (p >= 0) {
      t.touch(p);
      t.setTimes(p, i);
      const v = all.get(k)!;
      all.delete(k);
      all.set(k, { ...v, times: i });
    } else {
      if (all.size >= cap) {
        all.delete(all.keys().next().value!);
        evicted++;
      }
      t.add(o, ip, ipHash(ip), i);
      all.set(k, { o, ip, times: i });
    }
    assert.equal(t.size, all.size, `op ${i}: size`);
  }
  assert.equal(t.evicted, evicted);
  // every owner's list: its pairs, least recently failed first, with their times
  for (const o of os) {
    const listed: [string, number][] = [];
    for (let p = o.pairHead; p >= 0; p = t.after(p)) listed.push([t.ip(p), t.times(p) as number]);
    const want = [...all.values()].filter((v) => v.o === o).map((v) => [v.ip, v.times] as [string, number]);
    assert.deepEqual(listed, want, `owner ${o.name}`);
    assert.equal(o.pairCount, want.length);
  }
  for (const v of all.values()) assert.ok(t.find(v.o, v.ip, ipHash(v.ip)) >= 0);
}

const fair = (ip: string) => {
  let h = 0;
  for (let i = 0; i < ip.length; i++) h = Math.imul(h ^ ip.charCodeAt(i), 0x5bd1e995) ^ (h >>> 15);
  return h & 0x3fffffff;
};

test('the pair table agrees with a Map model under random adds, touches and removals, at and below its cap', () => {
  differential(300, 20, 60, 50_000, 1, fair, (i) => fair(`owner${i}`));
  differential(5000, 50, 200, 50_000, 2, fair, (i) => fair(`owner${i}`)); // grows past its first arrays
  differential(1, 3, 3, 2_000, 3, fair, (i) => fair(`owner${i}`));
});

test('the pair table stays right when every pair has one hash, or a few: one long run in the index', () => {
  differential(
    200,
    10,
    40,
    20_000,
    4,
    () => 7,
    () => 0,
  );
  differential(
    500,
    10,
    100,
    20_000,
    5,
    (ip) => ip.length & 3,
    (i) => i & 1,
  );
  differential(
    400,
    10,
    100,
    20_000,
    6,
    () => 0x3fffffff,
    () => 0,
  ); // the run wraps past the index's end
});

test('a cap of less than one is refused', () => {
  assert.throws(() => new PairTable(0), RangeError);
});
