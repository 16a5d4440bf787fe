// How often the periodic check lists the kernel's bans for the audit (kernel-audit.ts). A listing
// costs in proportion to what the action holds: at 100,000 bans, `nft list set` and parsing its
// output took seconds of CPU, every 5 s, on every node of a fleet holding the shared bans
// (bench:cluster; docs/cluster.md, "Benchmark"). Up to AUDIT_BANS_PER_CHECK bans the audit runs
// at every check; beyond, once every ceil(held / AUDIT_BANS_PER_CHECK) checks, so the listing work
// per check stays about the same (100,000 bans: every 40th check, 200 s). At 10,000 per check (every
// 50 s at 100,000) the audits of a node holding a fleet's 100,000 shared bans still cost about 7 %
// of a core (two sets listed in JSON: 2 s of nft, 1 to 2 s of the daemon's parse and compare), and
// on a machine shared with other nodes they fell in a new node's start (docs/cluster.md, thirteenth
// session). The structure check (the terse listing, actioncheck) still runs at every check, so a
// flushed chain or a deleted table or set is rebuilt within 5 s; what waits for the audit is an
// element deleted one by one, or a set flushed by hand. A failed kernel command is still relisted at once.

export const AUDIT_BANS_PER_CHECK = 2_500;

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
