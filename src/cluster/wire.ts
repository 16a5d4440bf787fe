// What goes through Redis: one flat record of string fields per ban or unban, the same in the
// stream and in the active-ban hash. Decoding is the first check of attacker input: every field is
// read as text, bounded and typed here; what it means for this node (jail known, address not
// protected, ban time allowed) is checked by the applier.

import { parseBanTarget, type Cidr } from '../core/ip.js';

export const WIRE_VERSION = '1';

/** A ban or unban as one node tells the others. Times are ms since epoch. */
export type ClusterEntry =
  | {
      readonly op: 'ban';
      readonly node: string;
      readonly jail: string;
      readonly ip: string;
      /** The reason at the origin node (detected, manual, account-attack, subnet…). */
      readonly reason: string;
      readonly banCount: number;
      readonly start: number;
      /** null: permanent at the origin. */
      readonly until: number | null;
    }
  | { readonly op: 'unban'; readonly node: string; readonly jail: string; readonly ip: string; readonly time: number };

/** The key of an active ban in the hash and the sorted set: `jail ip` (neither holds a space). */
export function banKey(jail: string, ip: string): string {
  return `${jail} ${ip}`;
}

export function encodeEntry(e: ClusterEntry): Record<string, string> {
  if (e.op === 'unban') return { v: WIRE_VERSION, op: 'unban', node: e.node, jail: e.jail, ip: e.ip, time: String(e.time) };
  return {
    v: WIRE_VERSION,
    op: 'ban',
    node: e.node,
    jail: e.jail,
    ip: e.ip,
    reason: e.reason,
    count: String(e.banCount),
    start: String(e.start),
    until: e.until === null ? 'permanent' : String(e.until),
  };
}

/** Why an entry is refused (a metric label: a fixed, small set). */
export type RefusedReason = 'malformed' | 'address' | 'jail' | 'reason' | 'bantime' | 'protected';

/**
 * A decoded entry, with its address parsed when it parsed (`target`: the checks use it rather than
 * parse the text a second time); or why it is malformed.
 */
export type Decoded = { readonly entry: ClusterEntry; readonly target?: Cidr } | { readonly refused: 'malformed'; readonly why: string };

/** A field list as Redis gave it back, or a JSON object already parsed (parseJson). */
export type RawFields = readonly string[] | Readonly<Record<string, unknown>>;

const NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
const REASON = /^[a-z-]{1,32}$/;
const MAX_FIELDS = 16;
const MAX_TEXT = 128;

/**
 * The one field of a stream entry as this version publishes it: the record as JSON, the same text
 * as its active-set value. Nine fields of their own cost every node eighteen strings to decode per
 * entry (10,000 entries: XREAD 93 to 155 ms in the client, against 22 to 33 ms packed, and XADD 134
 * to 185 ms against 82 to 98 ms; docs/cluster.md, eleventh session). Entries with the fields apart
 * (older nodes) are read as before.
 */
export const PACKED_FIELD = 'e';
/** The longest JSON text read (a packed entry, an active-set value); a ban's record is about 200 characters. */
export const MAX_JSON = 4096;

/** A stream entry's field list as published: the record packed as JSON. */
export function packEntry(json: string): string[] {
  return [PACKED_FIELD, json];
}

/**
 * How this node's own packed entries begin (a ban's and an unban's): `{"v":"1","op":"ban","node":"a",`.
 * A node reads back everything it publishes; an entry whose text starts so names this node as its
 * origin and is skipped before it is parsed (the check would skip it after: no echo). Reading back
 * a burst of 10,000 of its own was about 1 s of the publishing node's CPU, half of it JSON.parse,
 * on the cores the others needed to converge (docs/cluster.md, thirteenth session). A forged entry
 * that begins so, with more keys after, is skipped too: never applied, as any entry naming this
 * node as its origin.
 */
export function ownPrefixes(node: string): readonly [string, string] {
  const start = (op: string) => JSON.stringify({ v: WIRE_VERSION, op, node }).slice(0, -1) + ',';
  return [start('ban'), start('unban')];
}

