// The doctor's records and the side effects it needs. Every side effect (files, commands, network
// interfaces, the AMI login, the database) goes through DoctorEnv so tests run on fixtures and fakes.

import type { ClusterConfig } from '../config/cluster-schema.js';
import type { ClusterProbeOutcome } from '../cluster/cluster-probe.js';
import type { NetworkInterfaceInfo } from 'node:os';
import type { ConfigFileReader } from '../config/config-set.js';
import type { CommandRunner } from '../exec/command-runner.js';
import type { AsteriskConfig } from '../asterisk/asterisk-config.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One line of the checklist. `id` is stable (tests and scripts key on it); `fix` says what to do. */
export interface Finding {
  readonly id: string;
  readonly status: CheckStatus;
  readonly message: string;
  readonly fix?: string;
}

/** What the doctor needs from voipguard's own configuration (built from loadConfig). */
export interface DoctorJail {
  readonly name: string;
  readonly logpaths: readonly string[];
  readonly ignoreip: readonly string[];
  /** The jail keeps the host's own addresses out by itself (jail option `ignoreself`). */
  readonly ignoreself: boolean;
  /** Takes AMI security events (jail option `ami = yes`). */
  readonly ami: boolean;
  /**
   * AMI events beyond the failures that the jail's rules read, with the key that asks for each:
   * ChallengeSent for challengetimeout, SuccessfulAuth for protectregistered and the alarm.
   */
  readonly amiSignals?: readonly { readonly event: string; readonly key: string }[];
  /** Programs its actions run (iptables, ip6tables, ipset, nft…): they must be installed. */
  readonly firewallTools: readonly string[];
  /** How to list the chain each action hooks, and the rule that is its jump (action.d hooklist/hookjump). */
  readonly hooks: readonly FirewallHook[];
  /** An action writes a rule per ban (the `iptables` actions): fine for hundreds, slow for a flood. */
  readonly perRuleBans?: boolean;
}

export type DatabaseProbe = { readonly ok: true; readonly bans?: Readonly<Record<string, number>> } | { readonly ok: false; readonly message: string };

export interface FirewallHook {
  /** `iptables[asterisk-udp]`, for messages. */
  readonly action: string;
  readonly family: 'inet4' | 'inet6';
  readonly list: readonly string[];
  readonly jump: RegExp;
}

export interface DoctorAmi {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly secret?: string;
  readonly secretfile?: string;
}

export interface DoctorConfig {
  readonly configDir: string;
  /** Enabled jails only. */
  readonly jails: readonly DoctorJail[];
  /** null when the [ami] section is absent or not enabled. */
  readonly ami: DoctorAmi | null;
  readonly dbfile: string | null;
  /** The [cluster] settings when it is enabled, else null. */
  readonly cluster: ClusterConfig | null;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

export type FileAccess = 'readable' | 'missing' | 'unreadable' | 'not-a-file';

export type AmiLoginOutcome =
  | { readonly ok: true; readonly banner: string }
  | { readonly ok: false; readonly reason: 'refused' | 'unreachable' | 'timeout' | 'protocol'; readonly message: string };

export interface AmiLoginRequest {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly secret: string;
  readonly timeoutMs: number;
}

export interface DoctorEnv {
  /** Reads Asterisk's config files and the AMI secret file. */
  readonly reader: ConfigFileReader;
  fileAccess(path: string): FileAccess;
  /** Whether the service, with only its unit's capabilities, reads the file (absent: not probed). */
  readsAsService?(path: string): Promise<'readable' | 'unreadable' | 'unknown'>;
  /** argv only, never a shell (the firewall's runner). */
  readonly runner: CommandRunner;
  networkInterfaces(): NodeJS.Dict<NetworkInterfaceInfo[]>;
  hostname(): string;
  now(): number;
  amiLogin(req: AmiLoginRequest): Promise<AmiLoginOutcome>;
  /** Connects to the fleet's Redis with these settings once, reads who is there, writes nothing. */
  clusterProbe(cfg: ClusterConfig, timeoutMs: number): Promise<ClusterProbeOutcome>;
  /** Whether voipguard could write its database (without creating it); an existing one also says
   *  how many bans each jail holds (absent when it has no ban table yet). */
  probeDatabase(path: string): Promise<DatabaseProbe>;
}

/**
 * Reads the time out of a log line the way the daemon's filters do: ms since epoch, or null when the
 * line's date cannot be read. The doctor feeds it lines dated with the configured dateformat;
 * `readAt` is when the line is taken to be read (a year-less date is placed before it).
 */
export type LogTimeProbe = (line: string, readAt: number) => number | null;

/** Asterisk's config files, read once (null: the file does not exist). */
export interface AsteriskFiles {
  readonly dir: string;
  readonly asterisk: AsteriskConfig | null;
  readonly logger: AsteriskConfig | null;
  readonly manager: AsteriskConfig | null;
  readonly modules: AsteriskConfig | null;
  readonly stasis: AsteriskConfig | null;
  readonly sip: AsteriskConfig | null;
  readonly pjsip: AsteriskConfig | null;
  readonly extensions: AsteriskConfig | null;
}

export interface DoctorContext {
  readonly config: DoctorConfig;
  readonly files: AsteriskFiles;
  readonly env: DoctorEnv;
  readonly timeProbe: LogTimeProbe;
  readonly amiTimeoutMs: number;
}

export type Check = (ctx: DoctorContext) => Finding[] | Promise<Finding[]>;
