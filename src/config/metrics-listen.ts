// The `[metrics] listen` value of voipguard.conf. Off by default. The exporter answers anyone who can
// reach it and tells them which jails exist and how busy they are, so only a loopback address is
// accepted unless `allow_remote = yes` says the administrator means it (then put it behind a firewall
// or a reverse proxy with authentication). Names are never resolved: an IP literal, or `localhost`.

import { VoipguardError, type ErrorPlace } from '../core/errors.js';
import { isLoopback, parseHostPort } from '../core/ip.js';

export const DEFAULT_METRICS_PORT = 9469;

export interface MetricsListen {
  readonly host: string;
  readonly port: number;
}

const OFF = new Set(['', 'no', 'off', 'false', 'none', '0']);

/** Returns null when metrics are off. Throws VG_METRICS_LISTEN naming the place otherwise. */
export function parseMetricsListen(text: string | undefined, allowRemote = false, place: ErrorPlace = {}): MetricsListen | null {
  const raw = (text ?? '').trim();
  if (OFF.has(raw.toLowerCase())) return null;
  const at: ErrorPlace = { section: 'metrics', key: 'listen', ...place };
  let hp: { ip: string; port: number | null } | null;
  if (/^[0-9]{1,5}$/.test(raw)) hp = { ip: '127.0.0.1', port: Number(raw) };
  else if (/^localhost(:[0-9]{1,5})?$/i.test(raw)) hp = { ip: '127.0.0.1', port: raw.includes(':') ? Number(raw.split(':')[1]) : null };
  else hp = parseHostPort(raw);
  if (hp === null || (hp.port !== null && hp.port > 65535)) {
    throw new VoipguardError('VG_METRICS_LISTEN', `"${raw}" is not ip:port (e.g. 127.0.0.1:${DEFAULT_METRICS_PORT} or [::1]:${DEFAULT_METRICS_PORT})`, at);
  }
  if (!allowRemote && !isLoopback(hp.ip)) {
    throw new VoipguardError(
      'VG_METRICS_LISTEN',
      `${hp.ip} is not a loopback address; /metrics is unauthenticated: keep it on 127.0.0.1 or ::1, or set allow_remote = yes`,
      at,
    );
  }
  return { host: hp.ip, port: hp.port ?? DEFAULT_METRICS_PORT };
}
