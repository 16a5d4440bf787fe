// The notification actions a jail can list, and their arguments. fail2ban's mail actions map onto
// `mail` by name: `sendmail-whois[name=SSH, dest=…, sender=…, sendername="Fail2Ban"]` from the
// tutorials loads unchanged. Values come from the action.d file's [Init] (sendmail-common.conf,
// overridable in sendmail-common.local as fail2ban users do) with the jail's bracket arguments on top.

import { parseDuration } from '../core/duration.js';
import { VoipguardError, type ErrorPlace } from '../core/errors.js';
import { bool, custom, fail, int, readSchema, text, type FieldContext, type Values } from '../config/fields.js';
import { mailAddress, mailAddressList } from './mail-message.js';
import { WEBHOOK_FORMATS, type WebhookFormat } from './webhook-sink.js';

/** The shipped action names → their kind and the defaults the name implies (also in their action.d files). */
export const NOTIFY_ACTIONS: Readonly<Record<string, { kind: 'mail' | 'webhook'; defaults: Readonly<Record<string, string>> }>> = Object.freeze({
  sendmail: { kind: 'mail', defaults: { whois: 'no', lines: 'no' } },
  'sendmail-whois': { kind: 'mail', defaults: { whois: 'yes', lines: 'no' } },
  'sendmail-whois-lines': { kind: 'mail', defaults: { whois: 'yes', lines: 'yes' } },
  webhook: { kind: 'webhook', defaults: {} },
});

export function isNotifyAction(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(NOTIFY_ACTIONS, name);
}

/** Arguments fail2ban's jail.conf passes to its mail actions that mean nothing here: one warning each. */
const FAIL2BAN_ONLY = new Set(['logpath', 'chain', 'port', 'protocol', 'grepopts', 'mailcmd', 'mailargs', 'returntype', 'blocktype', 'bantime']);

function delayField<P extends string>(prop: P, def: string, doc: string) {
  return custom(prop, def, 0, doc, (raw: string, ctx: FieldContext) => {
    const ms = parseDuration(raw);
    if (ms === null || ms < 0) fail('VG_CONFIG_DURATION', `"${raw}" is not a duration (0, 30s, 5m, 1h)`, ctx);
    return ms;
  });
}

const COMMON_FIELDS = {
  name: text('name', '', /^[^\u0000-\u001f\u007f]{0,64}$/, 'a name of at most 64 printable characters', 'shown in subjects and titles; default: the jail name'),
  delay: delayField('delayMs', '5s', 'gather bans this long after a quiet period before the first digest'),
  interval: delayField('intervalMs', '5m', 'at most one digest per interval'),
  maxbans: int('maxPending', '10000', 1, 1_000_000, 'bans kept for the next digest; beyond, they are counted as dropped'),
};

const MAIL_FIELDS = {
  ...COMMON_FIELDS,
  dest: custom('dest', 'root', [] as string[], 'recipients', (raw, ctx) => mailAddressList(raw, ctx.place)),
  sender: custom('sender', 'root', '', 'envelope and From address', (raw, ctx) => mailAddress(raw, ctx.place)),
  sendername: text('senderName', 'voipguard', /^[^\u0000-\u001f\u007f]{1,64}$/, 'a name of at most 64 printable characters', 'From display name'),
  whois: bool('whois', 'no', 'add whois text for the banned addresses'),
  whoismax: int('whoisMax', '10', 0, 100, 'whois lookups per digest at most'),
  lines: bool('lines', 'no', 'add the matched log lines'),
  grepmax: int('linesMax', '20', 1, 1000, 'matched lines per address at most'),
  sendmail: text('sendmailPath', '/usr/sbin/sendmail', /^\/[^\s\u0000]+$/, 'an absolute path', 'the MTA binary, run as `sendmail -t -oi -f <sender>`'),
  whoispath: text('whoisPath', '/usr/bin/whois', /^\/[^\s\u0000]+$/, 'an absolute path', 'the whois binary'),
  timeout: delayField('timeoutMs', '60s', 'a send (whois lookups included) that takes longer fails and is retried'),
};

