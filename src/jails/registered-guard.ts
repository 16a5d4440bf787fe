// protectregistered (issue 16, part 3; docs/registrations.md): a failure against account A from an
// address registered for A is counted and shown, never toward a ban; failures against any other
// account count as usual. Pure: every call takes `now`; bounded in size.
//
// A failure that names no account (most NOTICE lines: Asterisk's words there carry the address, and
// the From user is not read from them) is protected only when `accountless(f)` says it is a
// credential failure (the correlator's bad-credentials class: a registered device whose password
// went stale) and the address is registered for some account. Unknown accounts, ACL refusals and
// calls to missing extensions from a registered address count as usual.

import { detach } from '../core/detach.js';
import { MAX_ACCOUNT_CHARS } from '../core/registration.js';
import type { LiveRegistrations } from '../core/protection.js';
import type { Failure } from '../core/types.js';

/** Addresses whose protected failures are shown; the least recently failing is forgotten first. */
export const DEFAULT_MAX_SHOWN = 10_000;
/** Accounts listed per address in status (an office may hold many; the count stays exact). */
const MAX_ACCOUNTS_SHOWN = 8;

export interface ProtectedEntry {
  readonly ip: string;
  /** Failures within findtime that were not counted toward a ban. */
  readonly failures: number;
  /** The accounts they named (at most 8, each cut to 64 characters); empty for unnamed ones. */
  readonly accounts: readonly string[];
  readonly last: number;
}

interface Row {
  times: number[];
  accounts: string[];
  last: number;
}

export interface RegisteredGuardOptions {
  readonly registrations: LiveRegistrations;
  /** The jail's findtime: protected failures older than this are no longer shown. */
  readonly findtime: number;
  /** A failure without an account that may be a registered device's own (default: none is). */
  readonly accountless?: (f: Failure) => boolean;
  readonly maxShown?: number;
}

export class RegisteredGuard {
  private readonly rows = new Map<string, Row>();
  private readonly maxShown: number;
  private findtime: number;
  private total = 0;

  constructor(private readonly o: RegisteredGuardOptions) {
    this.maxShown = o.maxShown ?? DEFAULT_MAX_SHOWN;
    this.findtime = o.findtime;
  }

  setFindtime(ms: number): void {
    this.findtime = ms;
  }

  /** True when `f` (counted at time `t`) must not count toward a ban; it is then tallied for status. */
  protects(f: Failure, t: number, now: number): boolean {
    const account = f.account;
    let ok: boolean;
    if (account !== undefined && account !== '') {
      ok = account.length <= MAX_ACCOUNT_CHARS && this.o.registrations.isRegisteredFor(f.ip, account, now);
    } else {
      ok = (this.o.accountless?.(f) ?? false) && this.o.registrations.isRegistered(f.ip, now);
    }
    if (ok) this.tally(f.ip, account, t);
    return ok;
  }

  /** Failures not counted toward a ban since start. */
  get protectedTotal(): number {
    return this.total;
  }

  /** Addresses with protected failures within findtime, most failures first. */
  shown(now: number): ProtectedEntry[] {
    const lower = now - this.findtime;
    const out: ProtectedEntry[] = [];
    for (const [ip, r] of this.rows) {
      const n = r.times.filter((x) => x > lower).length;
      if (n === 0) {
        this.rows.delete(ip);
        continue;
      }
      out.push({ ip, failures: n, accounts: [...r.accounts], last: r.last });
    }
    return out.sort((a, b) => b.failures - a.failures || (a.ip < b.ip ? -1 : 1));
  }

  private tally(ip: string, account: string | undefined, t: number): void {
    this.total++;
    let r = this.rows.get(ip);
    if (r === undefined) {
      if (this.rows.size >= this.maxShown) this.rows.delete(this.rows.keys().next().value!);
      r = { times: [], accounts: [], last: t };
    } else this.rows.delete(ip);
    this.rows.set(ip, r); // most recently failing last
    const lower = t - this.findtime;
    if (r.times.length >= 256 || (r.times.length > 0 && r.times[0]! <= lower)) r.times = r.times.filter((x) => x > lower).slice(-255);
    r.times.push(t);
    r.last = Math.max(r.last, t);
    const name = account === undefined ? '' : detach(account.slice(0, 64)); // kept: not the line it was cut from
    if (name !== '' && !r.accounts.includes(name) && r.accounts.length < MAX_ACCOUNTS_SHOWN) r.accounts.push(name);
  }
}
