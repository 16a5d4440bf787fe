import { test } from 'node:test';
import assert from 'node:assert/strict';
import { banDuration, NO_INCREMENT } from '../../src/jails/ban-policy.js';

const H = 3_600_000;
const noRandom = () => 0;

test('without bantime.increment every ban lasts bantime; -1 is permanent whatever the history', () => {
  assert.equal(banDuration(H, 7, NO_INCREMENT, noRandom), H);
  assert.equal(banDuration(-1, 7, { ...NO_INCREMENT, enabled: true }, noRandom), -1);
});

test('increment without multipliers doubles per earlier ban, times factor; the first ban is plain', () => {
  const inc = { ...NO_INCREMENT, enabled: true, factor: 1.5 };
  assert.deepEqual(
    [0, 1, 2, 3].map((n) => banDuration(H, n, inc, noRandom)),
    [H, 3 * H, 6 * H, 12 * H],
  );
  // growth stops at 2^20, as fail2ban's formula does
  assert.equal(banDuration(1000, 40, { ...inc, factor: 1 }, noRandom), 1000 * 2 ** 20);
});

test('multipliers by earlier ban count, the last one repeating', () => {
  const inc = { ...NO_INCREMENT, enabled: true, multipliers: [1, 5, 30, 60] };
  assert.deepEqual(
    [0, 1, 2, 3, 4, 9].map((n) => banDuration(60_000, n, inc, noRandom) / 60_000),
    [1, 5, 30, 60, 60, 60],
  );
});

test('maxtime caps the increased ban, then rndtime adds jitter from the injected source', () => {
  const inc = { ...NO_INCREMENT, enabled: true, maxtime: 24 * H, rndtime: 600_000 };
  assert.equal(banDuration(H, 10, inc, noRandom), 24 * H);
  assert.equal(
    banDuration(H, 10, inc, () => 0.5),
    24 * H + 300_000,
  );
  assert.equal(
    banDuration(H, 1, inc, () => 0.999),
    2 * H + 599_400,
  );
});
