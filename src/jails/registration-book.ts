// Which addresses hold live registrations, for which account (issue 16, part 3; docs/registrations.md).
// Pure: no clock (every call takes `now`), no I/O; bounded in size. One book is made in app.ts and
// fed by every jail's sources; each jail asks it through a view with its own registeredttl.
//
// What it believes (the trust model, docs/registrations.md "Trust"):
// - a SuccessfulAuth for account A from address X (RemoteAddress, written by Asterisk) registers
//   (X, A) for registeredttl from the event's time;
// - a contact (ContactStatus, PJSIPShowContacts) is the device's own claim about its address: it
//   registers nothing by itself. A live contact of account A whose URI host is X keeps (X, A)
//   registered past registeredttl, but only when (X, A) logged in successfully within RETAIN_MS;
//   it stops at Removed, at Unreachable, at its ExpirationTime, or CONTACT_MAX_AGE after Asterisk
//   last said anything about it.

import { detach } from '../core/detach.js';
import { MAX_ACCOUNT_CHARS, type ContactSignal, type RegistrationSignal } from '../core/registration.js';
import type { LiveRegistrations } from '../core/protection.js';

/** Default registeredttl (the jail key's default). */
export const DEFAULT_REGISTERED_TTL = 3_600_000;
/** How long a login keeps its pair known to the contacts (the longest registeredttl allowed). */
export const RETAIN_MS = 86_400_000;
/** A contact Asterisk has said nothing about for this long (no expiry given) is taken as gone. */
export const CONTACT_MAX_AGE = 2 * 3_600_000;
/** Defaults for the caps: (address, account) pairs and contacts, least recently seen evicted. */
export const DEFAULT_MAX_PAIRS = 20_000;
export const DEFAULT_MAX_CONTACTS = 20_000;

export interface RegistrationBookOptions {
  readonly maxPairs?: number;
  readonly maxContacts?: number;
}

interface Pair {
  readonly ip: string;
  readonly account: string;
  lastAuth: number;
}

interface Contact {
  readonly key: string;
  readonly pair: string | null; // host + account, when the URI host is an address
  state: ContactSignal['state'];
  expires: number | null;
  seen: number;
}

export interface RegistrationBookStats {
  readonly pairs: number;
  readonly contacts: number;
  readonly evictedPairs: number;
  readonly evictedContacts: number;
}

const pairKey = (ip: string, account: string): string => `${ip}\n${account}`;

export class RegistrationBook {
  private readonly maxPairs: number;
  private readonly maxContacts: number;
  /** Insertion order is recency: a pair seen again is moved to the end. */
  private readonly pairs = new Map<string, Pair>();
  private readonly byIp = new Map<string, Set<string>>();
  private readonly contacts = new Map<string, Contact>();
  private readonly contactsByPair = new Map<string, Set<string>>();
  private evictedPairs = 0;
  private evictedContacts = 0;
  private sincePrune = 0;

  constructor(opts: RegistrationBookOptions = {}) {
    this.maxPairs = opts.maxPairs ?? DEFAULT_MAX_PAIRS;
    this.maxContacts = opts.maxContacts ?? DEFAULT_MAX_CONTACTS;
  }

  observe(sig: RegistrationSignal, now: number): void {
    if (++this.sincePrune >= 4096) this.prune(now);
    if (sig.type === 'auth') this.auth(sig.ip, sig.account, Math.min(sig.time, now), now);
    else this.contact(sig, now);
  }

  /** The view a jail asks, with its registeredttl. */
  view(ttlMs: number): LiveRegistrations {
    return {
      isRegistered: (ip, now) => this.isRegistered(ip, now, ttlMs),
      isRegisteredFor: (ip, account, now) => this.isRegisteredFor(ip, account, now, ttlMs),
      addresses: (now) => [...this.byIp.keys()].filter((ip) => this.isRegistered(ip, now, ttlMs)),
    };
  }

  isRegisteredFor(ip: string, account: string, now: number, ttlMs: number): boolean {
    if (account.length > MAX_ACCOUNT_CHARS) return false;
    const key = pairKey(ip, account);
    const p = this.pairs.get(key);
    if (p === undefined || p.lastAuth < now - RETAIN_MS) return false;
    if (p.lastAuth >= now - ttlMs) return true;
    return this.contactLive(key, now);
  }

