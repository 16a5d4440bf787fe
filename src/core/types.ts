// The records that flow between pipeline stages: source → filter → jail → action.
// They are small, readonly and plain (no methods), so any stage can be tested with literals.

/** A physical line read by a source. `time` is when the source read it (wall clock, ms). */
export interface LogLine {
  readonly source: string; // file path, "journal:<unit>" or "replay"
  readonly text: string; // without the trailing newline
  readonly readAt: number; // ms since epoch, from the injected clock
  /** When the source itself stamped the line (journald's receive time), for lines without a date. */
  readonly time?: number;
}

/** One AMI message, as ordered key/value pairs (duplicates kept: they matter for injection checks). */
export interface AmiEvent {
  readonly fields: ReadonlyArray<readonly [key: string, value: string]>;
  readonly receivedAt: number;
  /** Lines of the block that were not `Key: value` (a CR/LF planted in a field): the event is hostile. */
  readonly malformedLines?: number;
  /** What an attacker changed in the event (`duplicate:remoteaddress`, `joined`, `long-line:sessionid`…). */
  readonly hostile?: readonly string[];
  /** Set by the session that shaped the event: each key occurs once in `fields` (repeats are in `hostile`). */
  readonly uniqueKeys?: true;
}

/** Where a failure was seen. */
export type Origin = 'log' | 'ami' | 'journal' | 'manual';

/**
 * A failure: one signal that an address failed to authenticate or probed the PBX.
 * Contract: `ip` is a validated, normalised address (IPv4 dotted quad, or RFC 5952 IPv6; an
 * IPv4-mapped IPv6 becomes IPv4) taken only from a position Asterisk writes itself.
 */
export interface Failure {
  readonly ip: string;
  /** Event time in ms since epoch: from the log line or EventTV; readAt when the line has none. */
  readonly time: number;
  /** What happened: a SecurityEvent name (InvalidAccountID…) or a log kind (sip-register, pjsip-request…). */
  readonly kind: string;
  readonly origin: Origin;
  /** File path, "ami", or a journal match. */
  readonly source: string;
  readonly service?: string; // SIP, PJSIP, AMI, IAX2
  readonly transport?: string; // UDP, TCP, TLS, WS, WSS
  readonly account?: string; // attacker-controlled: display only
  readonly sessionId?: string; // Call-ID (PJSIP) or pointer (chan_sip, AMI)
  readonly line?: string; // original text, for `regex -o` and debug logs
}

/**
 * Why a ban was made. `account-attack`: per-account counting across addresses (docs/beyond-one-address.md);
 * `compromise`: a successful login after failures, with bansuspected; `subnet`: a prefix ban (docs/firewall.md);
 * `cluster`: applied from another node of the fleet (docs/cluster.md).
 */
export type BanReason = 'detected' | 'manual' | 'restored' | 'account-attack' | 'compromise' | 'subnet' | 'cluster';
export type UnbanReason = 'expired' | 'manual' | 'reload';

/** What a jail decided. Jails return these and do no I/O. */
export type Decision =
  | {
      readonly type: 'ban';
      readonly jail: string;
      readonly ip: string;
      readonly time: number; // when the ban starts (ms)
      readonly until: number | null; // null = permanent
      readonly banCount: number; // 1 for a first ban, more for repeat offenders
      readonly reason: BanReason;
      readonly failures: number; // failures that led to it (0 for manual)
    }
  | {
      readonly type: 'unban';
      readonly jail: string;
      readonly ip: string;
      readonly time: number;
      readonly reason: UnbanReason;
    };

export type BanDecision = Extract<Decision, { type: 'ban' }>;
export type UnbanDecision = Extract<Decision, { type: 'unban' }>;

/** An active ban as the store keeps it. */
export interface BanRecord {
  readonly jail: string;
  readonly ip: string;
  readonly start: number;
  readonly until: number | null;
  readonly banCount: number;
  readonly reason: BanReason;
}
