// AMI event → Failure, for one jail. The conversion itself is the shared securityEventToFailure (the
// security-log filter uses it too, so both sources yield the same record for the same event); this
// adds the jail's event set and the bookkeeping: an event the session found planted lines in (a key
// written twice, a line that is no header, a blank line that cut it, an over-long line; docs/ami.md)
// is hostile, so it is logged and counted; its fields are already the ones Asterisk wrote. An EventTV
// further than the clamp window from the receive time is the attacker's (a planted `EventTV:` would
// date the attempt out of every findtime) or a broken clock: the receive time is used.

import type { AuthSignal, AuthSignalKind } from '../core/auth-signal.js';
import type { AmiEvent, Failure } from '../core/types.js';
import { DEFAULT_SECURITY_EVENTS, NO_KEYS, securityEventToFailure } from './security-event.js';
import type { Logger } from '../log/logger.js';

export interface AmiFailureStats {
  readonly events: number;
  readonly failures: number;
  readonly hostile: number; // events with planted, repeated or over-long lines
  readonly eventTvIgnored: number; // EventTV outside the clamp window: the receive time was used
  readonly notAFailure: number; // other event names (ChallengeSent, SuccessfulAuth, …)
  readonly badAddress: number; // a failure event without a usable RemoteAddress
}

export interface AmiFailureOptions {
  /** Event names that count for this jail (`amievents`); ChallengeSent/SuccessfulAuth never do. */
  readonly events?: Iterable<string>;
  readonly jail?: string; // for log lines
  readonly log: Logger;
  /** The jail's clamp window (ms): an EventTV further than this from the receive time is ignored. */
  readonly maxSkewMs?: number;
  /** ChallengeSent / SuccessfulAuth read as signals (docs/beyond-one-address.md); default none. */
  readonly signals?: Iterable<AuthSignalKind>;
}

/** One AMI event read: a failure, a signal, or neither. */
export interface AmiReading {
  readonly failure: Failure | null;
  readonly signal: AuthSignal | null;
}

/** The jail's default clamp window (jails/jail.ts DEFAULT_MAX_SKEW, which a test keeps equal). */
export const AMI_MAX_SKEW_MS = 10 * 60_000;

export const AMI_SOURCE = 'ami';

export class AmiFailureFilter {
  private readonly events: ReadonlySet<string>;
  private readonly log: Logger;
  private readonly jail: string | undefined;
  private readonly maxSkewMs: number;
  private readonly signals: ReadonlySet<AuthSignalKind> | undefined;
  private n = { events: 0, failures: 0, hostile: 0, eventTvIgnored: 0, notAFailure: 0, badAddress: 0 };

  constructor(opts: AmiFailureOptions) {
    this.events = new Set(opts.events ?? DEFAULT_SECURITY_EVENTS);
    this.jail = opts.jail;
    this.log = opts.log;
    this.maxSkewMs = opts.maxSkewMs ?? AMI_MAX_SKEW_MS;
    this.signals = opts.signals ? new Set(opts.signals) : undefined;
  }

  toFailure(e: AmiEvent): Failure | null {
    return this.read(e).failure;
  }

  /** The failure or signal of an event. A signal's EventTV is clamped like a failure's. */
  read(e: AmiEvent): AmiReading {
    this.n.events++;
    const r = securityEventToFailure(e.fields, {
      origin: 'ami',
      source: AMI_SOURCE,
      fallbackTime: e.receivedAt,
      events: this.events,
      signals: this.signals,
      // the session shaped the event to one value per key (sources/ami-event-shape.ts) and reported repeats itself
      uniqueKeys: e.uniqueKeys === true,
    });
    let signal = r.signal ?? null;
    if (signal !== null && Math.abs(signal.time - e.receivedAt) > this.maxSkewMs) signal = { ...signal, time: e.receivedAt };
    let failure = r.failure;
    if (failure !== null && Math.abs(failure.time - e.receivedAt) > this.maxSkewMs) {
      this.n.eventTvIgnored++;
      failure = { ...failure, time: e.receivedAt };
    }
    const malformed = e.malformedLines ?? 0;
    const hostile = (e.hostile?.length ?? 0) + r.duplicateKeys.length > 0 ? [...(e.hostile ?? []), ...r.duplicateKeys.map((k) => `duplicate:${k}`)] : NO_KEYS;
    if (hostile.length > 0 || malformed > 0) {
      this.n.hostile++;
      this.log.warn({
        event: 'ami-hostile-event',
        jail: this.jail,
        kind: failure?.kind ?? firstValue(e),
        ip: failure?.ip,
        hostile,
        ...(malformed > 0 ? { malformedLines: malformed } : {}),
      });
    }
    if (failure !== null) this.n.failures++;
    else if (r.reason === 'not-a-failure-event') this.n.notAFailure++;
    else this.n.badAddress++;
    return { failure, signal };
  }

  stats(): AmiFailureStats {
    return { ...this.n };
  }
}

function firstValue(e: AmiEvent): string | undefined {
  const v = e.fields[0]?.[1];
  return v === undefined ? undefined : v.slice(0, 64);
}
