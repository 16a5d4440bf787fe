// Blocklist bodies → canonical addresses and ranges. A feed is attacker input: every entry goes
// through core/ip.ts (parseCidr, no zone indexes); a line that is not an address or range is counted
// as garbage and skipped, never fatal. Duplicates are dropped. Range entries written with host bits
// (192.0.2.7/24) are taken as their network (192.0.2.0/24), as the lists mean them.

import { normalizeIp, parseCidr } from '../core/ip.js';
import type { FeedColumn } from '../config/feed-schema.js';

export interface ParsedList {
  /** Canonical `addr` or `net/prefix` texts, first occurrence order, no duplicates. */
  readonly entries: string[];
  /** Lines (or JSON items) that held no address. */
  readonly garbage: number;
}

/** The longest line looked at; a longer one is garbage (a list of addresses has short lines). */
const MAX_LINE = 4096;

class Collector {
  readonly entries: string[] = [];
  private readonly seen = new Set<string>();
  garbage = 0;
  add(token: string): void {
    // a bare address (the common line) goes through normalizeIp, which answers a dotted quad at once
    const text = token.length === 0 || token.length > 64 ? null : token.includes('/') ? (parseCidr(token)?.text ?? null) : normalizeIp(token);
    if (text === null) {
      this.garbage++;
      return;
    }
    if (this.seen.has(text)) return;
    this.seen.add(text);
    this.entries.push(text);
  }
  result(): ParsedList {
    return { entries: this.entries, garbage: this.garbage };
  }
}

function* lines(text: string): Generator<string> {
  let start = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    yield text.slice(start, end);
    start = end + 1;
  }
}

/**
 * One address or range per line; `#` and `;` start comments (whole line or after the entry, as
 * Spamhaus DROP writes `192.0.2.0/24 ; SBL123`); text after the first blank is ignored.
 */
export function parsePlain(text: string): ParsedList {
  const out = new Collector();
  for (const raw of lines(text)) {
    const line = raw.length > MAX_LINE ? null : raw.trim();
    if (line === '') continue;
    if (line === null) {
      out.garbage++;
      continue;
    }
    const c0 = line.charCodeAt(0);
    if (c0 === 35 /* # */ || c0 === 59 /* ; */) continue;
    const token = /^[^\s;#]+/.exec(line)![0];
    out.add(token);
  }
  return out.result();
}

/** Splits one CSV line: commas, double-quoted fields with "" escapes. */
export function splitCsv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line.charCodeAt(i) === 34 /* " */) {
      let v = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) {
          v += line.slice(i);
          i = line.length;
          break;
        }
        v += line.slice(i, q);
        if (line.charCodeAt(q + 1) === 34) {
          v += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      const comma = line.indexOf(',', i);
      out.push(v);
      if (comma < 0) break;
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      out.push((comma < 0 ? line.slice(i) : line.slice(i, comma)).trim());
      if (comma < 0) break;
      i = comma + 1;
    }
  }
  return out;
}

/**
 * CSV with the address in one column: `column` is 1-based, or a header name looked up in the
 * first line (which is then not data). Lines starting with # are comments.
 */
export function parseCsvColumn(text: string, column: NonNullable<FeedColumn>): ParsedList {
  const out = new Collector();
  let index = 'index' in column ? column.index - 1 : -1;
  for (const raw of lines(text)) {
    const line = raw.length > MAX_LINE ? null : raw.trim();
    if (line === '') continue;
    if (line === null) {
      out.garbage++;
      continue;
    }
    if (line.charCodeAt(0) === 35) continue;
    const fields = splitCsv(line);
    if (index < 0) {
      index = fields.findIndex((f) => f.trim().toLowerCase() === (column as { header: string }).header);
      if (index < 0) return { entries: [], garbage: Number.POSITIVE_INFINITY }; // no such header: nothing is usable
      continue;
    }
    const f = fields[index];
    if (f === undefined) out.garbage++;
    else out.add(f.trim());
  }
  return out.result();
}

export interface ApibanPage extends ParsedList {
  /** The `ID` to ask for next; null when the server said there is nothing newer. */
  readonly cursor: string | null;
}

/** APIBan's `{"ipaddress": [...], "ID": "…"}`; throws a plain Error naming what is wrong (the caller codes it). */
export function parseApibanPage(text: string): ApibanPage {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error('the answer is not JSON', { cause: e });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('the answer is not a JSON object');
  const d = doc as Record<string, unknown>;
  const list = d.ipaddress;
  if (!Array.isArray(list)) throw new Error('the answer has no ipaddress list');
  const id = d.ID;
  const cursor = typeof id === 'string' || typeof id === 'number' ? String(id) : null;
  if (cursor !== null && !/^[A-Za-z0-9_.-]{1,64}$/.test(cursor)) throw new Error('the answer has an ID that is not a plain word');
  const out = new Collector();
  for (const item of list) {
    if (typeof item === 'string' && /^no new bans/i.test(item)) continue;
    if (typeof item === 'string') out.add(item.trim());
    else out.garbage++;
  }
  return { ...out.result(), cursor: cursor === null || cursor.toLowerCase() === 'none' ? null : cursor };
}
