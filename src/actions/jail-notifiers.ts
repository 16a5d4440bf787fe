// The notification actions of one jail, for the daemon. The jail's `action` list is shared with the
// firewall (actions/jail-actions.ts skips the entries whose action.d file says `notify = …`); this
// loads those entries. `withNotifiers` wraps a jail's ActionsPort so every ban decision is queued
// for notification, synchronously, before the firewall transaction starts: a notification can never
// delay a ban, and the firewall's retries never hold back a notification.

import { detach } from '../core/detach.js';
import { VoipguardError, VoipguardErrors } from '../core/errors.js';
import type { GuardNotice } from '../core/auth-signal.js';
import type { Decision, Failure } from '../core/types.js';
import type { JailActions } from './jail-actions.js';
import { loadNotifyConfig, type LoadNotifyOptions } from '../notify/load-notify-action.js';
import { NotifyAction, type NotifyDeps } from '../notify/notify-action.js';

export interface JailNotifiers {
  readonly actions: readonly NotifyAction[];
  /** Keeps the matched line of a counted failure for sendmail-whois-lines. O(1), bounded. */
  failure(f: Failure): void;
  /** Queues every ban decision. Synchronous; never throws. */
  decisions(ds: readonly Decision[]): void;
  /** A suspected compromise, sent at once through every notify action (not in the digest). Never throws. */
  alarm(n: GuardNotice): void;
  /** Sends what is queued and stops, within `deadlineMs`. */
  close(deadlineMs?: number): Promise<void>;
}

export interface JailNotifierContext {
  readonly jail: string;
  readonly actions: readonly { name: string; args: Readonly<Record<string, string>> }[];
}

/** Addresses whose recent lines are kept, and lines per address. */
const LINE_MEMORY = { ips: 5_000, perIp: 50 };
/** Characters of a line kept for a mail. */
const MAX_LINE_KEPT = 2000;

/**
 * Loads the jail's notification actions; the others are left to loadJailActions. Config errors
 * (all of them) are thrown before anything runs, as loadJailActions does.
 */
export function loadJailNotifiers(
  ctx: JailNotifierContext,
  deps: NotifyDeps & Omit<LoadNotifyOptions, 'jail'>,
  warn: (message: string) => void = (m) => deps.log.warn({ event: 'config-warning', jail: ctx.jail }, m),
): JailNotifiers {
  const errors: VoipguardError[] = [];
  const actions: NotifyAction[] = [];
  for (const a of ctx.actions) {
    try {
      const cfg = loadNotifyConfig(
        a.name,
        a.args,
        {
          jail: ctx.jail,
          configDir: deps.configDir,
          ...(deps.reader ? { reader: deps.reader } : {}),
          place: { section: ctx.jail, key: 'action', ...deps.place },
        },
        warn,
        errors,
      );
      if (cfg) actions.push(new NotifyAction(cfg, deps));
    } catch (e) {
      if (!(e instanceof VoipguardError)) throw e;
      errors.push(e);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new VoipguardErrors(errors);
  return new Notifiers(actions);
}

class Notifiers implements JailNotifiers {
  private readonly wantLines: boolean;
  private readonly lines = new Map<string, string[]>();

  constructor(readonly actions: readonly NotifyAction[]) {
    this.wantLines = actions.some((a) => a.config.kind === 'mail' && a.config.lines);
  }

  failure(f: Failure): void {
    if (!this.wantLines || f.line === undefined) return;
    let list = this.lines.get(f.ip);
    if (list)
      this.lines.delete(f.ip); // re-insert: the map's order is least recently failed first
    else {
      list = [];
      if (this.lines.size >= LINE_MEMORY.ips) this.lines.delete(this.lines.keys().next().value!);
    }
    // a copy of the cut: the cut itself is a view that keeps the whole line (core/detach.ts)
    list.push(f.line.length > MAX_LINE_KEPT ? detach(f.line.slice(0, MAX_LINE_KEPT)) : f.line);
    if (list.length > LINE_MEMORY.perIp) list.shift();
    this.lines.set(f.ip, list);
  }

  decisions(ds: readonly Decision[]): void {
    for (const d of ds) {
      if (d.type !== 'ban') continue;
      const lines = this.lines.get(d.ip);
      this.lines.delete(d.ip);
      for (const a of this.actions) a.ban(d, lines);
    }
  }

  alarm(n: GuardNotice): void {
    if (n.event !== 'compromise-suspected') return;
    for (const a of this.actions) a.alarm(n);
  }

  async close(deadlineMs?: number): Promise<void> {
    await Promise.all(this.actions.map((a) => a.close(deadlineMs)));
  }
}

type Wrappable = Pick<JailActions, 'apply' | 'stop'>;

/**
 * The jail's actions with notifications added: `apply` queues the bans for notification first
 * (synchronously), then runs the firewall; `stop` stops the firewall, then flushes the queues.
 * Every other member is the original's. Without notifiers the actions come back unchanged.
 */
export function withNotifiers<A extends Wrappable>(actions: A, notifiers: JailNotifiers): A {
  if (notifiers.actions.length === 0) return actions;
  const apply: Wrappable['apply'] = (ds, now) => {
    notifiers.decisions(ds);
    return actions.apply(ds, now);
  };
  const stop: Wrappable['stop'] = async (opts) => {
    await actions.stop(opts);
    await notifiers.close();
  };
  return new Proxy(actions, {
    get(target, prop) {
      if (prop === 'apply') return apply;
      if (prop === 'stop') return stop;
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
