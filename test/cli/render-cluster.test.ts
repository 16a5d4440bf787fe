// The fleet in `voipguard status` and `voipguard status cluster`: connected or not, and while not,
// why (the last connection error the daemon reported: a refused certificate, a wrong password).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeCluster, renderClusterStatus } from '../../src/cli/render-cluster.js';
import type { ClusterStatus } from '../../src/control/replies.js';

const base: ClusterStatus = {
  node: 'pbx-1',
  redis: 'rediss://10.0.0.5:6380',
  connected: true,
  error: null,
  nodesSeen: ['pbx-1', 'pbx-2'],
  lastApplied: null,
  queue: 0,
  published: 3,
  applied: 0,
  refused: {},
  dropped: 0,
  lagMs: null,
  cursor: null,
  bansByOrigin: {},
};

test('connected: the line and the tree say so, with no reason', () => {
  assert.equal(describeCluster(base), 'connected to rediss://10.0.0.5:6380 as pbx-1, 2 nodes seen in the last minute, nothing applied yet, publish queue 0');
  assert.match(renderClusterStatus(base), /Redis:\s+rediss:\/\/10\.0\.0\.5:6380 \(connected\)/);
});

test('not connected: the line and the tree give the reason the daemon reported', () => {
  const down: ClusterStatus = { ...base, connected: false, error: 'self-signed certificate', queue: 4 };
  assert.equal(
    describeCluster(down),
    'NOT connected to rediss://10.0.0.5:6380 (self-signed certificate) as pbx-1, 2 nodes seen in the last minute, nothing applied yet, publish queue 4',
  );
  assert.match(renderClusterStatus(down), /Redis:\s+rediss:\/\/10\.0\.0\.5:6380 \(NOT connected: self-signed certificate\)/);
  // no error known yet (still connecting): no empty parentheses
  assert.match(describeCluster({ ...down, error: null }), /^NOT connected to rediss:\/\/10\.0\.0\.5:6380 as pbx-1, /);
});
