// The stages as the service runtime drives them: the parts of the stages' own interfaces it uses
// (jails/jail.ts, actions/jail-actions.ts, filters/filter.ts, the correlator, the sources). Only
// app.ts, the composition root, makes the concrete objects, so the runtime is tested with fakes.

import type { JailConfig } from '../config/load-config.js';
import type { AuthSignal, GuardNotice } from '../core/auth-signal.js';
import type { AmiEvent, Failure, LogLine } from '../core/types.js';
import type { FileState } from '../control/replies.js';
import type { Jail } from '../jails/jail.js';
import type { JailActions } from '../actions/jail-actions.js';

/** jails/jail.ts: pure decisions, every call takes `now`. */
export type JailEngine = Pick<
  Jail,
  | 'failure'
  | 'tick'
  | 'ban'
  | 'unban'
  | 'restore'
  | 'addIgnore'
  | 'delIgnore'
  | 'ignoreList'
  | 'status'
  | 'clampedTotal'
  | 'bannedCount'
  | 'restoreWindows'
  | 'takeWindowChanges'
  | 'maxTracked'
  | 'setSettings'
  | 'trackedCount'
  | 'signal'
  | 'expiredChallenges'
  | 'hasNotices'
  | 'takeNotices'
  | 'guardStatus'
> &
  Partial<Pick<Jail, 'takeSubnetRefusals' | 'subnetRefusals'>>;

/** filters/filter.ts LineFilter, as far as the runtime needs it. */
export interface LineMatcher {
  match(line: LogLine): { readonly failure: Failure | null; readonly hostile?: readonly string[]; readonly signal?: AuthSignal };
  /** Lines past the cheap pre-check so far (candidate lines); the runtime reads it around match(). */
  readonly candidates: number;
}

/** filters/ami-failures.ts: an AMI event → a Failure for this jail's event set. */
export interface AmiMatcher {
  toFailure(e: AmiEvent): Failure | null;
  /** The failure or the signal (ChallengeSent, SuccessfulAuth) of an event; toFailure() when absent. */
  read?(e: AmiEvent): { readonly failure: Failure | null; readonly signal: AuthSignal | null };
}

/** correlate/attempt-correlator.ts: false when the failure is another signal of an attempt already counted. */
export interface FailureGate {
  accept(f: Failure, now: number): boolean;
}

/** jails/registration-book.ts behind the jail's log sources (docs/registrations.md); AMI feeds it in app.ts. */
export interface RegistrationPort {
  /** A SuccessfulAuth read from a log line (the book keeps it when it proves a registration). */
  success(s: AuthSignal, now: number): void;
}

/** actions/jail-actions.ts. None of these reject. */
export type ActionsPort = Pick<JailActions, 'start' | 'stop' | 'apply' | 'check' | 'reconcile' | 'pending'> &
  Partial<Pick<JailActions, 'rangesRefusedBy' | 'awaiting' | 'pendingCount' | 'presume'>>;

export interface SourceStatus {
  readonly kind: 'file' | 'journal';
  readonly files: readonly FileState[];
  readonly waitingFor: readonly string[];
  readonly journalMatches?: readonly string[];
}

/** A log source of one jail (files, journal): lines go to the sink given when it was made. */
export interface SourcePort {
  start(): Promise<void>;
  stop(): Promise<void>;
  status(): SourceStatus;
  /** SIGHUP-style nudge: look at the files now (rotation by an outside tool). Optional. */
  poll?(): Promise<void>;
}

/** What the composition root makes for one jail. Throwing VoipguardError(s) skips the jail. */
export interface JailParts {
  readonly engine: JailEngine;
  readonly filter: LineMatcher | null;
  readonly ami: AmiMatcher | null;
  readonly gate: FailureGate | null;
  readonly actions: ActionsPort;
  readonly sources: readonly SourcePort[];
  /** A suspected compromise, sent at once through the jail's notify actions (none: only logged). */
  readonly alarm?: (n: GuardNotice) => void;
  /** Where SuccessfulAuth lines go (absent: nowhere). */
  readonly registrations?: RegistrationPort;
}

/** Where a jail's sources deliver: each line, and the count of lines a byte pre-check turned away. */
export interface LineSink {
  (line: LogLine): void;
  /** Lines of `source` the filter's pre-check on bytes turned away without decoding them. */
  skipped(source: string, lines: number): void;
}

export interface JailFactory {
  /** `amiEnabled`: the [ami] section of the config this jail is (re)started from enables AMI. */
  make(cfg: JailConfig, sink: LineSink, amiEnabled: boolean): JailParts;
}
