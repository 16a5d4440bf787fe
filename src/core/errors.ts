// The error catalog. Codes are stable (users grep for them, docs list them); test/core/errors.test.ts
// checks that every code is documented in docs/errors.md and unique. Exit codes follow from the class.

export type ErrorClass = 'usage' | 'config' | 'data' | 'unavailable' | 'io' | 'internal' | 'permission' | 'firewall';

export const EXIT_CODES: Readonly<Record<ErrorClass, number>> = Object.freeze({
  usage: 64, // EX_USAGE
  data: 65, // EX_DATAERR
  unavailable: 69, // EX_UNAVAILABLE (daemon not running, AMI unreachable)
  internal: 70, // EX_SOFTWARE
  firewall: 71, // EX_OSERR
  io: 74, // EX_IOERR
  permission: 77, // EX_NOPERM
  config: 78, // EX_CONFIG
});

export const ERRORS = Object.freeze({
  // configuration files
  VG_CONFIG_READ: { cls: 'config', text: 'a config file cannot be read' },
  VG_CONFIG_SYNTAX: { cls: 'config', text: 'a config line is not `key = value`, a [section] or a continuation' },
  VG_CONFIG_UNKNOWN_KEY: { cls: 'config', text: 'a key that voipguard does not know' },
  VG_CONFIG_TYPE: { cls: 'config', text: 'a value of the wrong type (number, boolean, duration, list)' },
  VG_CONFIG_DURATION: { cls: 'config', text: 'a value that is not a duration (600, 10m, 1h, 1d, 1w, -1)' },
  VG_CONFIG_CIDR: { cls: 'config', text: 'an ignoreip entry that is not an IP address or CIDR range' },
  VG_CONFIG_INTERPOLATION: { cls: 'config', text: 'a %(name)s reference that is missing or part of a cycle' },
  VG_CONFIG_INCLUDE: { cls: 'config', text: 'an [INCLUDES] before/after file that is missing or includes itself' },
  VG_CONFIG_MISSING: { cls: 'config', text: 'a required key or section is absent' },
  VG_CONFIG_ARGS: { cls: 'config', text: 'a filter[...] or action[...] argument list that does not parse' },
  // filters
  VG_FILTER_NOT_FOUND: { cls: 'config', text: 'a filter named by a jail or `voipguard regex` does not exist' },
  VG_FILTER_REGEX: { cls: 'config', text: 'a failregex/ignoreregex that does not compile or cannot be translated from Python' },
  VG_FILTER_NO_HOST: { cls: 'config', text: 'a failregex without <HOST>, <ADDR>, <IP4>, <IP6> or F-IP group' },
  VG_FILTER_DATEPATTERN: { cls: 'config', text: 'a datepattern voipguard cannot use' },
  // actions and firewall
  VG_ACTION_NOT_FOUND: { cls: 'config', text: 'an action named by a jail does not exist in action.d' },
  VG_ACTION_SHELL: { cls: 'config', text: 'an action command that needs a shell (pipes, redirection, ;, &&, $(), backquotes)' },
  VG_ACTION_TAG: { cls: 'config', text: 'an action tag that is unknown or does not fill a whole argument' },
  VG_ACTION_IP: { cls: 'data', text: 'an address that failed validation before reaching an action' },
  VG_FIREWALL_COMMAND: { cls: 'firewall', text: 'a firewall command failed (argv, exit code and stderr are logged)' },
  // store
  VG_STORE_OPEN: { cls: 'io', text: 'the database cannot be opened, is corrupt, or is read-only' },
  VG_STORE_WRITE: { cls: 'io', text: 'a database write failed (disk full?); bans still reach the firewall' },
  VG_STORE_SCHEMA: { cls: 'io', text: 'the database was written by a newer voipguard' },
  // AMI
  VG_AMI_AUTH: { cls: 'unavailable', text: 'Asterisk refused the AMI login (username, secret, permit/deny)' },
  VG_AMI_CONNECT: { cls: 'unavailable', text: 'the AMI port cannot be reached' },
  VG_AMI_PROTOCOL: { cls: 'data', text: 'the AMI peer sent something that is not the manager protocol' },
  VG_AMI_TIMEOUT: { cls: 'unavailable', text: 'an AMI action or keepalive got no answer in time' },
  // metrics and notifications
  VG_METRICS_LISTEN: { cls: 'config', text: 'a [metrics] listen value that is not ip:port, or not loopback without allow_remote' },
  VG_METRICS_BIND: { cls: 'io', text: 'the /metrics server cannot listen on its address (in use?)' },
  VG_NOTIFY_SEND: { cls: 'unavailable', text: 'a ban notification (mail or webhook) could not be delivered; it is retried' },
  // systemd journal
  VG_JOURNAL_MATCH: { cls: 'config', text: 'a journalmatch term that is not FIELD=value or a + between groups' },
  VG_JOURNAL_READ: { cls: 'unavailable', text: 'journalctl cannot be started or exited; it is restarted with backoff from the saved cursor' },
  // blocklist feeds
  VG_FEED_FETCH: {
    cls: 'unavailable',
    text: 'a feed could not be downloaded or read (network, HTTP status, redirect to another scheme); the last good list stays',
  },
  VG_FEED_TIMEOUT: { cls: 'unavailable', text: 'a feed download took longer than its timeout; the last good list stays' },
  VG_FEED_TOO_LARGE: { cls: 'data', text: 'a feed is larger than maxsize bytes or holds more than maxentries entries; the last good list stays' },
  VG_FEED_FORMAT: { cls: 'data', text: 'a feed answer that is not its format (no address at all, bad APIBan JSON); the last good list stays' },
  // control socket and CLI
  VG_USAGE: { cls: 'usage', text: 'the command line does not parse; see `voipguard -h`' },
  VG_NOT_RUNNING: { cls: 'unavailable', text: 'no voipguard daemon answers on the control socket' },
  VG_ALREADY_RUNNING: { cls: 'unavailable', text: 'another voipguard daemon already answers on the control socket' },
  VG_CONTROL_TIMEOUT: { cls: 'unavailable', text: 'the daemon accepted the control connection but did not answer in time' },
  VG_PERMISSION: { cls: 'permission', text: 'the control socket is root-only' },
  VG_BAD_REQUEST: { cls: 'data', text: 'a control request that is not valid JSON or not a known command' },
  VG_NO_SUCH_JAIL: { cls: 'data', text: 'the named jail does not exist or is not running' },
  VG_BAD_IP: { cls: 'data', text: 'an argument that is not an IP address' },
  VG_IGNORED_IP: { cls: 'data', text: "a manual ban of an address voipguard never bans (loopback, the host's own, ignoreip)" },
  VG_BAN_RANGE: { cls: 'data', text: 'a range ban refused: /0, host bits set, or a firewall action whose set holds single addresses only' },
  VG_INPUT: { cls: 'io', text: 'a log file or input cannot be read' },
  VG_INTERNAL: { cls: 'internal', text: 'a bug: please report it with the log line before it' },
} satisfies Record<string, { cls: ErrorClass; text: string }>);

