// `batchmerge = yes` (nftables): consecutive script lines that differ only in what stands between
// their braces, `add element inet t addr4 { 192.0.2.1 timeout 3600s }` then the same with
// 192.0.2.2, become one statement, `add element inet t addr4 { 192.0.2.1 timeout 3600s,
// 192.0.2.2 timeout 3600s }`. nft parses and checks every statement of a script on its own: a
// restore of 100,000 bans as 100,000 lines cost it three times the CPU and four times the memory
// of one statement holding them all (docs/cluster.md, "Benchmark"). Only runs of lines with the
// same head are joined, in order: the firewall hands over each template's lines grouped by their
// place in it (ScriptLines, below), so that the add, delete, add of a restore's bans
// make three runs, not three lines per address.

import type { ScriptTemplate } from './command-template.js';

const ELEMENT_LINE = /^([^{}]*\{)\s*([^{}]*?)\s*\}\s*$/;

/** The lines, with each run of `<head> { <element> }` under the same head joined into one line. */
export function mergeElementLines(lines: readonly string[]): string[] {
  const out: string[] = [];
  let head: string | null = null;
  let items: string[] = [];
  const close = (): void => {
    if (head !== null) out.push(`${head} ${items.join(', ')} }`);
    head = null;
    items = [];
  };
  for (const line of lines) {
    const m = ELEMENT_LINE.exec(line);
    if (m === null || m[2] === '') {
      close();
      out.push(line);
      continue;
    }
    if (m[1] !== head) close();
    head = m[1]!;
    items.push(m[2]!);
  }
  close();
  return out;
}

/**
 * The script lines of one family's unbans or bans, written into the script (command-firewall.ts):
 * as they come (each address's lines together), or, with batchmerge, grouped by template and
 * place: all first lines of a template, then all second ones, and so on. nft checks each statement of a script on its own, and a restore's bans go as
 * `add`, `delete`, `add … timeout` per address (the kernel's timers set again): 30,000 statements
 * per slice of 10,000, where grouped and merged they are three (docs/benchmarks.md, nineteenth
 * session). Each address keeps the order of its own lines, and the unbans still go before the bans
 * (close() between them): the grouping only interleaves different addresses, whose element
 * operations do not touch each other.
 */
export class ScriptLines {
  private groups = new Map<readonly ScriptTemplate[], string[][]>();

  /** `lines`: where the lines go (the script being written). */
  constructor(
    private readonly grouped: boolean,
    private readonly lines: string[],
  ) {}

  add(template: readonly ScriptTemplate[], k: number, line: string): void {
    if (!this.grouped) {
      this.lines.push(line);
      return;
    }
    let g = this.groups.get(template);
    if (g === undefined) this.groups.set(template, (g = template.map(() => [])));
    g[k]!.push(line);
  }

  /** Emits the groups so far (in the order their templates first came). */
  close(): void {
    for (const g of this.groups.values()) for (const place of g) for (const l of place) this.lines.push(l);
    this.groups = new Map();
  }
}
