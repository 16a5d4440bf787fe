// One round of read-only listings shared by the actions of a jail. The default action makes two
// chains per jail (f2b-<jail>-tcp, -udp), each its own action instance; both ask the kernel the
// same question (`iptables -S`, the whole filter table) at start, at each periodic check and at a
// restore. Within one round each distinct command runs once and every instance reads its answer:
// one listing per family per check instead of one to three commands per chain and family
// (docs/flood.md). A round lives for one start, one check or one restore; the next one lists again.

import type { RunResult } from '../exec/command-runner.js';

export class ListingRound {
  private readonly runs = new Map<string, Promise<RunResult>>();

  /** The answer of `argv` in this round: run once by the first caller, shared with the rest. */
  once(argv: readonly string[], run: () => Promise<RunResult>): Promise<RunResult> {
    const key = JSON.stringify(argv);
    let p = this.runs.get(key);
    if (p === undefined) {
      p = run();
      this.runs.set(key, p);
    }
    return p;
  }

  /** How many distinct commands this round ran. */
  get commands(): number {
    return this.runs.size;
  }
}
