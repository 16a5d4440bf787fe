// `voipguard stats`: one row per jail in Asterisk CLI style (fixed-width columns, a header, a dashed
// underline, a count line at the end).

import type { StatsRow } from '../control/replies.js';

export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n') + '\n';
}

export function renderStats(rows: readonly StatsRow[]): string {
  const body = [...rows]
    .sort((a, b) => a.jail.localeCompare(b.jail))
    .map((r) => [
      r.jail,
      r.sources.join(',') || '-',
      String(r.currentlyFailed),
      String(r.totalFailed),
      String(r.currentlyBanned),
      String(r.totalBanned),
      String(r.pending),
    ]);
  const table = renderTable(['Jail', 'Sources', 'Failed', 'Total failed', 'Banned', 'Total banned', 'Pending'], body);
  return `${table}${rows.length} jail${rows.length === 1 ? '' : 's'}\n`;
}
