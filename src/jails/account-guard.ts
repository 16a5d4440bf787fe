// The jail's rules beyond one address at a time (docs/beyond-one-address.md): per-account counting
// across addresses (account-windows.ts), unanswered challenges (challenge-table.ts) and the
// compromise alarm (a login from an address that was failing). Pure, like the jail that owns it:
// every call takes an event time or `now`. What it notices (an account attack starting, a suspected
// compromise) is queued as GuardNotice records for the runtime to log, count and notify.

import type { AuthSignal, GuardNotice } from '../core/auth-signal.js';
import type { JailConfig } from '../config/jail-schema.js';
import type { Failure } from '../core/types.js';
import { ACCOUNT_NAME_MAX, AccountWindows, type AccountAttack, type AccountCaps, type AccountLimits } from './account-windows.js';
import { ChallengeTable } from './challenge-table.js';
import type { RecordAddresses } from './failure-windows.js';
import { randomSeed, StringHasher } from './string-hasher.js';

export type GuardSettings = Pick<JailConfig, 'name' | 'findtime'> &
  Partial<Pick<JailConfig, 'accountretry' | 'accountfindtime' | 'accountminfailures' | 'challengetimeout' | 'suspectfailures' | 'bansuspected'>>;

export interface GuardCaps extends AccountCaps {
  readonly challenges?: number;
  /** (address, account) pairs remembered so one compromise raises one alarm per findtime. */
  readonly alarms?: number;
}

/** AccountIDs that name no account: Asterisk's placeholder for an unknown user, and nothing (two
 *  compares: a Set lookup would hash every account name, up to 128 characters, once more per failure). */
const UNKNOWN_ACCOUNT = '<unknown>';
const DEFAULT_SUSPECT = 3;
const NO_ADDRESSES: readonly string[] = Object.freeze([]);
const DEFAULT_MAX_ALARMS = 10_000;
/** Notices kept between two takeNotices() (the runtime takes them after every call). */
const MAX_NOTICES = 1000;

export interface GuardStatus {
  readonly accountsUnderAttack: number;
  readonly accounts: readonly AccountAttack[];
  readonly trackedAccounts: number;
  readonly pendingChallenges: number;
}

export class AccountGuard {
  private accounts: AccountWindows | null = null;
  private challenges: ChallengeTable | null = null;
  private readonly alarmed = new Map<string, number>();
  private notices: GuardNotice[] = [];
  private cfg!: GuardSettings;

  constructor(
    cfg: GuardSettings,
    private readonly caps: GuardCaps = {},
    private readonly hasher: StringHasher = new StringHasher(randomSeed()),
    private readonly records: RecordAddresses | null = null,
  ) {
    this.setSettings(cfg);
  }

  /** New settings: a rule switched off forgets its state; one switched on starts empty. */
  setSettings(cfg: GuardSettings): void {
    this.cfg = cfg;
    const retry = cfg.accountretry ?? 0;
    if (retry > 0) {
      const findtime = cfg.accountfindtime || cfg.findtime;
      const minFailures = cfg.accountminfailures ?? 2;
      // an address's single failure is kept with its record in the failure windows, which lives
      // while the address failed within findtime: not past it, and of no use when one failure bans
      const limits: AccountLimits = { retry, findtime, minFailures, singles: minFailures >= 2 && findtime <= cfg.findtime };
      if (this.accounts) this.accounts.setLimits(limits);
      else this.accounts = new AccountWindows(limits, this.caps, this.hasher, this.records);
    } else this.accounts = null;
    const timeout = cfg.challengetimeout ?? 0;
    if (timeout > 0) {
      if (this.challenges) this.challenges.setTimeout(timeout);
      else this.challenges = new ChallengeTable(timeout, this.caps.challenges);
    } else this.challenges = null;
  }

