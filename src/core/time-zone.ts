// The zone a log's wall-clock timestamps are written in. Asterisk logs local time without a zone,
// so the jail says which zone that is: `local` (the host's, the default), `UTC`, a fixed offset
// (`+0300`, `UTC-05:30`) or an IANA name (`Europe/Berlin`, resolved through Intl, DST included).

import { VoipguardError, type ErrorPlace } from './errors.js';

export interface WallTime {
  readonly year: number;
  readonly month: number; // 1..12
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly ms: number;
}

export interface TimeZone {
  readonly name: string;
  /** Epoch ms of a wall time in this zone (the later instant when a DST overlap repeats it). */
  toEpoch(w: WallTime): number;
  /** The calendar year, in this zone, at an instant. */
  yearAt(epochMs: number): number;
}

const FIXED_RE = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/i;

export function parseTimeZone(spec: string | undefined, place: ErrorPlace = {}): TimeZone {
  const s = (spec ?? '').trim();
  if (s === '' || s.toLowerCase() === 'local') return LOCAL;
  if (/^(?:UTC|GMT|Z|Etc\/UTC)$/i.test(s)) return fixedZone('UTC', 0);
  const m = FIXED_RE.exec(s);
  if (m) {
    const minutes = (Number(m[2]) * 60 + Number(m[3] ?? 0)) * (m[1] === '-' ? -1 : 1);
    if (Math.abs(minutes) > 14 * 60) throw new VoipguardError('VG_CONFIG_TYPE', `time zone offset out of range: ${s}`, place);
    return fixedZone(s, minutes);
  }
  try {
    return new IanaZone(s);
  } catch (e) {
    throw new VoipguardError('VG_CONFIG_TYPE', `unknown time zone "${s}" (use local, UTC, +HHMM or an IANA name)`, place, { cause: e });
  }
}

export function fixedZone(name: string, offsetMinutes: number): TimeZone {
  const off = offsetMinutes * 60_000;
  return {
    name,
    toEpoch: (w) => Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.ms) - off,
    yearAt: (t) => new Date(t + off).getUTCFullYear(),
  };
}

const LOCAL: TimeZone = {
  name: 'local',
  toEpoch: (w) => {
    const d = new Date(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.ms);
    // years 0..99 are mapped to 1900.. by the Date constructor
    if (w.year < 100) d.setFullYear(w.year);
    return d.getTime();
  },
  yearAt: (t) => new Date(t).getFullYear(),
};

/** Offsets come from Intl and are cached per UTC hour: dates are parsed only for candidate lines,
 *  but a flood of them must not call Intl once per line. */
class IanaZone implements TimeZone {
  private readonly fmt: Intl.DateTimeFormat;
  private readonly cache = new Map<number, number>();

  constructor(readonly name: string) {
    this.fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Zone offset (ms, east positive) at an instant. */
  private offsetAt(t: number): number {
    const hour = Math.floor(t / 3_600_000);
    const hit = this.cache.get(hour);
    if (hit !== undefined) return hit;
    const p: Record<string, number> = {};
    for (const part of this.fmt.formatToParts(hour * 3_600_000)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    const wall = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
    const off = wall - hour * 3_600_000;
    if (this.cache.size > 4096) this.cache.clear();
    this.cache.set(hour, off);
    return off;
  }

  toEpoch(w: WallTime): number {
    const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.ms);
    const first = asUtc - this.offsetAt(asUtc);
    const second = asUtc - this.offsetAt(first);
    return Math.max(first, second);
  }

  yearAt(t: number): number {
    return new Date(t + this.offsetAt(t)).getUTCFullYear();
  }
}
