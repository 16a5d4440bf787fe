// `voipguard regex`'s per-account view (docs/beyond-one-address.md): how many counted failures
// named each account, from how many addresses, and which addresses per-account counting would ban.
// The bans come from the daemon's own Jail, replayed on event time with the jail's settings
// (--jail) and --accountretry on top; the counts from a tally beside it. Account names are the
// attacker's: cut to the jail's cap and printed JSON-quoted, so a quote or a newline stays inside.

import type { Failure } from '../core/types.js';
import type { JailConfig } from '../config/jail-schema.js';
import { NO_INCREMENT } from '../jails/ban-policy.js';
import type { Jail, JailSettings } from '../jails/jail.js';
import { ACCOUNT_NAME_MAX } from '../jails/account-windows.js';

/** Accounts tallied; more are counted together as `other`. */
const MAX_ACCOUNTS = 10_000;
/** Distinct addresses remembered per account. */
const MAX_ADDRESSES = 10_000;
/** Rows printed in the text form (the JSON has them all). */
const TEXT_ROWS = 20;

export interface AccountRules {
  readonly accountretry: number;
  readonly accountfindtime: number;
  readonly accountminfailures: number;
}

export interface AccountReport {
  readonly rules: AccountRules;
  readonly accounts: readonly { readonly account: string; readonly failures: number; readonly addresses: number }[];
  /** Failures naming an account beyond the tally's cap. */
  readonly otherFailures: number;
  readonly wouldBan: readonly { readonly ip: string; readonly account: string; readonly time: number }[];
}

/** What the replay uses of a Jail. */
export type AccountJail = Pick<Jail, 'failure' | 'takeNotices'>;

export class AccountReplay {
  private readonly tally = new Map<string, { failures: number; ips: Set<string> }>();
  private other = 0;
  private readonly jail: AccountJail | null;
  private readonly bans: { ip: string; account: string; time: number }[] = [];

  constructor(
    readonly rules: AccountRules,
    jail: JailConfig | null,
    /** The daemon's Jail (loaded by regex-extras.ts only when per-account counting is on). */
    makeJail: ((s: JailSettings) => AccountJail) | null = null,
  ) {
    if (rules.accountretry <= 0) {
      this.jail = null;
      return;
    }
    if (makeJail === null) throw new Error('per-account counting needs the Jail: pass loadRegexExtras().jail');
    const base: JailSettings = jail ?? {
      name: 'regex',
      maxretry: 5,
      findtime: rules.accountfindtime,
      bantime: 600_000,
      increment: { ...NO_INCREMENT, overalljails: false },
      ignoreip: ['127.0.0.1/8', '::1'],
      ignoreself: false,
    };
    // only the per-account rules: the compromise alarm and the challenge table need signals the tester does not replay
    this.jail = makeJail({ ...base, ...rules, challengetimeout: 0, suspectfailures: 0 });
  }

  /** A failure the correlator counted (one per attempt), in the file's order. */
  failure(f: Failure): void {
    const account = f.account;
    if (account !== undefined && account !== '' && account !== '<unknown>') {
      const name = account.length > ACCOUNT_NAME_MAX ? account.slice(0, ACCOUNT_NAME_MAX) : account;
      let t = this.tally.get(name);
      if (t === undefined && this.tally.size < MAX_ACCOUNTS) this.tally.set(name, (t = { failures: 0, ips: new Set() }));
      if (t === undefined) this.other++;
      else {
        t.failures++;
        if (t.ips.size < MAX_ADDRESSES) t.ips.add(f.ip);
      }
    }
    if (this.jail === null) return;
    // replayed on event time: `now` is the failure's own time
    for (const d of this.jail.failure(f, f.time)) {
      if (d.type === 'ban' && d.reason === 'account-attack') {
        const name = (account ?? '').slice(0, ACCOUNT_NAME_MAX);
        this.bans.push({ ip: d.ip, account: name, time: d.time });
      }
    }
    this.jail.takeNotices();
  }

  report(): AccountReport {
    const accounts = [...this.tally]
      .map(([account, t]) => ({ account, failures: t.failures, addresses: t.ips.size }))
      .sort((a, b) => b.failures - a.failures || (a.account < b.account ? -1 : 1));
    return { rules: this.rules, accounts, otherFailures: this.other, wouldBan: this.bans };
  }
}

/** The rules in effect: the jail's (when given), `--accountretry` over them. */
export function accountRules(jail: JailConfig | null, retry: number | null): AccountRules {
  return {
    accountretry: retry ?? jail?.accountretry ?? 0,
    accountfindtime: jail ? jail.accountfindtime || jail.findtime : 600_000,
    accountminfailures: jail?.accountminfailures ?? 2,
  };
}

export function renderAccountsText(r: AccountReport): string[] {
  if (r.accounts.length === 0 && r.otherFailures === 0) return [];
  const o = ['', `Accounts: ${r.accounts.length} named by counted failures`, '|- [failures from addresses] account'];
  for (const a of r.accounts.slice(0, TEXT_ROWS)) o.push(`|  [${a.failures} from ${a.addresses}] ${JSON.stringify(a.account)}`);
  if (r.accounts.length > TEXT_ROWS) o.push(`|  … ${r.accounts.length - TEXT_ROWS} more (--json lists them all)`);
  if (r.otherFailures) o.push(`|  … ${r.otherFailures} failures naming accounts past the first ${MAX_ACCOUNTS}`);
  o.push('`-');
  const { accountretry: n, accountfindtime: ft, accountminfailures: m } = r.rules;
  if (n <= 0) {
    o.push('Per-account counting: off (accountretry = 0; set it in the jail and pass --jail, or give --accountretry N)');
    return o;
  }
  o.push(`Per-account counting would ban: ${r.wouldBan.length} addresses (accountretry ${n} within ${ft / 1000}s, accountminfailures ${m})`);
  for (const b of r.wouldBan.slice(0, TEXT_ROWS)) o.push(`|  ${b.ip} ${JSON.stringify(b.account)} at ${new Date(b.time).toISOString()}`);
  if (r.wouldBan.length > TEXT_ROWS) o.push(`|  … ${r.wouldBan.length - TEXT_ROWS} more (--json lists them all)`);
  o.push('`-');
  return o;
}

export function accountsJson(r: AccountReport): object {
  return {
    rules: r.rules,
    counts: r.accounts,
    otherFailures: r.otherFailures,
    wouldBan: r.wouldBan.map((b) => ({ ip: b.ip, account: b.account, time: new Date(b.time).toISOString() })),
  };
}