export type ErrorCode = keyof typeof ERRORS;

/** Where in the configuration an error lies. Every config error names at least the file. */
export interface ErrorPlace {
  readonly file?: string;
  readonly section?: string;
  readonly key?: string;
  readonly line?: number;
}

export class VoipguardError extends Error {
  readonly code: ErrorCode;
  readonly place: ErrorPlace;
  constructor(code: ErrorCode, message: string, place: ErrorPlace = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VoipguardError';
    this.code = code;
    this.place = Object.freeze({ ...place });
  }
  get exitCode(): number {
    return EXIT_CODES[ERRORS[this.code].cls as ErrorClass];
  }
  /** `file:line [section] key: message (CODE)`: the form the CLI prints. */
  describe(): string {
    const p = this.place;
    const where = [
      p.file !== undefined ? (p.line !== undefined ? `${p.file}:${p.line}` : p.file) : undefined,
      p.section !== undefined ? `[${p.section}]` : undefined,
      p.key,
    ]
      .filter((x) => x !== undefined)
      .join(' ');
    return `${where ? where + ': ' : ''}${this.message} (${this.code})`;
  }
}

/** Several errors reported at once (config validation shows them all). */
export class VoipguardErrors extends Error {
  constructor(readonly errors: readonly VoipguardError[]) {
    super(errors.map((e) => e.describe()).join('\n'));
    this.name = 'VoipguardErrors';
  }
  get exitCode(): number {
    return this.errors[0]?.exitCode ?? EXIT_CODES.internal;
  }
}
