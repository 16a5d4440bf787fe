// AMI event → Failure, for one jail. The conversion itself is the shared securityEventToFailure (the
// security-log filter uses it too, so both sources yield the same record for the same event); this
// adds the jail's event set and the bookkeeping: an event with a key written twice is hostile (an
// attacker planted a header through an unescaped SIP field, facts §1.10), so it is logged and counted,
// and the address Asterisk wrote last is the one used.

import type { AmiEvent, Failure } from '../core/types.js';
import { DEFAULT_SECURITY_EVENTS, securityEventToFailure } from './security-event.js';
import type { Logger } from '../log/logger.js';

export interface AmiFailureStats {
  readonly events: number;
  readonly failures: number;
  readonly hostile: number; // events with a duplicated key or a line that is not `Key: value`
  readonly notAFailure: number; // other event names (ChallengeSent, SuccessfulAuth, …)
  readonly badAddress: number; // a failure event without a usable RemoteAddress
}

export interface AmiFailureOptions {
  /** Event names that count for this jail (`amievents`); ChallengeSent/SuccessfulAuth never do. */
  readonly events?: Iterable<string>;
  readonly jail?: string; // for log lines
  readonly log: Logger;
}

export const AMI_SOURCE = 'ami';

export class AmiFailureFilter {
  private readonly events: ReadonlySet<string>;
  private readonly log: Logger;
  private readonly jail: string | undefined;
  private n = { events: 0, failures: 0, hostile: 0, notAFailure: 0, badAddress: 0 };

  constructor(opts: AmiFailureOptions) {
    this.events = new Set(opts.events ?? DEFAULT_SECURITY_EVENTS);
    this.jail = opts.jail;
    this.log = opts.log;
  }

  toFailure(e: AmiEvent): Failure | null {
    this.n.events++;
    const r = securityEventToFailure(e.fields, {
      origin: 'ami',
      source: AMI_SOURCE,
      fallbackTime: e.receivedAt,
      events: this.events,
    });
    const malformed = e.malformedLines ?? 0;
    if (r.duplicateKeys.length > 0 || malformed > 0) {
      this.n.hostile++;
      this.log.warn({
        event: 'ami-hostile-event',
        jail: this.jail,
        kind: r.failure?.kind ?? firstValue(e),
        ip: r.failure?.ip,
        duplicateKeys: r.duplicateKeys,
        ...(malformed > 0 ? { malformedLines: malformed } : {}),
      });
    }
    if (r.failure !== null) this.n.failures++;
    else if (r.reason === 'not-a-failure-event') this.n.notAFailure++;
    else this.n.badAddress++;
    return r.failure;
  }

  stats(): AmiFailureStats {
    return { ...this.n };
  }
}

function firstValue(e: AmiEvent): string | undefined {
  const v = e.fields[0]?.[1];
  return v === undefined ? undefined : v.slice(0, 64);
}
