// The Firewall: what an action instance (iptables[name=asterisk-tcp]…) can do to the kernel.
// CommandFirewall runs an action.d definition through a CommandRunner; MemoryFirewall keeps bans
// in memory (the dummy action, and `voipguard daemon --dry-run`). Both are driven by
// actions/action-instance.ts, which owns retries, pending bans and repairs.

import { VoipguardError } from '../core/errors.js';
import type { Family } from './action-file.js';
import type { ListingRound } from './listing-round.js';

/** A ban as an action sees it. `ip` is canonical (core/ip.ts). */
export interface FirewallBan {
  readonly ip: string;
  readonly family: Family;
  readonly time: number;
  readonly until: number | null;
  readonly banCount: number;
  readonly failures: number;
  /** Apply with DROP instead of the jail's blocktype (droprepeat: a repeat offender). Absent: false. */
  readonly drop?: boolean;
}

/** Bans and unbans that fall due together: one transaction per batch command. */
export interface FirewallChange {
  readonly ban: readonly FirewallBan[];
  readonly unban: readonly string[];
  /** Unbans whose kernel entry carries DROP (an action with a separate drop rule removes that one). */
  readonly dropped?: ReadonlySet<string>;
  /** Bans of addresses the action holds in neither form: an action with batchbannew sends those lines. */
  readonly fresh?: ReadonlySet<string>;
}

/** What list() found: every banned address or range, which of them the kernel DROPs, and the
 *  seconds left on the kernel timers the listing showed (an action whose listban names them). */
export class Listing extends Set<string> {
  readonly dropped = new Set<string>();
  readonly secondsLeft = new Map<string, number>();
}

export interface ApplyResult {
  /** Addresses whose ban or unban reached the kernel. */
  readonly done: readonly string[];
  readonly failed: readonly { readonly ip: string; readonly error: FirewallCommandError }[];
}

/**
 * Read-only calls take an optional ListingRound: the actions of one jail asking the same listing
 * in one start, check or restore share one run of it (firewall/listing-round.ts).
 */
export interface Firewall {
  /** `action[name]`, for logs: iptables[asterisk-tcp]. */
  readonly id: string;
  /** Bans expire in the kernel by themselves (ipset, nft timeouts): a changed ban time is re-sent. */
  readonly kernelTimeouts: boolean;
  /** list() can say which addresses the kernel holds. */
  readonly listable: boolean;
  /** Creates what is missing (chains, sets, hooks); keeps what is intact. Throws FirewallCommandError. */
  start(round?: ListingRound): Promise<void>;
  /** Removes what start created. With `tolerant`, failing commands are skipped. */
  stop(tolerant?: boolean): Promise<void>;
  apply(change: FirewallChange, now: number): Promise<ApplyResult>;
  /** The banned addresses the kernel holds (a Listing also says which are DROPped). Throws when not listable or when listing fails. */
  list(round?: ListingRound): Promise<Set<string>>;
  /** true when chains, sets and hooks are all there (actioncheck, checkmatch). */
  intact(round?: ListingRound): Promise<boolean>;
  /** Rebuilds a broken structure; bans must be re-sent afterwards. */
  repair(): Promise<void>;
  /** Removes every ban (actionflush); used when the kernel cannot be listed. */
  flush(): Promise<void>;
  /** Warnings about the chain we hook (an ESTABLISHED,RELATED ACCEPT before our jump). */
  hookWarnings(round?: ListingRound): Promise<string[]>;
}

/** A command that failed: argv, exit code and stderr, for the log. */
export class FirewallCommandError extends VoipguardError {
  /** `exitStatus`: the command's; `exitCode` stays the CLI's (VoipguardError). */
  constructor(
    readonly argv: readonly string[],
    readonly exitStatus: number,
    readonly stderr: string,
    readonly lines = 0,
  ) {
    super('VG_FIREWALL_COMMAND', `${argv.join(' ')} exited ${exitStatus}: ${firstLine(stderr)}`);
  }
  /** The structured fields logs carry. */
  fields(): Record<string, unknown> {
    return { argv: this.argv, exitCode: this.exitStatus, stderr: this.stderr.slice(0, 2000), ...(this.lines ? { scriptLines: this.lines } : {}) };
  }
}

function firstLine(s: string): string {
  const l = s.trim().split('\n')[0] ?? '';
  return l.length > 200 ? l.slice(0, 197) + '...' : l;
}

export function familyOf(ip: string): Family {
  return ip.includes(':') ? 'inet6' : 'inet4';
}
