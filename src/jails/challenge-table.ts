// Unanswered challenges (docs/beyond-one-address.md, "challengetimeout"). Pure: every call takes the
// event time or `now`; the jail's tick calls settle() to collect the challenges that timed out.
//
// A session is (address, SessionID). A ChallengeSent opens it; ChallengeResponseFailed,
// InvalidPassword or SuccessfulAuth from the same address and session answers it. One not answered
// within `timeout` of its challenge is one failure of kind `unanswered-challenge`. An answer that
// arrives before its challenge (the AMI event ahead of the log line) is kept for `timeout` so the
// late challenge finds it answered. A retransmitted challenge of an open session changes nothing.
//
// Bounded: at most `cap` sessions; past it the oldest is dropped (counted, never a failure: the
// table cannot tell whether it would have been answered). The SessionID is the caller's text: it
// is cut to SESSION_ID_MAX characters for the key. The AccountID too: cut to ACCOUNT_NAME_MAX and
// copied, so that a pending challenge keeps its account's characters, not the line they were cut
// from (core/detach.ts; test/jails/account-names.test.ts).

import { detach } from '../core/detach.js';
import type { Failure, Origin } from '../core/types.js';
import { ACCOUNT_NAME_MAX } from './account-windows.js';

export const DEFAULT_MAX_CHALLENGES = 100_000;
export const SESSION_ID_MAX = 256;
export const UNANSWERED_KIND = 'unanswered-challenge';

export interface ChallengeInfo {
  readonly ip: string;
  readonly time: number;
  readonly sessionId: string;
  readonly origin: Origin;
  readonly source: string;
  readonly service?: string;
  readonly account?: string;
}

interface Session {
  readonly info: ChallengeInfo | null; // null: answered before any challenge was seen
  readonly time: number;
  answered: boolean;
}

export class ChallengeTable {
  private readonly map = new Map<string, Session>();
  /** Open sessions replaced by a new challenge after their timeout, waiting for settle(). */
  private overdue: ChallengeInfo[] = [];
  private dropped = 0;

  constructor(
    private timeout: number,
    private readonly cap = DEFAULT_MAX_CHALLENGES,
  ) {
    if (!(cap >= 1)) throw new RangeError('cap must be at least 1');
  }

  setTimeout(ms: number): void {
    this.timeout = ms;
  }

  get size(): number {
    return this.map.size;
  }

  /** Sessions dropped by the cap so far. */
  get droppedCount(): number {
    return this.dropped;
  }

  /** A ChallengeSent. Without a SessionID there is nothing an answer could match: ignored. */
  challenge(c: ChallengeInfo): void {
    if (c.sessionId === '') return;
    const key = keyOf(c.ip, c.sessionId);
    const s = this.map.get(key);
    if (s !== undefined && s.time + this.timeout > c.time) return; // open or answered, and recent: the same session
    if (s !== undefined) {
      // a session reused after its timeout (a phone re-registers with its Call-ID): the old one is settled first
      this.map.delete(key);
      if (!s.answered && s.info !== null) this.overdue.push(s.info);
    }
    const sessionId = key.slice(c.ip.length + 1);
    const info: ChallengeInfo = c.account === undefined ? { ...c, sessionId } : { ...c, sessionId, account: detach(c.account.slice(0, ACCOUNT_NAME_MAX)) };
    this.insert(key, { info, time: c.time, answered: false });
  }

  /** An answer (ChallengeResponseFailed, InvalidPassword, SuccessfulAuth) from `ip` in `sessionId`. */
  answer(ip: string, sessionId: string | undefined, t: number): void {
    if (sessionId === undefined || sessionId === '') return;
    const key = keyOf(ip, sessionId);
    const s = this.map.get(key);
    if (s !== undefined) {
      s.answered = true;
      return;
    }
    this.insert(key, { info: null, time: t, answered: true });
  }

  /** The challenges that timed out unanswered by `now`, as failures; forgets every session past its timeout. */
  settle(now: number): Failure[] {
    const out: Failure[] = [];
    for (const c of this.overdue) out.push(toFailure(c));
    this.overdue = [];
    for (const [key, s] of this.map) {
      if (s.time + this.timeout > now) break; // insertion order is nearly time order; the rest wait
      this.map.delete(key);
      if (!s.answered && s.info !== null) out.push(toFailure(s.info));
    }
    return out;
  }

  private insert(key: string, s: Session): void {
    if (this.map.size >= this.cap) {
      const first = this.map.keys().next();
      if (first.done !== true) {
        this.map.delete(first.value);
        this.dropped++;
      }
    }
    this.map.set(key, s);
  }
}

function keyOf(ip: string, sessionId: string): string {
  return `${ip} ${sessionId.length > SESSION_ID_MAX ? sessionId.slice(0, SESSION_ID_MAX) : sessionId}`;
}

function toFailure(c: ChallengeInfo): Failure {
  return {
    ip: c.ip,
    time: c.time,
    kind: UNANSWERED_KIND,
    origin: c.origin,
    source: c.source,
    sessionId: c.sessionId,
    ...(c.service !== undefined ? { service: c.service } : {}),
    ...(c.account !== undefined ? { account: c.account } : {}),
  };
}
