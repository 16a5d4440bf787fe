// Which Asterisk features a version has, from docs/asterisk-facts.md §1.8, §2.1, §3, §4.
// A bare major (`--asterisk 20`) means a current release of that series.

import { VoipguardError } from '../core/errors.js';

export interface AsteriskVersion {
  readonly major: number;
  /** Missing parts are taken as "latest of the series". */
  readonly minor: number;
  readonly patch: number;
  readonly text: string;
}

const LATEST = Number.MAX_SAFE_INTEGER;

export function parseAsteriskVersion(text: string): AsteriskVersion {
  const m = /^(\d{1,2})(?:\.(\d{1,3}))?(?:\.(\d{1,3}))?$/.exec(text.trim());
  const major = m ? Number(m[1]) : NaN;
  if (!m || major < 11 || major > 30) {
    throw new VoipguardError('VG_USAGE', `--asterisk ${text}: give an Asterisk version such as 18, 20, 22 or 20.11`);
  }
  return {
    major,
    minor: m[2] !== undefined ? Number(m[2]) : LATEST,
    patch: m[3] !== undefined ? Number(m[3]) : LATEST,
    text: text.trim(),
  };
}

function atLeast(v: AsteriskVersion, minor: number): boolean {
  return v.minor >= minor;
}

/** `custom_levels` in logger.conf: 16.22+, 18.8+, 19+, 20+ (17 never got it). */
export function hasCustomLevels(v: AsteriskVersion): boolean {
  if (v.major >= 19) return true;
  if (v.major === 18) return atLeast(v, 8);
  if (v.major === 16) return atLeast(v, 22);
  return false;
}

/** chan_sip was removed in 21.0.0. */
export function hasChanSip(v: AsteriskVersion): boolean {
  return v.major <= 20;
}

/** `CHANNEL(pjsip,remote_addr)` exists since 13.0.0. */
export function hasPjsip(v: AsteriskVersion): boolean {
  return v.major >= 13;
}

/** manager.conf `eventfilter(name(…)) =`: 18.26+, 20.11+, 21.6+, 22.1+, 23+. */
export function hasAdvancedEventFilter(v: AsteriskVersion): boolean {
  if (v.major >= 23) return true;
  const since: Record<number, number> = { 18: 26, 20: 11, 21: 6, 22: 1 };
  const min = since[v.major];
  return min !== undefined && atLeast(v, min);
}
