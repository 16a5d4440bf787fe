// A plain model of the account windows (account-windows.ts) for the randomised tests: Maps in
// insertion order for every recency, arrays for every window.

import { ACCOUNT_NAME_MAX } from '../../src/jails/account-windows.js';

/**
 * The account windows, written plainly with Maps (insertion order as recency). A name one failure
 * named is kept as seen once (its time and address) until `caps.newcomers` (by default
 * `caps.accounts`) more names have arrived after it; a second failure against it makes it a
 * tracked account that carries the first failure and its address (with `retry` 1, every account
 * is tracked at once). Tracked accounts are evicted
 * least recently failed first, each account's first address kept apart, its other addresses in one
 * cap for all accounts (the least recently failed pair goes) and a cap per account (its oldest
 * other address goes). With `singles`, an address's single failure against an account is kept
 * apart instead of as a pair: moved to a pair at the address's next failure, dropped when the
 * address's record goes (gone()) or its account is dropped; the per-account cap bounds the first
 * address and the pairs only.
 */
export class AccountModel {
  private readonly accounts = new Map<
    string,
    { times: number[]; first: { ip: string; times: number[] } | null; others: Map<string, number[]>; singles: Set<string>; hotUntil: number; banned: number }
  >();
  private readonly pairs = new Map<string, { name: string; ip: string }>();
  private readonly single = new Map<string, { name: string; t: number }>();
  /** Names seen once, oldest first: the failure's time and address, and the name's arrival number. */
  private readonly newcomers = new Map<string, { t: number; ip: string; n: number }>();
  private arrivals = 0;
  constructor(
    private readonly retry: number,
    private readonly findtime: number,
    private readonly minFailures: number,
    private readonly caps: { readonly accounts: number; readonly addressesPerAccount: number; readonly pairs: number; readonly newcomers?: number },
    private readonly singles = false,
  ) {}

  private push(v: number[], t: number, max: number): number[] {
    const all = [...v, t].sort((a, b) => a - b);
    const lower = all[all.length - 1]! - this.findtime;
    return all.filter((x) => x >= lower).slice(-Math.max(max, 1));
  }

  private dropPair(name: string, ip: string): void {
    this.pairs.delete(`${name}\n${ip}`);
    this.accounts.get(name)!.others.delete(ip);
  }

  private newPair(name: string, ip: string, times: number[]): void {
    const a = this.accounts.get(name)!;
    if (a.others.size + (a.first ? 1 : 0) >= this.caps.addressesPerAccount && a.others.size > 0) this.dropPair(name, a.others.keys().next().value!);
    if (this.pairs.size >= this.caps.pairs) {
      const old = this.pairs.values().next().value!;
      this.dropPair(old.name, old.ip);
    }
    a.others.set(ip, times);
    this.pairs.set(`${name}\n${ip}`, { name, ip });
  }

  gone(ip: string): void {
    const s = this.single.get(ip);
    if (s === undefined) return;
    this.single.delete(ip);
    this.accounts.get(s.name)?.singles.delete(ip);
  }

