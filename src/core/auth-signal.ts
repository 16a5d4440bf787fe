// The security events that are not failures but that some jail rules read (docs/beyond-one-address.md):
// ChallengeSent (a 401 sent: unanswered, it is a scanner's probe) and SuccessfulAuth (a login: after
// failures, a guessed password). They travel filter → jail beside failures, never counted as one.
// Same contract as Failure: `ip` validated and normalised, taken only from where Asterisk writes it.

import type { Origin } from './types.js';

export type AuthSignalKind = 'ChallengeSent' | 'SuccessfulAuth';

export const AUTH_SIGNAL_KINDS: readonly AuthSignalKind[] = Object.freeze(['ChallengeSent', 'SuccessfulAuth']);

export interface AuthSignal {
  readonly kind: AuthSignalKind;
  readonly ip: string;
  readonly time: number;
  readonly origin: Origin;
  readonly source: string;
  readonly service?: string;
  readonly account?: string; // attacker-controlled
  readonly sessionId?: string; // attacker-controlled (a Call-ID)
  /** SuccessfulAuth's UsingPassword (false: `0`, no credentials were checked); absent when not written. */
  readonly usingPassword?: boolean;
}

/** What a jail noticed beyond its ban decisions, for the log, metrics and the notify actions. */
export type GuardNotice =
  | {
      readonly event: 'account-attack';
      readonly jail: string;
      /** Cut to the length cap; attacker-written: log it escaped, never as a label. */
      readonly account: string;
      /** Addresses seen failing against the account when the attack started. */
      readonly addresses: number;
      /** Of those, banned at once. */
      readonly banned: number;
      readonly time: number;
    }
  | {
      readonly event: 'compromise-suspected';
      readonly jail: string;
      readonly ip: string;
      readonly account: string;
      /** Failures of the address within findtime before the login. */
      readonly failures: number;
      readonly time: number;
      /** bansuspected: the address is banned too. */
      readonly banned: boolean;
    };
