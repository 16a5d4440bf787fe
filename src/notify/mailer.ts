// Mail through the local MTA: `sendmail -t -oi -f <sender>` run with argv through the process runner
// (src/exec), the message on stdin.
// No shell, no `mail` program (whose `~` escapes were CVE-2021-32749). -oi: a line holding a single
// dot does not end the message.

import { VoipguardError } from '../core/errors.js';
import { EXIT_TIMEOUT, type CommandRunner } from '../exec/command-runner.js';
import { renderMail, type MailMessage } from './mail-message.js';

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export interface SendmailOptions {
  readonly path?: string; // default `sendmail` on PATH (/usr/sbin/sendmail on Debian)
  readonly timeoutMs?: number;
}

export class SendmailMailer implements Mailer {
  constructor(
    private readonly opts: SendmailOptions,
    private readonly runner: CommandRunner,
  ) {}

  async send(message: MailMessage): Promise<void> {
    const path = this.opts.path ?? 'sendmail';
    const r = await this.runner.run([path, '-t', '-oi', '-f', message.from.address], {
      input: renderMail(message),
      timeoutMs: this.opts.timeoutMs ?? 30_000,
      maxBuffer: 100_000,
    });
    if (r.exitCode !== 0) {
      const why = r.exitCode === EXIT_TIMEOUT ? 'timed out' : `exit ${r.exitCode}`;
      const stderr = r.stderr.trim().slice(0, 500);
      throw new VoipguardError('VG_NOTIFY_SEND', `${path} ${why}${stderr ? `: ${stderr}` : ''}`);
    }
  }
}
