// An AMI event as asterisk-manager parsed it → the fields Asterisk itself wrote, one value per key,
// and what an attacker changed (docs/ami.md "Hostile input"). Pure: no I/O, no clock.
//
// The package hands us one object per block: keys lowercased and trimmed, a repeated key folded into
// an array of its values (in order), a line without `: ` turned into a key with an empty value. The
// order of a repeated key against the other keys is gone; what is kept is the order of first
// occurrences and, per key, the order of its values. That is enough, with the order in which Asterisk
// writes a security event's fields, to tell which copy of a key is Asterisk's:
// - the attacker writes only inside the fields he controls (PJSIP AccountID and SessionID before
//   RemoteAddress; Challenge and Response after it; chan_sip's ReceivedChallenge and ReceivedHash);
//   a planted line sits right after one of them;
// - a key with no attacker field after it (in Asterisk's order, itself included) has its planted
//   copies before Asterisk's: Asterisk's is the last. With none before it, Asterisk's is the first;
// - with attacker fields on both sides (RemoteAddress of ChallengeResponseFailed), the copy is decided
//   by a key Asterisk writes once just before it (LocalAddress): if that key is single and comes
//   first, no copy was planted before, and Asterisk's is the first; if the first copy comes before
//   it, the first was planted, and with two copies Asterisk's is the second. Anything else is
//   ambiguous: the key is left out (no address, no failure), never guessed.
// Lines longer than MAX_LINE characters (an attacker's Call-ID) are skipped and counted, the other
// fields of the event kept.

export type AmiBlock = Readonly<Record<string, unknown>>;

/** Asterisk writes no line longer than this for its own fields (logger and manager buffers). */
export const MAX_LINE = 8192;

export interface ShapedEvent {
  /** One `[key, value]` per key, lowercased keys, in the order of first occurrence. */
  readonly fields: Array<readonly [string, string]>;
  /** Lines that were not `Key: value` (planted text), and lines over MAX_LINE: skipped. */
  readonly malformedLines: number;
  /** Why the event is hostile: `duplicate:<key>`, `ambiguous:<key>`, `long-line:<key>`, `malformed`, `joined`. */
  readonly hostile: readonly string[];
}

const HEADER = /^[a-z][a-z0-9_-]*$/;

// Asterisk's order (docs/ami.md "Field order"): the manager header, the eight common fields, then the
// event's own. `?` marks a field that may be absent.
const HEAD = ['event', 'privilege', 'timestamp?', 'sequencenumber?', 'file?', 'line?', 'func?', 'systemname?'];
const COMMON = ['eventtv', 'severity', 'service', 'eventversion', 'accountid', 'sessionid', 'localaddress', 'remoteaddress'];
const TAIL: Readonly<Record<string, readonly string[]>> = {
  failedacl: ['module?', 'aclname?', 'sessiontv?'],
  invalidaccountid: ['module?', 'sessiontv?'],
  challengeresponsefailed: ['challenge', 'response', 'expectedresponse', 'module?', 'sessiontv?'],
  invalidpassword: ['module?', 'sessiontv?', 'challenge?', 'receivedchallenge?', 'receivedhash?'],
  challengesent: ['challenge', 'module?', 'sessiontv?'],
  successfulauth: ['usingpassword', 'module?', 'sessiontv?'],
};
/** Fields whose value comes from the network (a SIP header, an AMI login), so may carry a CR/LF. */
const ATTACKER = new Set(['accountid', 'sessionid', 'challenge', 'response', 'receivedchallenge', 'receivedhash', 'requesttype', 'requestparams']);

/** Field names Asterisk writes in security events: header names already, no need to test them. */
const KNOWN_KEYS: ReadonlySet<string> = new Set([...HEAD, ...COMMON, ...Object.values(TAIL).flat()].map((x) => x.replace('?', '')));

interface Order {
  readonly keys: readonly string[];
  readonly index: ReadonlyMap<string, number>;
  /** An event we know no tail for: any field after the common ones may be the attacker's. */
  readonly openTail: boolean;
}

