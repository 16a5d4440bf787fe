// A rule that accepts ESTABLISHED (or RELATED) traffic before our jump lets a banned address keep
// every flow it already has: with UDP SIP, that can be all its traffic. We remove its conntrack
// entries on ban, and warn at start when the hooked chain is ordered that way.

const ESTABLISHED = /\bESTABLISHED\b/i;
const ACCEPT = /(-j\s+ACCEPT\b|\baccept\b)/i;

/** The first ESTABLISHED … ACCEPT rule listed before the line matching `jump`, or null. */
export function establishedBeforeJump(listing: string, jump: RegExp): string | null {
  const lines = listing.split('\n');
  const re = new RegExp(jump.source, 'm');
  const at = lines.findIndex((l) => re.test(l));
  if (at < 0) return null;
  return (
    lines
      .slice(0, at)
      .find((l) => ESTABLISHED.test(l) && ACCEPT.test(l))
      ?.trim() ?? null
  );
}
