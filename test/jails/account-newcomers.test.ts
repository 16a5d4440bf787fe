// The names seen once (src/jails/account-newcomers.ts) against a plain model: a name lasts until
// `cap` more names have arrived after it, unless released first (promoted, pruned); the places the
// released leave stay empty until the ring comes round to them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AccountNewcomers } from '../../src/jails/account-newcomers.js';
import { rng } from './jail-kit.js';

const BASE = 1000;

/** Arrives a name: the caller's part (release the place's name, if any, then put). Returns the
 *  number pushed out (or -1) and the number taken. */
function arrive(nc: AccountNewcomers, hash: number, t: number, ip: string): { out: number; r: number } {
  const r = nc.next();
  const out = nc.holds(r) ? r : -1;
  if (out >= 0) nc.release(out);
  nc.put(r, hash, t, ip);
  return { out, r };
}

test('a name seen once lasts until cap more names arrived after it; one released leaves its place empty until the ring comes round', () => {
  const nc = new AccountNewcomers(BASE, 3);
  const a = arrive(nc, 11, 1, 'A');
  const b = arrive(nc, 12, 2, 'B');
  const c = arrive(nc, 13, 3, 'C');
  assert.deepEqual([a.out, b.out, c.out], [-1, -1, -1]);
  assert.deepEqual([...nc.walk()], [a.r, b.r, c.r]);
  nc.release(b.r); // B promoted: its place stays empty
  assert.equal(nc.size, 2);
  const d = arrive(nc, 14, 4, 'D'); // the ring comes round to A's place: A goes
  assert.equal(d.out, a.r);
  assert.equal(d.r, a.r);
  const e = arrive(nc, 15, 5, 'E'); // B's empty place: nobody goes
  assert.equal(e.out, -1);
  assert.deepEqual([...nc.walk()], [c.r, d.r, e.r]);
  assert.deepEqual(
    [...nc.walk()].map((r) => [nc.hash(r), nc.time(r), nc.ip(r)]),
    [
      [13, 3, 'C'],
      [14, 4, 'D'],
      [15, 5, 'E'],
    ],
  );
  assert.equal(nc.oldest(), c.r);
  assert.ok(nc.owns(BASE) && !nc.owns(BASE - 1));
});

test('the names seen once agree with a plain model under random arrivals, releases and prunes, past their first allocation', () => {
  for (const [seed, cap] of [
    [1, 1],
    [2, 5],
    [3, 64],
    [4, 65],
    [5, 300],
  ] as const) {
    const nc = new AccountNewcomers(BASE, cap);
    const random = rng(seed);
    // the model: every arrival in order, with whether it still holds its name
    const arrivals: { hash: number; t: number; ip: string; held: boolean; r: number }[] = [];
    let t = 0;
    for (let i = 0; i < 5000; i++) {
      const x = random();
      if (x < 0.7) {
        t++;
        const hash = Math.floor(random() * 2 ** 30);
        const got = arrive(nc, hash, t, `ip${i}`);
        // the arrival cap names back, if still held, goes
        const back = arrivals.length >= cap ? arrivals[arrivals.length - cap]! : null;
        assert.equal(got.out, back !== null && back.held ? back.r : -1, `seed ${seed}, step ${i}`);
        if (back !== null) back.held = false;
        arrivals.push({ hash, t, ip: `ip${i}`, held: true, r: got.r });
      } else if (x < 0.9) {
        const held = arrivals.filter((a) => a.held);
        if (held.length === 0) continue;
        const a = held[Math.floor(random() * held.length)]!;
        nc.release(a.r); // promoted
        a.held = false;
      } else {
        const r = nc.oldest(); // pruned from the oldest
        const first = arrivals.find((a) => a.held);
        assert.equal(r, first === undefined ? -1 : first.r);
        if (first !== undefined) {
          nc.release(r);
          first.held = false;
        }
      }
      const held = arrivals.filter((a) => a.held);
      assert.equal(nc.size, held.length);
      assert.deepEqual(
        [...nc.walk()].map((r) => [r, nc.hash(r), nc.time(r), nc.ip(r)]),
        held.map((a) => [a.r, a.hash, a.t, a.ip]),
        `seed ${seed}, step ${i}`,
      );
    }
  }
});
