// The process's heap policy, behind an interface. Once the daemon is ready it favours memory (V8's
// memory-saving policy: under a 1,000,000-address spread the daemon peaked at 192 MiB with it and
// 470 MiB without, docs/resources.md). A bulk task that holds a bounded amount of data for a few
// seconds relaxes it while it runs (a fleet catch-up of 10,000 bans; a jail's start-up restore):
// under the policy every collection is a memory-reducing one that also drops compiled code, and a
// receiver spent more CPU recompiling its catch-up than running it (docs/cluster.md, sixteenth
// session); a restore of 100,000 bans took half again as long (docs/benchmarks.md, nineteenth).
//
// HeapPolicyState keeps the state and changes nothing: the default, and the twin tests read. The
// command line passes the V8 one (cli/v8-heap-policy.ts); the in-process tests never touch V8's flags.

export interface HeapPolicy {
  /** From now on favour memory over speed, except while a bulk task holds the policy relaxed. */
  saveMemory(): void;
  /** A bulk task begins: favour speed until the returned release is called (holds nest; a release counts once). */
  relax(): () => void;
}

export class HeapPolicyState implements HeapPolicy {
  private saving = false;
  private held = 0;

  /** What the policy asks of the heap now. */
  get favoursMemory(): boolean {
    return this.saving && this.held === 0;
  }

  /** Bulk tasks holding the policy relaxed now. */
  get holds(): number {
    return this.held;
  }

  saveMemory(): void {
    this.change(() => (this.saving = true));
  }

  relax(): () => void {
    this.change(() => this.held++);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.change(() => this.held--);
    };
  }

  /** Called on every change of favoursMemory, with its new value. */
  protected apply(_memory: boolean): void {}

  private change(edit: () => unknown): void {
    const before = this.favoursMemory;
    edit();
    if (this.favoursMemory !== before) this.apply(this.favoursMemory);
  }
}
