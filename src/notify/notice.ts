// What a notification says: the bans of one jail gathered into a digest. Small readonly records, so
// formats and transports are tested with literals.

import type { BanDecision } from '../core/types.js';

/** One ban to report. `ip` is canonical (it comes from a BanDecision). */
export interface BanNotice {
  readonly jail: string;
  readonly ip: string;
  readonly time: number;
  readonly until: number | null;
  readonly banCount: number;
  readonly reason: BanDecision['reason'];
  readonly failures: number;
  /** The matched log lines (attacker-written text: body only, never a header). */
  readonly lines?: readonly string[];
}

export interface Digest {
  /** The action's `name` (fail2ban's `name=SSH`), used in subjects and titles. */
  readonly name: string;
  readonly host: string;
  /** Every ban queued since the previous digest, oldest first. */
  readonly bans: readonly BanNotice[];
  /** Bans left out because the queue was full (reported, never silently lost). */
  readonly dropped: number;
}

/** Where digests go: a mailer, a webhook. `send` rejects on failure; the queue retries. */
export interface NotificationSink {
  readonly channel: string;
  send(digest: Digest): Promise<void>;
  /** One alert, sent at once, outside the digest (a suspected compromise). Rejects on failure. */
  alert?(a: Alert): Promise<void>;
}

/** A suspected compromise (docs/beyond-one-address.md): a login from an address that was failing. */
export interface Alert {
  readonly name: string;
  readonly host: string;
  readonly jail: string;
  readonly ip: string;
  /** Attacker-written: body only, never a header or a title. */
  readonly account: string;
  readonly failures: number;
  readonly time: number;
  readonly banned: boolean;
}

export function alertTitle(a: Alert): string {
  return `[voipguard] ${a.name}: compromise suspected, login from ${a.ip} on ${a.host}`;
}

/** The alert in words; the account JSON-quoted (a quote or newline in it stays inside). */
export function describeAlert(a: Alert): string {
  const then = a.banned ? 'The address is banned (bansuspected = yes).' : 'The address is NOT banned (bansuspected = no): check the account now.';
  return (
    `${a.ip} logged in as ${JSON.stringify(a.account)} at ${formatTime(a.time)} after ${a.failures} failures within findtime ` +
    `(jail ${a.jail}): the password may have been guessed. ${then}`
  );
}

export function noticeFromBan(d: BanDecision, lines?: readonly string[]): BanNotice {
  return {
    jail: d.jail,
    ip: d.ip,
    time: d.time,
    until: d.until,
    banCount: d.banCount,
    reason: d.reason,
    failures: d.failures,
    ...(lines && lines.length ? { lines } : {}),
  };
}

/** `2026-11-21 09:43:47 UTC`: one unambiguous form for mail and chat. */
export function formatTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');
}

/** One human line per ban, shared by the mail body and the chat formats. */
export function describeBan(b: BanNotice): string {
  const until = b.until === null ? 'permanently' : `until ${formatTime(b.until)}`;
  const why = b.reason === 'detected' ? `${b.failures} failures` : b.reason;
  return `${b.ip} ${until} (jail ${b.jail}, ban #${b.banCount}, ${why})`;
}

export function digestTitle(d: Digest): string {
  const n = d.bans.length + d.dropped;
  return n === 1 && d.bans.length === 1
    ? `[voipguard] ${d.name}: banned ${d.bans[0]!.ip} on ${d.host}`
    : `[voipguard] ${d.name}: ${n} addresses banned on ${d.host}`;
}