const ORDERS = new Map<string, Order>();
function orderOf(name: string): Order {
  const k = name.toLowerCase();
  let o = ORDERS.get(k);
  if (o === undefined) {
    const tail = TAIL[k];
    const keys = [...HEAD, ...COMMON, ...(tail ?? [])].map((x) => x.replace('?', ''));
    o = { keys, index: new Map(keys.map((x, i) => [x, i])), openTail: tail === undefined };
    if (ORDERS.size < 64) ORDERS.set(k, o); // names are the peer's text: cache only a few
  }
  return o;
}

/**
 * Shapes one event from its block(s): more than one when a planted blank line cut it and the rest
 * came as blocks without `Event:` (the session joins them, docs/ami.md).
 */
export function shapeEvent(blocks: readonly AmiBlock[]): ShapedEvent {
  if (blocks.length === 1) {
    const fast = plain(blocks[0]!);
    if (fast !== null) return { fields: fast, malformedLines: 0, hostile: [] };
  }
  const values = new Map<string, string[]>(); // first-occurrence order
  let malformed = 0;
  const hostile: string[] = [];
  for (const b of blocks) {
    // a planted `__proto__:` line makes the package set the block's prototype instead of a key
    if (Object.getPrototypeOf(b) !== Object.prototype) malformed++;
    for (const key of Object.keys(b)) {
      const raw = b[key];
      const list = Array.isArray(raw) ? raw : [raw];
      if (!HEADER.test(key)) {
        malformed += list.length;
        continue;
      }
      for (const v of list) {
        if (typeof v !== 'string') {
          malformed++; // Variable/ChanVariable maps, or a value the package took from Object.prototype
          continue;
        }
        if (key.length + 2 + v.length > MAX_LINE) {
          malformed++;
          if (!hostile.includes(`long-line:${key}`)) hostile.push(`long-line:${key}`);
          continue;
        }
        const l = values.get(key);
        if (l === undefined) values.set(key, [v]);
        else l.push(v);
      }
    }
  }
  if (blocks.length > 1) hostile.push('joined');
  if (malformed > 0 && !hostile.some((h) => h.startsWith('long-line:'))) hostile.push('malformed');
  const firstKeys = [...values.keys()];
  const name = values.get('event')?.[0] ?? '';
  const order = orderOf(name);
  const fields: Array<readonly [string, string]> = [];
  for (const key of firstKeys) {
    const list = values.get(key)!;
    if (list.length === 1) {
      fields.push([key, list[0]!]);
      continue;
    }
    hostile.push(`duplicate:${key}`);
    const i = asterisksCopy(key, list.length, order, firstKeys, values);
    if (i === null) hostile.push(`ambiguous:${key}`);
    else fields.push([key, list[i]!]);
  }
  return { fields, malformedLines: malformed, hostile };
}

/** The common case: every value a string within the cap, every key a header name, no repeats. */
function plain(b: AmiBlock): Array<readonly [string, string]> | null {
  const out: Array<readonly [string, string]> = [];
  for (const key in b) {
    if (!Object.hasOwn(b, key)) return null;
    const v = b[key];
    if (typeof v !== 'string' || key.length + 2 + v.length > MAX_LINE || !(KNOWN_KEYS.has(key) || HEADER.test(key))) return null;
    out.push([key, v]);
  }
  return out;
}

/** Which of `n` copies of `key` Asterisk wrote (0-based), or null when it cannot be told. */
function asterisksCopy(key: string, n: number, order: Order, firstKeys: readonly string[], values: ReadonlyMap<string, string[]>): number | null {
  const pos = order.index.get(key);
  if (pos === undefined) return null; // not a field Asterisk writes in this event: no copy is known to be its
  let before = false;
  let after = ATTACKER.has(key) || order.openTail;
  for (let i = 0; i < order.keys.length; i++) {
    if (!ATTACKER.has(order.keys[i]!)) continue;
    if (i < pos) before = true;
    if (i > pos) after = true;
  }
  if (!after) return n - 1;
  if (!before) return 0;
  // attacker fields on both sides: decide by the Asterisk-written key just before this one
  const prev = order.keys[pos - 1];
  if (prev === undefined || ATTACKER.has(prev) || values.get(prev)?.length !== 1) return null;
  const prevAt = firstKeys.indexOf(prev);
  const keyAt = firstKeys.indexOf(key);
  if (prevAt < keyAt) return 0; // nothing of this key before Asterisk's `prev`: the first copy is Asterisk's
  return n === 2 ? 1 : null; // the first copy was planted before `prev`; with two, the second is Asterisk's
}
