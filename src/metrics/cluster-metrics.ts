// The fleet's figures on /metrics (docs/cluster.md, "Metrics"): entries published, applied, refused
// by reason, the replication lag of the last entry applied, the publish queue and the connection.
// PromClusterMetrics registers on the daemon's registry (PromMetrics.registry); NO_CLUSTER_METRICS
// is for tests and for a daemon without [cluster].

import { Counter, Gauge, type Registry } from 'prom-client';

export interface ClusterMetrics {
  published(n: number): void;
  applied(n: number): void;
  refused(reason: string): void;
  /** Seconds from an entry's stream time to its ban here. */
  lag(seconds: number): void;
  queue(length: number): void;
  connected(up: boolean): void;
}

export const NO_CLUSTER_METRICS: ClusterMetrics = Object.freeze({
  published: () => undefined,
  applied: () => undefined,
  refused: () => undefined,
  lag: () => undefined,
  queue: () => undefined,
  connected: () => undefined,
});

/** The refusal reasons are a fixed set (cluster/wire.ts): the label cannot grow. */
export class PromClusterMetrics implements ClusterMetrics {
  private readonly publishedC: Counter<string>;
  private readonly appliedC: Counter<string>;
  private readonly refusedC: Counter<string>;
  private readonly lagG: Gauge<string>;
  private readonly queueG: Gauge<string>;
  private readonly upG: Gauge<string>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.publishedC = new Counter({ name: 'voipguard_cluster_published_total', help: 'Local bans and unbans published to the fleet', registers });
    this.appliedC = new Counter({ name: 'voipguard_cluster_applied_total', help: "Other nodes' bans applied here", registers });
    this.refusedC = new Counter({
      name: 'voipguard_cluster_refused_total',
      help: "Other nodes' entries refused here, by reason (malformed, address, jail, reason, bantime, protected)",
      labelNames: ['reason'],
      registers,
    });
    this.lagG = new Gauge({ name: 'voipguard_cluster_replication_lag_seconds', help: 'From the last applied entry reaching Redis to its ban here', registers });
    this.queueG = new Gauge({ name: 'voipguard_cluster_publish_queue', help: 'Entries waiting to be published', registers });
    this.upG = new Gauge({ name: 'voipguard_cluster_connected', help: '1 while Redis is connected', registers });
  }

  published(n: number): void {
    this.publishedC.inc(n);
  }
  applied(n: number): void {
    this.appliedC.inc(n);
  }
  refused(reason: string): void {
    this.refusedC.inc({ reason });
  }
  lag(seconds: number): void {
    this.lagG.set(seconds);
  }
  queue(length: number): void {
    this.queueG.set(length);
  }
  connected(up: boolean): void {
    this.upG.set(up ? 1 : 0);
  }
}
