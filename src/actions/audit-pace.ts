// How often the periodic check lists the kernel's bans for the audit (kernel-audit.ts). A listing
// costs in proportion to what the action holds: at 100,000 bans, `nft list set` and parsing its
// output took seconds of CPU, every 5 s, on every node of a fleet holding the shared bans
// (bench:cluster; docs/cluster.md, "Benchmark"). Up to AUDIT_BANS_PER_CHECK bans the audit runs
// at every check, as before; beyond, once every ceil(held / AUDIT_BANS_PER_CHECK) checks, so the
// listing work per check stays about the same (100,000 bans: every 10th check, 50 s). The
// structure check (actioncheck) still runs at every check; a failed kernel command is still
// relisted at once.

export const AUDIT_BANS_PER_CHECK = 10_000;

export class AuditPace {
  private skipped = 0;

  /** Called once per check: whether this one lists, given the bans the action holds. */
  due(held: number): boolean {
    const every = Math.max(1, Math.ceil(held / AUDIT_BANS_PER_CHECK));
    if (++this.skipped < every) return false;
    this.skipped = 0;
    return true;
  }
}
