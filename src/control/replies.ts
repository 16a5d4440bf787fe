// What the daemon answers to each control command. These are the `--json` shapes (docs/service.md,
// "Running the service"); times are ms since epoch, durations are seconds as in fail2ban's `get`.

/** One log file of a jail as the tailer sees it. */
export interface FileState {
  readonly path: string;
  readonly state: 'reading' | 'waiting' | 'error';
  readonly error?: string;
}

export interface AmiState {
  readonly state: string; // disconnected | connecting | authenticating | connected | auth-failed | backing-off
  readonly address: string; // host:port
  readonly lastEventAt: number | null;
  readonly lastError: string | null;
  readonly reconnects: number;
}

/** AMI's own share of a jail's figures, never the jail-wide ones (those are in `filter`). */
export interface JailAmi {
  readonly state: string;
  /** AMI events this jail received (failures or not: ChallengeSent, SuccessfulAuth…). */
  readonly eventsReceived: number;
  /** Failures AMI events made (inside findtime). */
  readonly signalsSeen: number;
  /** Attempts counted from an AMI event: AMI reported them first, log lines of the same attempt merged into them. */
  readonly attemptsCounted: number;
  readonly lastEventAt: number | null;
}

export interface JailStatus {
  readonly jail: string;
  readonly filter: {
    readonly currentlyFailed: number;
    readonly totalFailed: number;
    /** Failures seen from every source, and the attempts they made once correlated (docs/ami.md). */
    readonly signalsSeen: number;
    readonly attemptsCounted: number;
    readonly files: readonly string[]; // the logpath patterns, as fail2ban's File list
    readonly fileStates: readonly FileState[];
    readonly waitingFor: readonly string[]; // patterns with no readable file yet
    readonly journalMatches?: readonly string[];
  };
  readonly actions: {
    readonly currentlyBanned: number;
    readonly totalBanned: number;
    readonly bannedIps: readonly string[]; // empty with `short`
    readonly pending: readonly string[]; // decided, not yet confirmed by the firewall (empty with `short`)
    /** How many are pending (also with `short`); absent from a daemon older than this field. */
    readonly pendingCount?: number;
    /** With droprepeat on: the banned addresses applied with DROP (empty with `short`). */
    readonly dropped?: readonly string[];
    /** With subnetmaxbans on: the newest prefixes not banned because they hold a protected address. */
    readonly subnetRefused?: readonly SubnetRefusedReply[];
  };
  /** null when the jail does not take AMI events. */
  readonly ami: JailAmi | null;
  /** Per-account counting (accountretry on; absent otherwise): docs/beyond-one-address.md. */
  readonly accounts?: JailAccounts;
  /** Registered addresses whose failures against their own account did not count toward a ban (docs/registrations.md). */
  readonly protectedRegistered?: readonly ProtectedRegistered[];
}

/** Accounts under attack now. `account` is attacker-written text (cut to 128 characters): display it escaped. */
export interface JailAccounts {
  readonly underAttack: number;
  /** The first 100, oldest attack first. */
  readonly list: readonly { readonly account: string; readonly since: number; readonly addresses: number; readonly banned: number }[];
}

export interface ProtectedRegistered {
  readonly ip: string;
  readonly failures: number; // within findtime
  readonly accounts: readonly string[]; // the accounts named (at most 8, cut to 64 characters)
}

export interface SubnetRefusedReply {
  readonly prefix: string;
  /** ignoreip | host | registered */
  readonly why: string;
  readonly address: string;
  readonly at: number;
}

export interface ServiceStatus {
  readonly version: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly configDir: string;
  readonly dryRun: boolean;
  readonly jails: readonly string[]; // running, sorted
  readonly disabled: readonly string[]; // defined with enabled = false
  /** Jails not running because of an error: a config error (with where it is) or a failed start. */
  readonly broken: readonly BrokenJail[];
  /** Plain facts about what the service waits for: files that do not exist yet, AMI not configured… */
  readonly waiting: readonly string[];
  /** null when [ami] is not enabled. */
  readonly ami: AmiState | null;
  /** null when [cluster] is not enabled. */
  readonly cluster: ClusterStatus | null;
}

