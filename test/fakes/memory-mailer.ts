// The in-memory twin of SendmailMailer: keeps what would have been sent.

import type { MailMessage } from '../../src/notify/mail-message.js';
import type { Mailer } from '../../src/notify/mailer.js';

export class MemoryMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  async send(message: MailMessage): Promise<void> {
    this.sent.push(message);
  }
}
