// The bans the fleet made on this node, by `jail ip`, with the node each came from; and how many
// each origin node has, kept as they change. `status` and the control thread's board (remade every
// 100 ms while the daemon is busy) show the counts: counted by a walk over every ban instead, a node
// holding 100,000 shared bans spent about a fifth of a core on it during a burst (bench:cluster's
// CPU profile, docs/cluster.md, twelfth session).

export class Origins {
  private readonly byKey = new Map<string, string>();
  private readonly counts = new Map<string, number>();

  get size(): number {
    return this.byKey.size;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** `key`'s ban came from `node` (a later one from another node replaces it). */
  set(key: string, node: string): void {
    const old = this.byKey.get(key);
    if (old === node) return;
    if (old !== undefined) this.drop(old);
    this.byKey.set(key, node);
    this.counts.set(node, (this.counts.get(node) ?? 0) + 1);
  }

  delete(key: string): boolean {
    const old = this.byKey.get(key);
    if (old === undefined) return false;
    this.byKey.delete(key);
    this.drop(old);
    return true;
  }

  /** Bans by origin node (own properties only: a node may be named `__proto__`). */
  byOrigin(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }

  private drop(node: string): void {
    const n = (this.counts.get(node) ?? 0) - 1;
    if (n > 0) this.counts.set(node, n);
    else this.counts.delete(node);
  }
}
