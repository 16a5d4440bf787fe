// The entries this node refused: counted by reason (status, /metrics), and logged at most
// REFUSAL_LOGS_PER_MINUTE times a minute, so a node flooding the stream with forged entries cannot
// flood the log. The single and the bulk path both count here.

import type { Logger } from '../log/logger.js';
import type { ClusterMetrics } from '../metrics/cluster-metrics.js';
import type { ClusterEntry } from './wire.js';

const REFUSAL_LOGS_PER_MINUTE = 20;

export class Refusals {
  private readonly counts: Record<string, number> = {};
  private window = { start: 0, n: 0 };

  constructor(
    private readonly log: Logger,
    private readonly metrics: Pick<ClusterMetrics, 'refused'>,
  ) {}

  refuse(reason: string, why: string, id: string | null, e: ClusterEntry | null, now: number): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
    this.metrics.refused(reason);
    if (now - this.window.start >= 60_000) this.window = { start: now, n: 0 };
    if (this.window.n++ >= REFUSAL_LOGS_PER_MINUTE) return;
    this.log.warn({ event: 'cluster-refused', reason, why, id, ...(e ? { origin: e.node, jail: e.jail, ip: e.ip } : {}) });
  }

  /** Every refusal since start, by reason. */
  total(): Record<string, number> {
    return { ...this.counts };
  }

  /** The refusals counted since `before` (an earlier total()), by reason. */
  since(before: Readonly<Record<string, number>>): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(this.counts)) if (v !== (before[k] ?? 0)) out[k] = v - (before[k] ?? 0);
    return out;
  }
}
