// A digest as one JSON POST. Formats: `json` (voipguard's own, every field), `slack` and
// `mattermost` (`{"text": …}`, incoming-webhook form both accept), `teams` (Office 365 connector
// MessageCard). Only canonical IPs and configured names reach the text; the URL is a secret (chat
// webhooks carry their token in the path) and is never logged: errors name its host only.

import type { HttpPoster } from './http-poster.js';
import { alertTitle, describeAlert, describeBan, digestTitle, type Alert, type Digest, type NotificationSink } from './notice.js';

export const WEBHOOK_FORMATS = ['json', 'slack', 'mattermost', 'teams'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface WebhookSinkOptions {
  readonly url: URL;
  readonly format: WebhookFormat;
  readonly timeoutMs: number;
}

export class WebhookSink implements NotificationSink {
  readonly channel = 'webhook';
  constructor(
    private readonly opts: WebhookSinkOptions,
    private readonly poster: HttpPoster,
  ) {}

  async alert(a: Alert): Promise<void> {
    await this.poster.post(this.opts.url, JSON.stringify(alertPayload(a, this.opts.format)), this.opts.timeoutMs);
  }

  async send(d: Digest): Promise<void> {
    await this.poster.post(this.opts.url, JSON.stringify(webhookPayload(d, this.opts.format)), this.opts.timeoutMs);
  }
}

function lines(d: Digest): string[] {
  const out = d.bans.map(describeBan);
  if (d.dropped > 0) out.push(`${d.dropped} more ban(s) not listed (notification queue full)`);
  return out;
}

// Slack and Mattermost read <…> as links and mentions (<!channel>); & < > are escaped as they ask.
const chatEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function alertPayload(a: Alert, format: WebhookFormat): unknown {
  const title = alertTitle(a);
  switch (format) {
    case 'json':
      return {
        source: 'voipguard',
        event: 'compromise-suspected',
        title,
        name: a.name,
        host: a.host,
        jail: a.jail,
        ip: a.ip,
        account: a.account,
        failures: a.failures,
        time: new Date(a.time).toISOString(),
        banned: a.banned,
      };
    case 'slack':
    case 'mattermost':
      return { text: chatEscape(`*${title}*\n${describeAlert(a)}`) };
    case 'teams':
      return {
        '@type': 'MessageCard',
        '@context': 'https://schema.org/extensions',
        summary: title,
        themeColor: 'D70000',
        title,
        text: chatEscape(describeAlert(a)),
      };
  }
}

export function webhookPayload(d: Digest, format: WebhookFormat): unknown {
  const title = digestTitle(d);
  switch (format) {
    case 'json':
      return {
        source: 'voipguard',
        title,
        name: d.name,
        host: d.host,
        count: d.bans.length + d.dropped,
        dropped: d.dropped,
        bans: d.bans.map((b) => ({
          ip: b.ip,
          jail: b.jail,
          time: new Date(b.time).toISOString(),
          until: b.until === null ? null : new Date(b.until).toISOString(),
          banCount: b.banCount,
          reason: b.reason,
          failures: b.failures,
        })),
      };
    case 'slack':
    case 'mattermost':
      return { text: chatEscape([`*${title}*`, ...lines(d)].join('\n')) };
    case 'teams':
      return {
        '@type': 'MessageCard',
        '@context': 'https://schema.org/extensions',
        summary: title,
        themeColor: 'D70000',
        title,
        text: lines(d).map(chatEscape).join('\n\n'),
      };
  }
}