/** True when `raw` is a packed entry whose text begins with one of `prefixes` (ownPrefixes). */
export function startsAs(raw: RawFields, prefixes: readonly [string, string]): boolean {
  if (!Array.isArray(raw) || raw.length !== 2 || raw[0] !== PACKED_FIELD) return false;
  const text: unknown = raw[1];
  return typeof text === 'string' && (text.startsWith(prefixes[0]) || text.startsWith(prefixes[1]));
}

/** Reads the field list Redis gave back ([e, json], [k, v, k, v…] or a record); never throws. */
export function decodeEntry(raw: RawFields): Decoded {
  let f: Readonly<Record<string, unknown>> | null;
  if (!Array.isArray(raw)) f = raw as Readonly<Record<string, unknown>>;
  else if (raw.length === 2 && raw[0] === PACKED_FIELD) {
    f = parseJson(String(raw[1]));
    if (f === null) return bad(`packed entry not a JSON object of at most ${MAX_JSON} characters`);
  } else f = toRecord(raw as readonly string[]);
  // an active-set value (a record) is held to the same bound as a stream entry's field list
  if (f === null || Object.keys(f).length > MAX_FIELDS) return bad('odd or oversized field list');
  const str = (k: string): string | null => {
    const v = Object.prototype.hasOwnProperty.call(f, k) ? f[k] : undefined;
    return typeof v === 'string' && v.length <= MAX_TEXT ? v : null;
  };
  if (str('v') !== WIRE_VERSION) return bad(`version ${String(str('v'))}`);
  const op = str('op');
  const node = str('node');
  const jail = str('jail');
  const ipText = str('ip');
  if (node === null || !NAME.test(node)) return bad('node');
  if (jail === null || !NAME.test(jail)) return bad('jail name');
  if (ipText === null) return bad('ip');
  // the address is checked for shape here only: the applier refuses by 'address' one that did not
  // parse (no target: it tries the text again), and takes the parsed target of one that did
  const parsed = parseBanTarget(ipText);
  const target = parsed !== null && 'target' in parsed ? parsed.target : undefined;
  const ip = target ? target.text : ipText;
  if (op === 'unban') {
    const time = int(str('time'));
    if (time === null) return bad('time');
    return withTarget({ op, node, jail, ip, time }, target);
  }
  if (op !== 'ban') return bad('op');
  const reason = str('reason');
  if (reason === null || !REASON.test(reason)) return bad('reason');
  const banCount = int(str('count'));
  const start = int(str('start'));
  const untilText = str('until');
  const until = untilText === 'permanent' ? null : int(untilText);
  if (banCount === null || banCount < 1 || start === null || (until === null && untilText !== 'permanent')) return bad('count, start or until');
  return withTarget({ op, node, jail, ip, reason, banCount, start, until }, target);
}

function withTarget(entry: ClusterEntry, target: Cidr | undefined): Decoded {
  return target ? { entry, target } : { entry };
}

function toRecord(list: readonly string[]): Record<string, string> | null {
  if (list.length % 2 !== 0 || list.length > MAX_FIELDS * 2) return null;
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 0; i < list.length; i += 2) {
    const k = list[i];
    const v = list[i + 1];
    if (typeof k !== 'string' || typeof v !== 'string') return null;
    out[k] = v;
  }
  return out;
}

function int(v: string | null): number | null {
  if (v === null || !/^\d{1,15}$/.test(v)) return null;
  return Number(v);
}

function bad(why: string): Decoded {
  return { refused: 'malformed', why };
}

/** A stream ID `ms-seq`, compared as numbers. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am !== bm ? am - bm : (as ?? 0) - (bs ?? 0);
}

/** The ms part of a stream ID (when Redis stored it): replication lag is measured from it. */
export function idTime(id: string): number {
  return Number(id.split('-')[0]);
}

export const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

/**
 * A JSON object (an active-set value, a packed entry), or null. The object is JSON.parse's own, not
 * copied: decodeEntry reads only its own properties (a key `__proto__` is an own property of a
 * parsed object, never its prototype), each checked to be a bounded string. The copy this made (a
 * null-prototype record of the string fields) was a third of the decoding of a 100,000-ban snapshot.
 */
export function parseJson(text: string): Readonly<Record<string, unknown>> | null {
  if (text.length > MAX_JSON) return null;
  try {
    const v: unknown = JSON.parse(text);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
    return v as Readonly<Record<string, unknown>>;
  } catch {
    return null;
  }
}
