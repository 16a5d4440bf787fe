// `voipguard status feeds`: one tree per blocklist feed (docs/feeds.md). `--json` prints the
// daemon's FeedStatus list as it is.

import type { FeedStatus } from '../control/replies.js';
import { renderTree, type TreeItem } from './render-tree.js';
import { formatLocalTime } from './render-time.js';

export function renderFeeds(feeds: readonly FeedStatus[]): string {
  if (feeds.length === 0) return 'No blocklist feeds (feed.d/*.conf)\n';
  return feeds.map(renderFeed).join('');
}

function renderFeed(f: FeedStatus): string {
  const s = f.skippedBy;
  const reasons = (
    [
      ['ignoreip', s.ignoreip],
      ['allowfile', s.allowfile],
      ['host address', s.host],
      ['registered', s.registered],
      ['wider than /8 or /16', s.wide],
    ] as const
  )
    .filter(([, n]) => n > 0)
    .map(([why, n]) => `${n} ${why}`);
  const items: TreeItem[] = [
    { label: 'Source', value: `${f.source} (${f.format})` },
    { label: 'Set', value: `${f.set}, ${f.blocktype}, ports ${f.ports}` },
    { label: 'Entries', value: String(f.entries) },
    { label: 'Skipped', value: reasons.length ? `${f.skipped} (${reasons.join(', ')})` : String(f.skipped) },
  ];
  if (f.garbage > 0) items.push({ label: 'Lines without an address', value: String(f.garbage) });
  items.push({ label: 'Last refresh', value: f.lastRefresh === null ? 'never' : formatLocalTime(f.lastRefresh) });
  items.push({ label: 'Last error', value: f.lastError === null ? 'none' : `${f.lastErrorCode}: ${f.lastError}` });
  if (f.nextRefresh !== null) items.push({ label: 'Next refresh', value: formatLocalTime(f.nextRefresh) });
  return renderTree(`Status for the feed: ${f.name}`, items);
}
