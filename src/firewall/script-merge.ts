// `batchmerge = yes` (nftables): consecutive script lines that differ only in what stands between
// their braces, `add element inet t addr4 { 192.0.2.1 timeout 3600s }` then the same with
// 192.0.2.2, become one statement, `add element inet t addr4 { 192.0.2.1 timeout 3600s,
// 192.0.2.2 timeout 3600s }`. nft parses and checks every statement of a script on its own: a
// restore of 100,000 bans as 100,000 lines cost it three times the CPU and four times the memory
// of one statement holding them all (docs/cluster.md, "Benchmark"). Only runs of lines with the
// same head are joined, in order: the firewall hands over each template's lines grouped by their
// place in it (command-firewall.ts, ScriptLines), so that the add, delete, add of a restore's bans
// make three runs, not three lines per address.

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
