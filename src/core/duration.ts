// fail2ban's duration syntax: "600", "10m", "1h30m", "1d", "1w", "-1" (permanent), also "1 day",
// "2 weeks". Results are milliseconds; -1 stays -1 (permanent). No eval, ever.

const UNITS: Record<string, number> = {
  ms: 0.001, // ours, for sub-second windows (correlate.pointerwindow)
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  mi: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  da: 86400,
  day: 86400,
  days: 86400,
  w: 604800,
  wk: 604800,
  week: 604800,
  weeks: 604800,
  mo: 2629800,
  mon: 2629800,
  month: 2629800,
  months: 2629800, // fail2ban: 30.4375 days
  y: 31557600,
  yr: 31557600,
  year: 31557600,
  years: 31557600,
};

export const PERMANENT = -1;

/** Returns milliseconds, PERMANENT (-1) for a negative value, or null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const s = text.trim().toLowerCase();
  if (s === '') return null;
  if (/^-\d+(\.\d+)?$/.test(s)) return PERMANENT;
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000);
  const re = /(\d+(?:\.\d+)?)\s*([a-z]+)\s*/gy;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m !== null; m = re.exec(s)) {
    const unit = UNITS[m[2]!];
    if (unit === undefined) return null;
    total += Number(m[1]) * unit;
    pos = re.lastIndex;
  }
  if (pos !== s.length) return null;
  return Math.round(total * 1000);
}

/** "600" → "10m", for display. */
export function formatDuration(ms: number): string {
  if (ms < 0) return 'permanent';
  let s = Math.round(ms / 1000);
  const parts: string[] = [];
  for (const [u, n] of [
    ['w', 604800],
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (s >= n) {
      parts.push(`${Math.floor(s / n)}${u}`);
      s %= n;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  return parts.join('');
}
