// A notification action as a jail lists it (`action = iptables[…] sendmail-whois[dest=…]`): on ban
// it queues a notice and returns at once; digests leave from the queue on their own schedule. It
// has nothing to do on unban, start or stop except flushing the queue at stop.

import type { Clock } from '../core/clock.js';
import type { GuardNotice } from '../core/auth-signal.js';
import type { BanDecision } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Timers } from '../core/timers.js';
import { DigestQueue, NOTIFY_BACKOFF } from './digest-queue.js';
import type { HttpPoster } from './http-poster.js';
import { MailSink } from './mail-sink.js';
import type { Mailer, SendmailOptions } from './mailer.js';
import { noticeFromBan, type NotificationSink } from './notice.js';
import type { NotifyConfig } from './notify-options.js';
import { WebhookSink } from './webhook-sink.js';
import type { ExecWhoisOptions, WhoisLookup } from './whois.js';

export interface NotifyDeps {
  readonly timers: Timers;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** This host's name, for subjects (os.hostname() in the daemon). */
  readonly hostname: string;
  /** How mail, whois and webhooks leave: app.ts passes sendmail, whois and node:http; tests their twins. */
  readonly mailer: (opts: SendmailOptions) => Mailer;
  readonly whois: (opts: ExecWhoisOptions) => WhoisLookup;
  readonly poster: HttpPoster;
  readonly rng?: () => number;
}

export class NotifyAction {
  readonly queue: DigestQueue;
  private readonly sink: NotificationSink;
  private readonly alertDeps: { readonly log: Logger; readonly metrics: Metrics; readonly host: string };

  constructor(
    readonly config: NotifyConfig,
    deps: NotifyDeps,
  ) {
    const log = deps.log.child({ component: 'notify', action: config.action, name: config.name });
    let sink: NotificationSink;
    if (config.kind === 'mail') {
      const mailer = deps.mailer({ path: config.sendmailPath, timeoutMs: config.timeoutMs });
      const whois = config.whois ? deps.whois({ path: config.whoisPath, timeoutMs: 10_000 }) : null;
      sink = new MailSink(
        { dest: config.dest, sender: config.sender, senderName: config.senderName, whoisMax: config.whoisMax, linesMax: config.lines ? config.linesMax : 0 },
        mailer,
        whois,
        deps.clock,
      );
    } else {
      sink = new WebhookSink({ url: config.url, format: config.format, timeoutMs: config.timeoutMs }, deps.poster);
    }
    this.sink = sink;
    this.alertDeps = { log, metrics: deps.metrics, host: deps.hostname };
    this.queue = new DigestQueue(
      sink,
      {
        name: config.name,
        host: deps.hostname,
        delayMs: config.delayMs,
        intervalMs: config.intervalMs,
        maxPending: config.maxPending,
        // the sink's own timeouts come first; this only catches a send that never settles
        sendTimeoutMs: config.timeoutMs + 5_000,
        backoff: NOTIFY_BACKOFF,
      },
      { timers: deps.timers, clock: deps.clock, log, metrics: deps.metrics, ...(deps.rng ? { rng: deps.rng } : {}) },
    );
  }

  /** Queues the ban for the next digest. Synchronous, never throws, never waits for the network. */
  ban(decision: BanDecision, lines?: readonly string[]): void {
    this.queue.push(noticeFromBan(decision, lines));
  }

  /**
   * A suspected compromise, sent at once (never held for the digest). Synchronous, never throws:
   * the send runs in the background; a failure is logged and counted, not retried (the log fact stays).
   */
  alarm(n: Extract<GuardNotice, { event: 'compromise-suspected' }>): void {
    const sink = this.sink;
    if (!sink.alert) return;
    const { log, metrics, host } = this.alertDeps;
    const a = { name: this.config.name, host, jail: n.jail, ip: n.ip, account: n.account, failures: n.failures, time: n.time, banned: n.banned };
    let p: Promise<void>;
    try {
      p = sink.alert(a);
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then(
      () => metrics.notification(sink.channel, 'sent', 1),
      (e: unknown) => {
        metrics.notification(sink.channel, 'failed', 1);
        log.error({ event: 'alert-failed', ip: n.ip, err: (e as Error).message });
      },
    );
  }

  /** Sends what is queued (one last digest) and stops; bounded by `deadlineMs`. */
  close(deadlineMs?: number): Promise<void> {
    return this.queue.close(deadlineMs);
  }
}
