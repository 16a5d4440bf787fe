// The running jails as the fleet sees them (cluster/cluster-node.ts's ClusterJails): another node's
// ban enters a jail by the same door as a manual one (Jail.ban, then JailRuntime.decide), with
// reason 'cluster', so it reaches the store, the log, the metrics and the firewall like any ban.

import type { ClusterJails } from '../cluster/cluster-node.js';
import type { BanRecord, Decision } from '../core/types.js';
import type { Store } from '../store/store.js';
import type { JailRuntime } from './jail-runtime.js';

export class RuntimeClusterJails implements ClusterJails {
  constructor(
    private readonly runtimes: ReadonlyMap<string, JailRuntime>,
    private readonly store: Pick<Store, 'activeBans'>,
  ) {}

  running(): readonly string[] {
    return [...this.runtimes.keys()];
  }

  ignoreip(jail: string): readonly string[] {
    return this.runtimes.get(jail)?.engine.ignoreList() ?? [];
  }

  ban(jail: string, ip: string, now: number, durationMs: number): readonly Decision[] {
    const r = this.runtimes.get(jail);
    r?.readBackFor(ip); // a stored ban not read back yet counts (ready first: jail-restore.ts)
    return r ? r.engine.ban(ip, now, { duration: durationMs, reason: 'cluster' }) : [];
  }

  unban(jail: string, ip: string, now: number): readonly Decision[] {
    const r = this.runtimes.get(jail);
    r?.readBackFor(ip);
    return r?.engine.unban(ip, now) ?? [];
  }

  commit(jail: string, decisions: readonly Decision[], bulk = false): Promise<void> {
    const r = this.runtimes.get(jail);
    return r ? r.decide(decisions, decisions[0]?.time ?? 0, bulk) : Promise.resolve();
  }

  async stored(): Promise<void> {
    await Promise.all([...this.runtimes.values()].map((r) => r.stored()));
  }

  activeBans(): readonly BanRecord[] {
    return this.store.activeBans();
  }
}