  isRegistered(ip: string, now: number, ttlMs: number): boolean {
    const keys = this.byIp.get(ip);
    if (keys === undefined) return false;
    for (const k of keys) {
      const p = this.pairs.get(k)!;
      if (this.isRegisteredFor(p.ip, p.account, now, ttlMs)) return true;
    }
    return false;
  }

  /** (address, account) pairs registered at `now` for this ttl, for status and docs; sorted. */
  entries(now: number, ttlMs: number): Array<{ ip: string; account: string }> {
    const out: Array<{ ip: string; account: string }> = [];
    for (const p of this.pairs.values()) if (this.isRegisteredFor(p.ip, p.account, now, ttlMs)) out.push({ ip: p.ip, account: p.account });
    return out.sort((a, b) => (a.ip === b.ip ? (a.account < b.account ? -1 : 1) : a.ip < b.ip ? -1 : 1));
  }

  stats(): RegistrationBookStats {
    return { pairs: this.pairs.size, contacts: this.contacts.size, evictedPairs: this.evictedPairs, evictedContacts: this.evictedContacts };
  }

  /** Forgets logins older than RETAIN_MS without a live contact, and contacts that are gone. */
  prune(now: number): void {
    this.sincePrune = 0;
    for (const [key, c] of this.contacts) if (!this.alive(c, now)) this.dropContact(key);
    for (const [key, p] of this.pairs) if (p.lastAuth < now - RETAIN_MS && !this.contactLive(key, now)) this.dropPair(key);
  }

  private auth(ip: string, account: string, time: number, now: number): void {
    if (account === '' || account.length > MAX_ACCOUNT_CHARS || time < now - RETAIN_MS) return;
    const key = pairKey(ip, account);
    const p = this.pairs.get(key);
    if (p !== undefined) {
      if (time > p.lastAuth) p.lastAuth = time;
      this.pairs.delete(key);
      this.pairs.set(key, p);
      return;
    }
    if (this.pairs.size >= this.maxPairs) {
      this.dropPair(this.pairs.keys().next().value!);
      this.evictedPairs++;
    }
    this.pairs.set(key, { ip, account: detach(account), lastAuth: time }); // kept: not the line it was cut from
    let set = this.byIp.get(ip);
    if (set === undefined) this.byIp.set(ip, (set = new Set()));
    set.add(key);
  }

  private contact(sig: ContactSignal, now: number): void {
    const key = `${sig.aor}\n${sig.uri}`;
    if (sig.state === 'removed') {
      this.dropContact(key);
      return;
    }
    const old = this.contacts.get(key);
    if (old !== undefined) {
      old.state = sig.state;
      // a ContactStatus event gives no expiry: a refreshed contact is timed from now on
      old.expires = sig.expires;
      old.seen = now;
      this.contacts.delete(key);
      this.contacts.set(key, old);
      return;
    }
    if (this.contacts.size >= this.maxContacts) {
      this.dropContact(this.contacts.keys().next().value!);
      this.evictedContacts++;
    }
    const pair = sig.host === null ? null : pairKey(sig.host, sig.account);
    this.contacts.set(key, { key, pair, state: sig.state, expires: sig.expires, seen: now });
    if (pair !== null) {
      let set = this.contactsByPair.get(pair);
      if (set === undefined) this.contactsByPair.set(pair, (set = new Set()));
      set.add(key);
    }
  }

  private contactLive(pair: string, now: number): boolean {
    const keys = this.contactsByPair.get(pair);
    if (keys === undefined) return false;
    for (const k of keys) {
      const c = this.contacts.get(k)!;
      if (c.state === 'live' && this.alive(c, now)) return true;
    }
    return false;
  }

  private alive(c: Contact, now: number): boolean {
    return c.expires !== null ? c.expires > now && now - c.seen <= RETAIN_MS : now - c.seen <= CONTACT_MAX_AGE;
  }

  private dropContact(key: string): void {
    const c = this.contacts.get(key);
    if (c === undefined) return;
    this.contacts.delete(key);
    if (c.pair === null) return;
    const set = this.contactsByPair.get(c.pair);
    set?.delete(key);
    if (set?.size === 0) this.contactsByPair.delete(c.pair);
  }

  private dropPair(key: string): void {
    const p = this.pairs.get(key);
    if (p === undefined) return;
    this.pairs.delete(key);
    const set = this.byIp.get(p.ip);
    set?.delete(key);
    if (set?.size === 0) this.byIp.delete(p.ip);
  }
}
