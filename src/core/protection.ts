// What a wide or remote ban must never cover, whatever decided it: addresses that hold a live
// registration (a phone, a trunk) and the host's own addresses. The jails protect a registered
// address for its own account (issue 16); subnet bans, blocklist feeds and bans from other nodes
// refuse any entry that would cover one of these (issues 18, 19). The concrete sources are picked
// in app.ts; tests pass literals.

/** Addresses that authenticated successfully or hold a live contact, by account. */
export interface LiveRegistrations {
  /** True when `ip` is registered (or authenticated within registeredttl) for any account at `now`. */
  isRegistered(ip: string, now: number): boolean;
  /** True when `ip` is registered for this account at `now`. */
  isRegisteredFor(ip: string, account: string, now: number): boolean;
  /** Every address registered at `now` (for prefix checks). */
  addresses(now: number): readonly string[];
}

/** The host's own addresses (every interface), read when asked. */
export interface HostAddresses {
  addresses(): readonly string[];
}

/** No registration is known: a jail without AMI or security events, or a unit test. */
export const NO_REGISTRATIONS: LiveRegistrations = Object.freeze({
  isRegistered: () => false,
  isRegisteredFor: () => false,
  addresses: () => [],
});
