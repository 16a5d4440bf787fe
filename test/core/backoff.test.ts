import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/core/backoff.js';

const opts = { firstMs: 200, baseMs: 1000, factor: 2, capMs: 60_000, jitter: 0.3 };

test('the first retry is fast, later ones double up to the cap', () => {
  const none = () => 0;
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => backoffDelay(n, opts, none)),
    [200, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000],
  );
});

test('jitter only shortens a delay, by at most the jitter share', () => {
  assert.equal(
    backoffDelay(3, opts, () => 0.999999),
    Math.round(4000 * (1 - 0.3 * 0.999999)),
  );
  assert.equal(
    backoffDelay(3, opts, () => 0.5),
    3400,
  );
  for (let i = 0; i < 100; i++) {
    const d = backoffDelay(10, opts, Math.random);
    assert.ok(d >= 42_000 && d <= 60_000, String(d));
  }
});

test('the shipped defaults retry within a quarter second first', () => {
  assert.ok(backoffDelay(0, DEFAULT_BACKOFF, () => 0) <= 250);
});
