// The body of a security log line, `SecurityEvent="Name",EventTV="…",…,RemoteAddress="…",…`, read
// as key="value" pairs without trusting the attacker's fields (docs/asterisk-formats.md, "Security events";
// docs/security.md). Asterisk escapes nothing, so AccountID (a SIP From user) and SessionID (a Call-ID) can
// contain `",RemoteAddress="IPV4/UDP/6.6.6.6/1` and plant a second address. What makes the line
// readable anyway is where Asterisk writes things:
// - the head (SecurityEvent, EventTV, Severity, Service, EventVersion) comes before any attacker
//   text: it is read forward and only the first occurrence of each key counts;
// - RemoteAddress comes after AccountID and SessionID: the LAST `,RemoteAddress="…"` is Asterisk's
//   (the fields after it cannot hold a bare `",` in any Asterisk version: pjproject keeps `\"`
//   escapes, chan_sip stops unquoted values at a comma), provided only the event's own trailing
//   fields follow it;
// - a key seen twice means someone wrote one: the event is flagged hostile for the debug log.

export interface ParsedSecurityEvent {
  /** The trusted fields, in Asterisk's order, for securityEventToFailure. */
  readonly pairs: ReadonlyArray<readonly [string, string]>;
  /** `duplicate-key:remoteaddress` and the like; empty for an ordinary line. */
  readonly hostile: readonly string[];
}

const HEAD = ['SecurityEvent', 'EventTV', 'Severity', 'Service', 'EventVersion'];
/** Every field a security event of another type may carry after RemoteAddress (events without a TRAILING list). */
const ANY_TRAILING = [
  'Module',
  'ACLName',
  'SessionTV',
  'Challenge',
  'Response',
  'ExpectedResponse',
  'ReceivedChallenge',
  'ReceivedHash',
  'RequestType',
  'RequestParams',
  'AuthMethod',
  'ExpectedAddress',
  'UsingPassword',
  'AttemptedTransport',
];
const KNOWN = new Set([...HEAD, 'AccountID', 'SessionID', 'LocalAddress', 'RemoteAddress', ...ANY_TRAILING]);
const HEAD_FIELD = /^,?([A-Za-z]+)="([^"]*)"/;
const RA = ',RemoteAddress="';

/**
 * `text` starts at `SecurityEvent="`. Null when not even the event name can be read. When `wanted`
 * is given and the name is not in it, only the name is returned (the caller drops the event; the
 * high-volume ChallengeSent lines cost no more than that).
 */
export function parseSecurityEventText(text: string, wanted?: ReadonlySet<string>): ParsedSecurityEvent | null {
  const pairs: [string, string][] = [];
  let p = 0;
  for (const key of HEAD) {
    const m = HEAD_FIELD.exec(text.slice(p, p + 200));
    if (!m || m[1] !== key) {
      if (key === 'SecurityEvent') return null;
      continue;
    }
    pairs.push([key, m[2]!]);
    p += m[0].length;
    if (key === 'SecurityEvent' && wanted && !wanted.has(m[2]!)) return { pairs, hostile: [] };
  }

  const hostile = duplicateKeys(text).map((k) => `duplicate-key:${k.toLowerCase()}`);

  // AccountID runs to the first `",SessionID="`, SessionID to the LocalAddress that stands right
  // before the chosen RemoteAddress: a Call-ID full of planted fields stays one Call-ID.
  const remote = lastRemoteAddress(text, pairs[0]![1]);
  const accountAt = text.indexOf(',AccountID="', p);
  const sessionAt = accountAt >= 0 ? text.indexOf('",SessionID="', accountAt) : -1;
  if (accountAt >= 0 && sessionAt >= 0) pairs.push(['AccountID', text.slice(accountAt + 12, sessionAt)]);
  if (remote !== null) {
    const localAt = lastBefore(text, '",LocalAddress="', remote.at);
    if (sessionAt >= 0 && localAt > sessionAt) pairs.push(['SessionID', text.slice(sessionAt + 13, localAt)]);
    if (localAt >= 0 && text[remote.at - 1] === '"') pairs.push(['LocalAddress', text.slice(localAt + 16, remote.at - 1)]);
    pairs.push(['RemoteAddress', remote.value]);
  }
  return { pairs, hostile };
}

