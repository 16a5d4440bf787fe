// A digest as one mail: the list of banned addresses, then (optionally) whois text for the first
// few of them and the log lines that matched. Everything untrusted stays in the body.

import type { Clock } from '../core/clock.js';
import type { Mailer } from './mailer.js';
import { cleanText, type WhoisLookup } from './whois.js';
import { alertTitle, describeAlert, describeBan, digestTitle, type Alert, type Digest, type NotificationSink } from './notice.js';

export interface MailSinkOptions {
  readonly dest: readonly string[];
  readonly sender: string;
  readonly senderName: string;
  /** Look up whois for at most this many addresses per digest (0: none). */
  readonly whoisMax: number;
  /** Include the matched log lines (sendmail-whois-lines), at most this many per address. */
  readonly linesMax: number;
}

export class MailSink implements NotificationSink {
  readonly channel = 'mail';

  constructor(
    private readonly opts: MailSinkOptions,
    private readonly mailer: Mailer,
    private readonly whois: WhoisLookup | null,
    private readonly clock: Clock,
  ) {}

  async alert(a: Alert): Promise<void> {
    await this.mailer.send({
      from: { name: this.opts.senderName, address: this.opts.sender },
      to: this.opts.dest,
      subject: alertTitle(a),
      date: this.clock.now(),
      body: ['Hi,', '', cleanText(describeAlert(a), 4000), '', 'Regards,', '', 'voipguard'].join('\n'),
    });
  }

  async send(d: Digest): Promise<void> {
    const parts: string[] = ['Hi,', '', `voipguard on ${d.host} banned ${d.bans.length + d.dropped} address(es) (${d.name}):`, ''];
    for (const b of d.bans) parts.push(describeBan(b));
    if (d.dropped > 0) parts.push('', `${d.dropped} more ban(s) arrived while the notification queue was full and are not listed.`);

    const lookups = this.whois && this.opts.whoisMax > 0 ? d.bans.slice(0, this.opts.whoisMax) : [];
    const answers = await Promise.all(lookups.map((b) => this.whois!.lookup(b.ip).catch(() => null)));
    lookups.forEach((b, i) => {
      parts.push('', `Here is more information about ${b.ip}:`, '', answers[i] ?? '(no whois answer)');
    });
    if (lookups.length > 0 && lookups.length < d.bans.length) parts.push('', `(whois shown for the first ${lookups.length} addresses only)`);

    if (this.opts.linesMax > 0) {
      for (const b of d.bans) {
        if (!b.lines?.length) continue;
        parts.push('', `Lines containing failures of ${b.ip}:`, '');
        for (const l of b.lines.slice(-this.opts.linesMax)) parts.push(cleanText(l, 2000).replace(/\n/g, ' '));
      }
    }
    parts.push('', 'Regards,', '', 'voipguard');

    await this.mailer.send({
      from: { name: this.opts.senderName, address: this.opts.sender },
      to: this.opts.dest,
      subject: digestTitle(d),
      date: this.clock.now(),
      body: parts.join('\n'),
    });
  }
}
