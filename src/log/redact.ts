// Secrets never reach a log line: a field named secret, password or credentials is written as
// `[redacted]` at the top of a logged object and down to two levels below it (an error's own
// fields, a config section inside an object). The logger calls this on every object it writes.
//
// It replaces pino's redact paths ('*.secret', '*.*.password', ...): pino ran its wildcard
// redactor on every value of every line, about 4 % of the daemon's CPU in a 10,000-ban burst.
// Here a line without such a field costs one walk of its keys and allocates nothing; a line with
// one is copied (the caller's object is never changed) with the values replaced.

export const CENSOR = '[redacted]';

const SECRET_KEYS: ReadonlySet<string> = new Set(['secret', 'password', 'credentials']);

/** Levels below the top that are searched (pino's paths went to `*.*.password`). */
const MAX_DEPTH = 2;

/** `obj` itself when nothing in it is named like a secret; otherwise a copy with those values censored. */
export function redactSecrets<T extends object>(obj: T): T {
  return holdsSecret(obj, 0) ? (redacted(obj, 0) as T) : obj;
}

/** Plain objects, arrays and errors are searched; other instances (Buffer, Map, Date) are not. */
function searchable(v: unknown): v is object {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v) || v instanceof Error) return true;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function holdsSecret(o: object, depth: number): boolean {
  for (const k in o) {
    if (!Object.prototype.hasOwnProperty.call(o, k)) continue;
    if (SECRET_KEYS.has(k)) return true;
    if (depth < MAX_DEPTH) {
      const v = (o as Record<string, unknown>)[k];
      if (searchable(v) && holdsSecret(v, depth + 1)) return true;
    }
  }
  return false;
}

function redacted(o: object, depth: number): object {
  // an error keeps its prototype and its non-enumerable message and stack (the err serializer reads them)
  const copy: Record<string, unknown> = Array.isArray(o)
    ? (o.slice() as unknown as Record<string, unknown>)
    : o instanceof Error
      ? (Object.create(Object.getPrototypeOf(o) as object, Object.getOwnPropertyDescriptors(o)) as Record<string, unknown>)
      : { ...(o as Record<string, unknown>) };
  for (const k of Object.keys(o)) {
    const v = (o as Record<string, unknown>)[k];
    let next: unknown = v;
    if (SECRET_KEYS.has(k)) next = CENSOR;
    else if (depth < MAX_DEPTH && searchable(v) && holdsSecret(v, depth + 1)) next = redacted(v, depth + 1);
    if (next !== v) Object.defineProperty(copy, k, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return copy;
}
