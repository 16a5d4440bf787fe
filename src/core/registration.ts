// The records that tell the jails which addresses hold live registrations (issue 16, part 3;
// docs/registrations.md): a successful login seen in a security event, and a contact that Asterisk
// reports over AMI. Filters make them, the registration book (jails/registration-book.ts) keeps
// them. Like Failure, they are plain readonly records.

import type { Origin } from './types.js';

/**
 * A SuccessfulAuth security event. `ip` is canonical and comes from RemoteAddress, the position
 * Asterisk writes itself (docs/asterisk-facts.md §1.2); `account` is the AccountID, which for a
 * successful login is the endpoint (or AMI user) Asterisk authenticated.
 */
export interface AuthSuccess {
  readonly type: 'auth';
  readonly ip: string;
  readonly account: string;
  readonly time: number;
  readonly origin: Origin;
  readonly source: string;
  readonly service?: string;
}

/**
 * A PJSIP contact, from a `ContactStatus` event or a `ContactList` item of `PJSIPShowContacts`.
 * `host` is the host of the contact URI, which the registering device wrote (canonical, or null
 * when it is no IP address): it is never trusted on its own (docs/registrations.md, "Trust").
 */
export interface ContactSignal {
  readonly type: 'contact';
  /** AOR and URI: the contact's identity in Asterisk. */
  readonly aor: string;
  readonly uri: string;
  /** The endpoint (account) the contact belongs to: EndpointName, else the AOR. */
  readonly account: string;
  readonly host: string | null;
  /** live: Created/Updated/Reachable/Unknown/NonQualified or listed; down: Unreachable; removed: Removed. */
  readonly state: 'live' | 'down' | 'removed';
  /** Absolute expiry Asterisk gives (ContactList ExpirationTime), ms; null when not given. */
  readonly expires: number | null;
  readonly time: number;
}

export type RegistrationSignal = AuthSuccess | ContactSignal;

/** Attacker-written names are cut to this length before they are kept or compared. */
export const MAX_ACCOUNT_CHARS = 256;
