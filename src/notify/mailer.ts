// Mail through the local MTA: `sendmail -t -oi -f <sender>` spawned with argv, the message on stdin.
// No shell, no `mail` program (whose `~` escapes were CVE-2021-32749). -oi: a line holding a single
// dot does not end the message.

import { execa } from 'execa';
import { VoipguardError } from '../core/errors.js';
import { renderMail, type MailMessage } from './mail-message.js';

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export interface SendmailOptions {
  readonly path?: string; // default `sendmail` on PATH (/usr/sbin/sendmail on Debian)
  readonly timeoutMs?: number;
}

export class SendmailMailer implements Mailer {
  constructor(private readonly opts: SendmailOptions = {}) {}

  async send(message: MailMessage): Promise<void> {
    const path = this.opts.path ?? 'sendmail';
    const r = await execa(path, ['-t', '-oi', '-f', message.from.address], {
      input: renderMail(message),
      timeout: this.opts.timeoutMs ?? 30_000,
      reject: false,
      stdout: 'ignore',
      maxBuffer: 100_000,
    });
    if (r.failed) {
      const why = r.timedOut ? 'timed out' : r.exitCode !== undefined ? `exit ${r.exitCode}` : (r.originalMessage ?? 'failed');
      const stderr = typeof r.stderr === 'string' ? r.stderr.trim().slice(0, 500) : '';
      throw new VoipguardError('VG_NOTIFY_SEND', `${path} ${why}${stderr ? `: ${stderr}` : ''}`);
    }
  }
}

export class MemoryMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  async send(message: MailMessage): Promise<void> {
    this.sent.push(message);
  }
}
