import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration, formatDuration, PERMANENT } from '../../src/core/duration.js';

test('fail2ban duration forms', () => {
  assert.equal(parseDuration('600'), 600_000);
  assert.equal(parseDuration('10m'), 600_000);
  assert.equal(parseDuration('1h'), 3_600_000);
  assert.equal(parseDuration('1d'), 86_400_000);
  assert.equal(parseDuration('1w'), 604_800_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('2 days'), 172_800_000);
  assert.equal(parseDuration('-1'), PERMANENT);
  assert.equal(parseDuration('259200'), 259_200_000);
});

test('non-durations are refused', () => {
  assert.equal(parseDuration(''), null);
  assert.equal(parseDuration('ten'), null);
  assert.equal(parseDuration('10x'), null);
  assert.equal(parseDuration('10m junk'), null);
  assert.equal(parseDuration('1e3'), null);
});

test('durations format back for display', () => {
  assert.equal(formatDuration(600_000), '10m');
  assert.equal(formatDuration(90_061_000), '1d1h1m1s');
  assert.equal(formatDuration(-1), 'permanent');
});

test('milliseconds, for the sub-second correlate windows: 10ms, 1s500ms; "ms" is not minutes', () => {
  assert.equal(parseDuration('10ms'), 10);
  assert.equal(parseDuration('1s500ms'), 1500);
  assert.equal(parseDuration('2m'), 120_000);
});