/** This node in the fleet (`status cluster --json`, docs/cluster.md). */
export interface ClusterStatus {
  readonly node: string;
  readonly redis: string; // the address, never the password
  readonly connected: boolean;
  readonly error: string | null; // why not connected: the last connection error, null while connected
  readonly nodesSeen: readonly string[]; // heartbeats in the last minute, this node included
  readonly lastApplied: { readonly id: string | null; readonly at: number; readonly node: string; readonly jail: string; readonly ip: string } | null;
  readonly queue: number; // entries waiting to be published
  readonly published: number;
  readonly applied: number;
  readonly refused: Readonly<Record<string, number>>; // by reason
  readonly dropped: number; // news lost to a full queue (replaced by a resync)
  readonly lagMs: number | null;
  readonly cursor: string | null; // the last stream ID read
  readonly bansByOrigin: Readonly<Record<string, number>>;
}

export interface StatsRow {
  readonly jail: string;
  readonly sources: readonly string[]; // 'file', 'ami', 'journal'
  readonly currentlyFailed: number;
  readonly totalFailed: number;
  readonly currentlyBanned: number;
  readonly totalBanned: number;
  readonly pending: number;
}

export interface BanTime {
  readonly ip: string;
  readonly start: number;
  readonly until: number | null; // null: permanent
  readonly banCount: number;
  readonly reason: string;
  readonly applied: boolean;
}

export interface ReloadResult {
  readonly started: readonly string[];
  readonly stopped: readonly string[];
  readonly restarted: readonly string[];
  readonly unchanged: readonly string[];
  readonly errors: readonly string[];
}

/** One blocklist feed (`voipguard status feeds`, docs/feeds.md). Times in ms since epoch. */
export interface FeedStatus {
  readonly name: string;
  /** The file, or the URL without its path (an APIBan key is never shown). */
  readonly source: string;
  readonly format: string;
  readonly firewall: string;
  readonly set: string;
  readonly blocktype: string;
  readonly ports: string;
  /** Entries in the kernel set now. */
  readonly entries: number;
  /** Entries in the last good list, before screening. */
  readonly listed: number;
  readonly skipped: number;
  readonly skippedBy: { readonly ignoreip: number; readonly allowfile: number; readonly host: number; readonly registered: number; readonly wide: number };
  /** Entries inside a wider entry of the same list. */
  readonly folded: number;
  /** Lines without an address in the last good list. */
  readonly garbage: number;
  /** When the list in the kernel was fetched; null: never. */
  readonly lastRefresh: number | null;
  readonly lastAttempt: number | null;
  readonly lastError: string | null;
  readonly lastErrorCode: string | null;
  readonly nextRefresh: number | null;
  /** APIBan's next ID. */
  readonly cursor: string | null;
}

export type JailValue = number | boolean | string | null | readonly string[] | readonly BanTime[];

export interface ControlReplies {
  ping: 'pong';
  version: { readonly version: string; readonly protocol: number };
  stop: { readonly stopping: true };
  status: ServiceStatus;
  'jail-status': JailStatus;
  /** The service's status and each running jail's, sorted by name. */
  'status-all': { readonly service: ServiceStatus; readonly jails: readonly JailStatus[] };
  'cluster-status': ClusterStatus | null;
  stats: readonly StatsRow[];
  /** Without ips: jail → its banned IPs. With ips: ip → the jails that ban it. */
  banned: Readonly<Record<string, readonly string[]>>;
  banip: { readonly banned: readonly string[]; readonly already: readonly string[] };
  unbanip: { readonly unbanned: number };
  addignoreip: readonly string[];
  delignoreip: readonly string[];
  get: JailValue;
  /** The value now in effect, in `get`'s units (seconds; -1 permanent; null unset). */
  set: number | boolean | string | null;
  reload: ReloadResult;
  'set-loglevel': string;
  'set-logtarget': string;
  'get-loglevel': string;
  'get-logtarget': string;
  'feed-status': readonly FeedStatus[];
  /** fail2ban's answer: `rolled over` for a file, `flushed` for STDOUT/STDERR. */
  flushlogs: 'rolled over' | 'flushed';
}

export interface BrokenJail {
  readonly jail: string;
  readonly error: string;
  /** For a config error: where it is, as `voipguard doctor` and the daemon's log name it. */
  readonly file?: string;
  readonly section?: string;
  readonly key?: string;
}