// What Asterisk writes after RemoteAddress: the event's own fields, in the order it writes them
// (docs/asterisk-formats.md, "Security events"), never an address, a session or an account. A
// line cut short (syslog truncates long lines, journald splits them) can end in a planted
// RemoteAddress; such a tail does not read as the event's fields and the event is dropped.
// A value holds no bare quote: pjproject keeps a caller's `\"` escapes, the other values are
// Asterisk's. So a caller's text cannot close a field early, and what Asterisk's term_strip()
// leaves of its own fields when a caller's ESC deleted up to the `m` of `RemoteAddress`
// (`…,SessionTV="oteAddress="IPV4/…"`) does not read as a value. Read by hand, not by a regex with
// a lazy value, whose backtracking over a long planted tail would be exponential.
const TRAILING: Readonly<Record<string, readonly string[]>> = {
  FailedACL: ['Module', 'ACLName', 'SessionTV'],
  InvalidAccountID: ['Module', 'SessionTV'],
  ChallengeResponseFailed: ['Challenge', 'Response', 'ExpectedResponse', 'Module', 'SessionTV'],
  InvalidPassword: ['Module', 'SessionTV', 'Challenge', 'ReceivedChallenge', 'ReceivedHash'],
};

const TAIL_KEY = /^,([A-Za-z]+)="/;
const TIME_VALUE = /^[0-9T:.+-]*$/;
const MAX_TAIL = 4096;

/** The last `,RemoteAddress="value"`, if only the event's own trailing fields follow it. */
function lastRemoteAddress(text: string, event: string): { value: string; at: number } | null {
  const at = lastBefore(text, RA, text.length);
  if (at < 0) return null;
  const start = at + RA.length;
  const close = text.indexOf('"', start);
  if (close < 0) return null;
  const tail = text.slice(close + 1);
  if (tail.length > MAX_TAIL || !onlyTrailingFields(tail, event)) return null;
  return { value: text.slice(start, close), at };
}

function onlyTrailingFields(tail: string, event: string): boolean {
  const keys = TRAILING[event];
  let next = 0; // the event's keys come in Asterisk's order, each at most once
  let p = 0;
  while (p < tail.length) {
    if (tail.slice(p).trim() === '') return true;
    const key = TAIL_KEY.exec(tail.slice(p, p + 24));
    if (!key) return false;
    const name = key[1]!;
    if (keys) {
      const i = keys.indexOf(name, next);
      if (i < 0) return false;
      next = i + 1;
    } else if (!ANY_TRAILING.includes(name)) return false;
    let q = p + key[0].length;
    const from = q;
    for (;;) {
      const c = tail.charCodeAt(q);
      if (Number.isNaN(c)) return false;
      if (c === 92 /* \ */) q += 2;
      else if (c === 34 /* " */) break;
      else q++;
    }
    if (name === 'SessionTV' && !TIME_VALUE.test(tail.slice(from, q))) return false;
    p = q + 1;
    if (p < tail.length && tail[p] !== ',' && tail.slice(p).trim() !== '') return false;
  }
  return true;
}

/** Known keys that occur more than once as `Key="` at the start or after a comma; one pass. */
function duplicateKeys(text: string): string[] {
  const seen = new Set<string>();
  const dups: string[] = [];
  for (let i = text.indexOf('="'); i >= 0; i = text.indexOf('="', i + 2)) {
    let j = i;
    while (j > 0 && isLetter(text.charCodeAt(j - 1))) j--;
    if (j > 0 && text.charCodeAt(j - 1) !== 44 /* , */) continue;
    const key = text.slice(j, i);
    if (!KNOWN.has(key)) continue;
    if (seen.has(key)) {
      if (!dups.includes(key)) dups.push(key);
    } else seen.add(key);
  }
  return dups;
}

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/**
 * `text.lastIndexOf(word, limit)`, found with forward searches: V8's lastIndexOf compares backwards
 * character by character and showed in the profile. Stepping one character past each hit finds
 * every occurrence, overlapping ones included.
 */
function lastBefore(text: string, word: string, limit: number): number {
  let last = -1;
  for (let n = text.indexOf(word); n >= 0 && n <= limit; n = text.indexOf(word, n + 1)) last = n;
  return last;
}
