// Keeps label sets bounded whatever reaches them. Values come from configuration or from Asterisk,
// but a filter bug or an unexpected event name must not let anyone grow the registry: after `max`
// distinct values per label, new ones become "other". A value that is an IP address is never
// exported (it would put attacker addresses in labels); it becomes "other" too.

import { parseHostPort } from '../core/ip.js';

export const OVERFLOW_LABEL = 'other';

export class LabelGuard {
  private readonly seen = new Map<string, Map<string, string>>();
  constructor(private readonly max: number) {}

  value(label: string, raw: string): string {
    let known = this.seen.get(label);
    if (!known) {
      known = new Map();
      this.seen.set(label, known);
    }
    const hit = known.get(raw);
    if (hit !== undefined) return hit;
    if (known.size >= this.max) return OVERFLOW_LABEL;
    const out = looksLikeAddress(raw) ? OVERFLOW_LABEL : raw;
    known.set(raw, out);
    return out;
  }
}

function looksLikeAddress(v: string): boolean {
  // bare addresses and ip:port / [v6]:port forms; paths and names never parse
  return parseHostPort(v) !== null;
}
