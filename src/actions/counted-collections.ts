// A Map and a Set that count their changes into a counter they share: the pending collections of an
// action's ledger (kernel-ledger.ts), which the ledger and the audit (kernel-audit.ts) change in
// place. The counter tells a reader that nothing changed since it last looked, whatever path
// changed what: the jail's pending count across its actions (jail-actions.ts) is a walk of 100,000
// addresses during a restore, asked by the control board ten or twenty times a second
// (docs/benchmarks.md, nineteenth session), and is counted again only when a count moved.

/** Changes so far (only grows). */
export interface ChangeCounter {
  changes: number;
}

export class CountedMap<K, V> extends Map<K, V> {
  constructor(private readonly counter: ChangeCounter) {
    super();
  }

  override set(key: K, value: V): this {
    this.counter.changes++;
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    const gone = super.delete(key);
    if (gone) this.counter.changes++;
    return gone;
  }

  override clear(): void {
    if (this.size > 0) this.counter.changes++;
    super.clear();
  }
}

export class CountedSet<T> extends Set<T> {
  constructor(private readonly counter: ChangeCounter) {
    super();
  }

  override add(value: T): this {
    this.counter.changes++;
    return super.add(value);
  }

  override delete(value: T): boolean {
    const gone = super.delete(value);
    if (gone) this.counter.changes++;
    return gone;
  }

  override clear(): void {
    if (this.size > 0) this.counter.changes++;
    super.clear();
  }
}
