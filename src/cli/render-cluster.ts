// The fleet in `voipguard status` (one line) and `voipguard status cluster` (a tree): connected or
// not, the nodes seen in the last minute, the last entry applied, the publish queue (docs/cluster.md).

import type { ClusterStatus } from '../control/replies.js';
import { renderTree, type TreeItem } from './render-tree.js';
import { formatLocalTime } from './render-time.js';

export function describeCluster(c: ClusterStatus): string {
  const state = c.connected ? 'connected' : 'NOT connected';
  const nodes = `${c.nodesSeen.length} node${c.nodesSeen.length === 1 ? '' : 's'} seen in the last minute`;
  const last = c.lastApplied ? `last applied ${c.lastApplied.ip} from ${c.lastApplied.node} at ${formatLocalTime(c.lastApplied.at)}` : 'nothing applied yet';
  const why = !c.connected && c.error ? ` (${c.error})` : '';
  return `${state} to ${c.redis}${why} as ${c.node}, ${nodes}, ${last}, publish queue ${c.queue}`;
}

export function renderClusterStatus(c: ClusterStatus | null): string {
  if (c === null) return 'Cluster: not enabled ([cluster] enabled = no in voipguard.conf)\n';
  const refused = Object.entries(c.refused)
    .sort()
    .map(([k, v]) => `${k} ${v}`);
  const origins = Object.entries(c.bansByOrigin)
    .sort()
    .map(([k, v]) => ({ label: k, value: String(v) }));
  const items: TreeItem[] = [
    { label: 'Node', value: c.node },
    { label: 'Redis', value: `${c.redis} (${c.connected ? 'connected' : c.error ? `NOT connected: ${c.error}` : 'NOT connected'})` },
    { label: 'Nodes seen (1 min)', value: c.nodesSeen.join(', ') },
    { label: 'Published', value: String(c.published) },
    { label: 'Publish queue', value: `${c.queue}${c.dropped ? ` (${c.dropped} dropped, resynced)` : ''}` },
    { label: 'Applied', value: String(c.applied) },
    { label: 'Refused', value: refused.length ? refused.join(', ') : '0' },
    {
      label: 'Last applied',
      value: c.lastApplied ? `${c.lastApplied.ip} in ${c.lastApplied.jail} from ${c.lastApplied.node} at ${formatLocalTime(c.lastApplied.at)}` : 'none',
    },
    { label: 'Replication lag', value: c.lagMs === null ? 'n/a' : `${c.lagMs} ms` },
  ];
  if (origins.length) items.push({ label: 'Active bans by origin', children: origins });
  return renderTree('Cluster', items);
}