  /**
   * A counted failure of an address that is neither ignored nor banned, at event time `t`.
   * Returns the addresses per-account counting bans now (maybe including f.ip). `ipHash`: the
   * address's hash in the jail's keyed hash, when the jail has it; `record`: its record number in
   * the jail's failure windows (-1: none), reported to addressGone() when it goes.
   */
  failure(f: Failure, t: number, ipHash = -1, record = -1): readonly string[] {
    if (this.challenges !== null && (f.kind === 'ChallengeResponseFailed' || f.kind === 'InvalidPassword')) {
      this.challenges.answer(f.ip, f.sessionId, t);
    }
    const account = f.account;
    if (this.accounts === null || account === undefined || account.length === 0 || account === UNKNOWN_ACCOUNT) return NO_ADDRESSES;
    const r = this.accounts.add(account, f.ip, t, ipHash, record);
    if (r.started !== null) {
      this.notice({
        event: 'account-attack',
        jail: this.cfg.name,
        account: r.started.account,
        addresses: r.started.addresses,
        banned: r.started.banned,
        time: t,
      });
    }
    return r.ban;
  }

  /** The jail's failure windows no longer hold `record` (account-windows.ts: its single failure goes). */
  addressGone(record: number): void {
    this.accounts?.addressGone(record);
  }

  /**
   * A ChallengeSent or SuccessfulAuth of an address that is not ignored, at event time `t`;
   * `recentFailures`: the address's failures within findtime. True when the address is to be
   * banned (bansuspected).
   */
  signal(s: AuthSignal, t: number, recentFailures: number): boolean {
    if (s.kind === 'ChallengeSent') {
      this.challenges?.challenge({
        ip: s.ip,
        time: t,
        sessionId: s.sessionId ?? '',
        origin: s.origin,
        source: s.source,
        ...(s.service !== undefined ? { service: s.service } : {}),
        ...(s.account !== undefined ? { account: s.account } : {}),
      });
      return false;
    }
    this.challenges?.answer(s.ip, s.sessionId, t);
    const suspect = this.cfg.suspectfailures ?? DEFAULT_SUSPECT;
    if (suspect <= 0 || recentFailures < suspect) return false;
    const account = cut(s.account ?? '');
    const key = `${s.ip} ${account}`;
    const last = this.alarmed.get(key);
    if (last !== undefined && last + this.cfg.findtime >= t) return false; // one alarm per findtime
    this.alarmed.delete(key);
    if (this.alarmed.size >= (this.caps.alarms ?? DEFAULT_MAX_ALARMS)) this.alarmed.delete(this.alarmed.keys().next().value!);
    this.alarmed.set(key, t);
    const ban = this.cfg.bansuspected === true;
    this.notice({ event: 'compromise-suspected', jail: this.cfg.name, ip: s.ip, account, failures: recentFailures, time: t, banned: ban });
    return ban;
  }

  /** The challenges that timed out unanswered by `now`, as failures for the jail to count. */
  settle(now: number): Failure[] {
    return this.challenges?.settle(now) ?? [];
  }

  /** Forgets ended attacks, stale accounts and old alarms (the jail's tick). */
  prune(now: number): void {
    this.accounts?.prune(now);
    for (const [k, t] of this.alarmed) {
      if (t + this.cfg.findtime >= now) break;
      this.alarmed.delete(k);
    }
  }

  get hasNotices(): boolean {
    return this.notices.length > 0;
  }

  takeNotices(): GuardNotice[] {
    const out = this.notices;
    this.notices = [];
    return out;
  }

  status(now: number, limit = 100): GuardStatus {
    const a = this.accounts?.attacked(now, limit) ?? { count: 0, list: [] };
    return { accountsUnderAttack: a.count, accounts: a.list, trackedAccounts: this.accounts?.size ?? 0, pendingChallenges: this.challenges?.size ?? 0 };
  }

  private notice(n: GuardNotice): void {
    if (this.notices.length < MAX_NOTICES) this.notices.push(n);
  }
}

function cut(account: string): string {
  return account.length > ACCOUNT_NAME_MAX ? account.slice(0, ACCOUNT_NAME_MAX) : account;
}
