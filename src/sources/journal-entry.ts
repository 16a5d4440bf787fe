// One line of `journalctl --output=json` → the fields voipguard uses. journalctl writes a field as:
// a string (printable UTF-8), an array of byte values (binary or invalid UTF-8), null (larger than
// journalctl's field limit; we pass --all so this should not happen, but it is handled), or an array
// of those when the entry carries the field more than once. Nothing here throws on bad input.

export interface JournalEntry {
  /** __CURSOR: where the next read resumes. */
  readonly cursor: string;
  /** __REALTIME_TIMESTAMP in ms since epoch: the event time. */
  readonly time: number;
  /** MESSAGE, one string per value (normally exactly one); invalid UTF-8 becomes U+FFFD. */
  readonly messages: readonly string[];
  readonly unit?: string; // _SYSTEMD_UNIT (journald-trusted)
  readonly identifier?: string; // SYSLOG_IDENTIFIER (written by the process)
  readonly pid?: number; // _PID (journald-trusted)
}

export type EntryProblem = 'not-json' | 'no-cursor' | 'no-time';

const decoder = new TextDecoder('utf-8', { fatal: false });

export function parseJournalEntry(line: string): JournalEntry | EntryProblem {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    return 'not-json';
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return 'not-json';
  const o = obj as Record<string, unknown>;
  const cursor = o['__CURSOR'];
  if (typeof cursor !== 'string' || cursor === '') return 'no-cursor';
  const time = parseRealtime(o['__REALTIME_TIMESTAMP']);
  if (time === null) return 'no-time';
  const unit = firstText(o['_SYSTEMD_UNIT']);
  const identifier = firstText(o['SYSLOG_IDENTIFIER']);
  const pidText = firstText(o['_PID']);
  const pid = pidText !== undefined && /^\d{1,10}$/.test(pidText) ? Number(pidText) : undefined;
  return {
    cursor,
    time,
    messages: fieldValues(o['MESSAGE']),
    ...(unit !== undefined ? { unit } : {}),
    ...(identifier !== undefined ? { identifier } : {}),
    ...(pid !== undefined ? { pid } : {}),
  };
}

/** µs since epoch as a decimal string → ms. 2^53 µs is year 2255, so a double holds it exactly. */
function parseRealtime(v: unknown): number | null {
  if (typeof v !== 'string' || !/^\d{1,17}$/.test(v)) return null;
  return Math.floor(Number(v) / 1000);
}

/** Every value of a field as text. A byte array is one value; an array of values is several. */
export function fieldValues(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v)) return []; // null (too large) or absent
  if (isByteArray(v)) return [decoder.decode(Uint8Array.from(v as number[]))];
  const out: string[] = [];
  for (const x of v) {
    if (typeof x === 'string') out.push(x);
    else if (Array.isArray(x) && isByteArray(x)) out.push(decoder.decode(Uint8Array.from(x as number[])));
  }
  return out;
}

function firstText(v: unknown): string | undefined {
  return fieldValues(v)[0];
}

function isByteArray(a: unknown[]): boolean {
  // an empty array is an empty binary value: journalctl writes [] for a zero-length binary field
  for (const x of a) if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > 255) return false;
  return true;
}
