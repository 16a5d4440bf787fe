// Asterisk's logger `dateformat`: C strftime in the C locale plus Asterisk's `%q` (milliseconds) and
// `%1q`..`%6q` (that many fraction digits) from main/localtime.c. Used to show what a configured
// dateformat prints, so the doctor can feed that text to the filters that must read it.

import type { WallTime } from '../core/time-zone.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** A broken-down local time; `micros` carries the sub-second part (0..999999) for %4q..%6q. */
export interface LocalTime extends WallTime {
  readonly micros: number;
  readonly weekday: number; // 0 = Sunday
  readonly offsetMinutes: number; // east of UTC
  readonly zone: string; // abbreviation for %Z
  readonly epochSeconds: number;
}

/** The host's local time for an epoch in ms (the zone Asterisk itself logs in). */
export function localTimeOf(ms: number, zone = 'local'): LocalTime {
  const d = new Date(ms);
  return {
    year: d.getFullYear(),
    month: d.getMonth() + 1,
    day: d.getDate(),
    hour: d.getHours(),
    minute: d.getMinutes(),
    second: d.getSeconds(),
    ms: ((ms % 1000) + 1000) % 1000,
    micros: (((ms % 1000) + 1000) % 1000) * 1000,
    weekday: d.getDay(),
    offsetMinutes: -d.getTimezoneOffset(),
    zone,
    epochSeconds: Math.floor(ms / 1000),
  };
}

const pad = (n: number, w: number, c = '0'): string => String(n).padStart(w, c);

/** Renders `format`; returns null when it uses a conversion Asterisk's strftime would not print. */
export function asteriskStrftime(format: string, t: LocalTime): string | null {
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    let spec = format[++i];
    if (spec === undefined) return null;
    if (spec >= '1' && spec <= '6' && format[i + 1] === 'q') {
      out += pad(t.micros, 6).slice(0, Number(spec));
      i++;
      continue;
    }
    if (spec === 'E' || spec === 'O') spec = format[++i]; // POSIX modifiers: same output in the C locale
    const piece = conversion(spec, t);
    if (piece === null) return null;
    out += piece;
  }
  return out;
}

function conversion(spec: string | undefined, t: LocalTime): string | null {
  const hour12 = t.hour % 12 === 0 ? 12 : t.hour % 12;
  const yday = dayOfYear(t);
  switch (spec) {
    case 'a':
      return DAYS[t.weekday]!;
    case 'A':
      return DAY_NAMES[t.weekday]!;
    case 'b':
    case 'h':
      return MONTHS[t.month - 1]!;
    case 'B':
      return MONTH_NAMES[t.month - 1]!;
    case 'c':
      return `${DAYS[t.weekday]} ${MONTHS[t.month - 1]} ${pad(t.day, 2, ' ')} ${hms(t)} ${t.year}`;
    case 'C':
      return pad(Math.floor(t.year / 100), 2);
    case 'd':
      return pad(t.day, 2);
    case 'D':
    case 'x':
      return `${pad(t.month, 2)}/${pad(t.day, 2)}/${pad(t.year % 100, 2)}`;
    case 'e':
      return pad(t.day, 2, ' ');
    case 'F':
      return `${t.year}-${pad(t.month, 2)}-${pad(t.day, 2)}`;
    case 'H':
      return pad(t.hour, 2);
    case 'I':
      return pad(hour12, 2);
    case 'j':
      return pad(yday, 3);
    case 'k':
      return pad(t.hour, 2, ' ');
    case 'l':
      return pad(hour12, 2, ' ');
    case 'm':
      return pad(t.month, 2);
    case 'M':
      return pad(t.minute, 2);
    case 'n':
      return '\n';
    case 'p':
      return t.hour < 12 ? 'AM' : 'PM';
    case 'q':
      return pad(t.micros, 6).slice(0, 3);
    case 'r':
      return `${pad(hour12, 2)}:${pad(t.minute, 2)}:${pad(t.second, 2)} ${t.hour < 12 ? 'AM' : 'PM'}`;
    case 'R':
      return `${pad(t.hour, 2)}:${pad(t.minute, 2)}`;
    case 's':
      return String(t.epochSeconds);
    case 'S':
      return pad(t.second, 2);
    case 't':
      return '\t';
    case 'T':
    case 'X':
      return hms(t);
    case 'u':
      return String(t.weekday === 0 ? 7 : t.weekday);
    case 'w':
      return String(t.weekday);
    case 'y':
      return pad(t.year % 100, 2);
    case 'Y':
      return String(t.year);
    case 'z': {
      const o = Math.abs(t.offsetMinutes);
      return `${t.offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(o / 60), 2)}${pad(o % 60, 2)}`;
    }
    case 'Z':
      return t.zone;
    case '%':
      return '%';
    default:
      return null;
  }
}

function hms(t: LocalTime): string {
  return `${pad(t.hour, 2)}:${pad(t.minute, 2)}:${pad(t.second, 2)}`;
}

function dayOfYear(t: LocalTime): number {
  return Math.round((Date.UTC(t.year, t.month - 1, t.day) - Date.UTC(t.year, 0, 1)) / 86_400_000) + 1;
}