const WEBHOOK_FIELDS = {
  ...COMMON_FIELDS,
  url: custom('url', null, null as URL | null, 'http(s) URL to POST to', (raw, ctx): URL | null => {
    let u: URL;
    try {
      u = new URL(raw.trim());
    } catch {
      return fail('VG_CONFIG_TYPE', 'url is not a URL', ctx);
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') fail('VG_CONFIG_TYPE', `url must be http: or https:, not ${u.protocol}`, ctx);
    return u;
  }),
  format: custom('format', 'json', 'json' as WebhookFormat, 'payload shape', (raw, ctx) => {
    const f = raw.trim().toLowerCase();
    if (!(WEBHOOK_FORMATS as readonly string[]).includes(f)) fail('VG_CONFIG_TYPE', `"${raw}" is not a webhook format (${WEBHOOK_FORMATS.join(', ')})`, ctx);
    return f as WebhookFormat;
  }),
  timeout: delayField('timeoutMs', '10s', 'a POST that takes longer fails and is retried'),
};

export type MailNotifyConfig = Values<typeof MAIL_FIELDS> & { readonly kind: 'mail'; readonly action: string };
export type WebhookNotifyConfig = Omit<Values<typeof WEBHOOK_FIELDS>, 'url'> & { readonly kind: 'webhook'; readonly action: string; readonly url: URL };
export type NotifyConfig = MailNotifyConfig | WebhookNotifyConfig;

/** The keys each kind accepts, for documentation and the loader. */
export const NOTIFY_KEYS = { mail: Object.keys(MAIL_FIELDS), webhook: Object.keys(WEBHOOK_FIELDS) };

export type NotifyKind = 'mail' | 'webhook';

/** Where each value came from: the jail's action line for arguments, the action.d file for [Init]. */
export type PlaceOfKey = (key: string) => ErrorPlace;

/**
 * Reads one notification action. `params` are the resolved values ([Init] then bracket arguments,
 * keys lowercase); `jail` names the default `name`. Errors are added to `errors` (all at once, as
 * the config loader reports them); returns null when there were any.
 */
export function readNotifyConfig(
  kind: NotifyKind,
  action: string,
  params: Readonly<Record<string, string>>,
  jail: string,
  placeOfKey: PlaceOfKey,
  warn: (message: string) => void,
  errors: VoipguardError[],
): NotifyConfig | null {
  const schema: Record<string, unknown> = kind === 'mail' ? MAIL_FIELDS : WEBHOOK_FIELDS;
  const implied = NOTIFY_ACTIONS[action]?.defaults ?? {};
  const before = errors.length;
  for (const key of Object.keys(params)) {
    if (key in schema) continue;
    if (FAIL2BAN_ONLY.has(key)) warn(`${action}[${key}=…] means nothing to voipguard's ${kind} notification and is ignored`);
    else
      errors.push(
        new VoipguardError('VG_CONFIG_UNKNOWN_KEY', `${action} has no argument "${key}" (known: ${Object.keys(schema).join(', ')})`, placeOfKey(key)),
      );
  }
  const lookup = (key: string): { raw: string; place: ErrorPlace } | undefined => {
    const raw = params[key] ?? implied[key];
    return raw === undefined ? undefined : { raw, place: placeOfKey(key) };
  };
  const base = placeOfKey('');
  const values =
    kind === 'mail'
      ? { kind: 'mail' as const, action, ...readSchema(MAIL_FIELDS, lookup, base, warn, errors) }
      : { kind: 'webhook' as const, action, ...readSchema(WEBHOOK_FIELDS, lookup, base, warn, errors) };
  if (values.kind === 'webhook' && values.url === null && errors.length === before) {
    errors.push(new VoipguardError('VG_CONFIG_MISSING', `${action} needs url=…`, placeOfKey('url')));
  }
  if (errors.length > before) return null;
  return Object.freeze({ ...values, name: values.name || jail }) as NotifyConfig;
}