  add(account: string, ip: string, t: number): { ban: string[]; started: unknown } {
    const name = account.slice(0, ACCOUNT_NAME_MAX);
    let a = this.accounts.get(name);
    let mine = 1;
    const seen = this.newcomers.get(name);
    if (a === undefined && seen === undefined && this.retry >= 2) {
      // the name that arrived `newcomers` names before this one goes, if it is still there
      const n = this.arrivals++;
      const [oldest, o] = this.newcomers.entries().next().value ?? ['', { n: Infinity }];
      if (o.n <= n - (this.caps.newcomers ?? this.caps.accounts)) this.newcomers.delete(oldest);
      this.newcomers.set(name, { t, ip, n });
      return { ban: [], started: null };
    }
    let fresh = false;
    if (a === undefined) {
      this.newcomers.delete(name);
      fresh = seen === undefined;
      if (this.accounts.size >= this.caps.accounts) {
        const [old, oa] = this.accounts.entries().next().value!;
        for (const x of oa.others.keys()) this.pairs.delete(`${old}\n${x}`);
        for (const x of oa.singles) this.single.delete(x);
        this.accounts.delete(old);
      }
      // a name seen once is tracked from its first failure and address on
      const first = seen ?? { t, ip };
      a = { times: [first.t], first: { ip: first.ip, times: [first.t] }, others: new Map(), singles: new Set(), hotUntil: -Infinity, banned: 0 };
      this.accounts.set(name, a);
    }
    if (!fresh) {
      this.accounts.delete(name);
      this.accounts.set(name, a);
      a.times = this.push(a.times, t, this.retry);
      mine = this.address(name, a, ip, t);
    }
    const wasHot = a.hotUntil >= t;
    if (a.times.length >= this.retry) a.hotUntil = Math.max(a.hotUntil, a.times[a.times.length - 1]! + this.findtime);
    if (a.hotUntil < t) return { ban: [], started: null };
    if (wasHot) {
      if (mine < this.minFailures) return { ban: [], started: null };
      if (a.first?.ip === ip) a.first = null;
      else this.dropPair(name, ip);
      a.banned++;
      return { ban: [ip], started: null };
    }
    const lower = t - this.findtime;
    const addresses = a.others.size + (a.first ? 1 : 0) + a.singles.size;
    const ban: string[] = [];
    if (a.first && a.first.times.filter((x) => x >= lower).length >= this.minFailures) {
      ban.push(a.first.ip);
      a.first = null;
    }
    for (const [x, v] of [...a.others]) {
      if (v.filter((y) => y >= lower).length < this.minFailures) continue;
      ban.push(x);
      this.dropPair(name, x);
    }
    a.banned += ban.length;
    return { ban, started: { account: name, since: t, addresses, banned: ban.length } };
  }

  private address(name: string, a: NonNullable<ReturnType<typeof this.accounts.get>>, ip: string, t: number): number {
    if (a.first?.ip === ip) return (a.first.times = this.push(a.first.times, t, this.minFailures)).length;
    const s = this.single.get(ip);
    if (s !== undefined) {
      this.single.delete(ip);
      this.accounts.get(s.name)!.singles.delete(ip);
      if (s.name === name) {
        const times = this.push([s.t], t, this.minFailures);
        if (times.length === 1) {
          this.single.set(ip, { name, t: times[0]! });
          a.singles.add(ip);
          return 1;
        }
        if (a.first === null || (a.others.size + 1 >= this.caps.addressesPerAccount && a.others.size === 0)) a.first = { ip, times };
        else this.newPair(name, ip, times);
        return times.length;
      }
      this.newPair(s.name, ip, [s.t]);
    }
    if (a.others.has(ip)) {
      const v = this.push(a.others.get(ip)!, t, this.minFailures);
      a.others.delete(ip);
      a.others.set(ip, v);
      this.pairs.delete(`${name}\n${ip}`);
      this.pairs.set(`${name}\n${ip}`, { name, ip });
      return v.length;
    }
    if (a.first === null || (a.others.size + 1 >= this.caps.addressesPerAccount && a.others.size === 0)) {
      a.first = { ip, times: [t] };
      return 1;
    }
    if (!this.singles) {
      this.newPair(name, ip, [t]);
      return 1;
    }
    this.single.set(ip, { name, t });
    a.singles.add(ip);
    return 1;
  }

  counts(now: number): [string, number, number, boolean][] {
    const lower = now - this.findtime;
    const tracked: [string, number, number, boolean][] = [...this.accounts].map(([n, a]) => [
      n,
      a.times.filter((x) => x >= lower).length,
      a.others.size + (a.first ? 1 : 0) + a.singles.size + a.banned,
      a.hotUntil >= now,
    ]);
    // then the names seen once, oldest first
    return [...tracked, ...[...this.newcomers].map(([n, s]): [string, number, number, boolean] => [n, s.t >= lower ? 1 : 0, 1, false])];
  }
}
