// Port lists for blocklist feeds: `5060,5061`, `10000:20000` (or 10000-20000), a few service names.
// A feed blocks every port unless it names ports (or takes them from its jails); 0:65535 is every port.

/** An inclusive range of destination ports. */
export interface PortRange {
  readonly lo: number;
  readonly hi: number;
}

/** null: every port. */
export type PortSpec = readonly PortRange[] | null;

// the names jail.conf files use for the ports a feed may take from them (/etc/services numbers)
const SERVICES: Readonly<Record<string, number>> = Object.freeze({ ssh: 22, sip: 5060, sips: 5061, http: 80, https: 443, 'sip-tls': 5061 });

/** Parses a port list; returns a reason string when it cannot. Ranges are merged and sorted. */
export function parsePortList(raw: string): PortSpec | string {
  const out: PortRange[] = [];
  for (const w of raw.split(/[\s,]+/).filter(Boolean)) {
    const m = /^([A-Za-z0-9_-]+?)(?:[:-]([A-Za-z0-9_-]+))?$/.exec(w);
    const lo = m ? portOf(m[1]!) : null;
    const hi = m ? (m[2] !== undefined ? portOf(m[2]) : lo) : null;
    if (lo === null || hi === null || hi < lo) return `"${w}" is not a port, a service name (ssh, sip, sips, http, https) or a lo:hi range`;
    out.push({ lo, hi });
  }
  if (out.length === 0) return 'an empty port list';
  return mergePorts(out);
}

function portOf(s: string): number | null {
  if (/^\d{1,5}$/.test(s)) {
    const n = Number(s);
    return n <= 65535 ? n : null;
  }
  return SERVICES[s.toLowerCase()] ?? null;
}

/** Sorted, overlapping and touching ranges merged; the whole 0..65535 (or 1..65535) is null. */
export function mergePorts(list: readonly PortRange[]): PortSpec {
  const sorted = [...list].sort((a, b) => a.lo - b.lo);
  const out: PortRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.lo <= last.hi + 1) out[out.length - 1] = { lo: last.lo, hi: Math.max(last.hi, r.hi) };
    else out.push(r);
  }
  if (out.length === 1 && out[0]!.lo <= 1 && out[0]!.hi === 65535) return null;
  return out;
}

/** The union of several specs; any null (every port) makes the union null. */
export function unionPorts(specs: readonly PortSpec[]): PortSpec {
  if (specs.length === 0 || specs.some((s) => s === null)) return null;
  return mergePorts(specs.flatMap((s) => s!));
}
