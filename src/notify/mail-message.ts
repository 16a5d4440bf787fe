// An RFC 5322 message for `sendmail -t`. With -t the MTA takes its recipients from the header, so
// headers hold only what the administrator configured (validated at load) and values we build from
// canonical IPs; untrusted text (whois answers, log lines) goes below the blank line, cleaned.

import { VoipguardError, type ErrorPlace } from '../core/errors.js';
import { cleanText } from './whois.js';

export interface MailMessage {
  readonly from: { readonly name: string; readonly address: string };
  readonly to: readonly string[];
  readonly subject: string;
  readonly date: number;
  readonly body: string;
}

// local@domain or a bare local user (root): no spaces, quotes, brackets, commas or control characters,
// and never a leading "-" (the sender also goes on sendmail's argv after -f)
const ADDRESS_RE = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~][A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]*(@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)?$/;

/** Checks one address from the config; throws VG_CONFIG_TYPE naming the place. */
export function mailAddress(text: string, place: ErrorPlace): string {
  const a = text.trim();
  if (a.length > 254 || !ADDRESS_RE.test(a)) {
    throw new VoipguardError('VG_CONFIG_TYPE', `"${cleanText(a, 80)}" is not a mail address (user@domain or a local user)`, place);
  }
  return a;
}

/** `dest = a@x, b@y` (commas or spaces). */
export function mailAddressList(text: string, place: ErrorPlace): string[] {
  const list = text
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((a) => mailAddress(a, place));
  if (list.length === 0) throw new VoipguardError('VG_CONFIG_MISSING', 'no recipient address', place);
  return list;
}

/** A header value on one line: control characters removed, non-ASCII as an RFC 2047 encoded word. */
export function headerText(text: string): string {
  const s = text
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .trim()
    .slice(0, 300);
  return /^[\x20-\x7e]*$/.test(s) ? s : `=?UTF-8?B?${Buffer.from(s, 'utf8').toString('base64')}?=`;
}

function displayName(name: string): string {
  const h = headerText(name);
  if (h.startsWith('=?')) return h;
  return `"${h.replace(/["\\]/g, (c) => '\\' + c)}"`;
}

/** RFC 5322 date in UTC: `Sat, 21 Nov 2026 09:43:47 +0000`. */
export function mailDate(ms: number): string {
  return new Date(ms).toUTCString().replace(/GMT$/, '+0000');
}

/** Lines longer than SMTP's 998-octet limit are wrapped (by characters, with margin for UTF-8). */
function wrap(body: string): string {
  return body
    .split('\n')
    .flatMap((l) => {
      const out: string[] = [];
      for (let i = 0; i < l.length || i === 0; i += 240) out.push(l.slice(i, i + 240));
      return out;
    })
    .join('\n');
}

export function renderMail(m: MailMessage): string {
  const headers = [
    `Date: ${mailDate(m.date)}`,
    `From: ${displayName(m.from.name)} <${m.from.address}>`,
    `To: ${m.to.join(', ')}`,
    `Subject: ${headerText(m.subject)}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=UTF-8',
    'Content-Transfer-Encoding: 8bit',
    'Auto-Submitted: auto-generated',
  ];
  return `${headers.join('\n')}\n\n${wrap(cleanText(m.body, 4_000_000))}\n`;
}
