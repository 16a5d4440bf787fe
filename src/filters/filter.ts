// The filter stage's contract: one physical log line in, at most one Failure out. Pure (no I/O,
// no clock: the line carries readAt; its only state is a count), never throws, and the same
// compiled object serves the daemon and `voipguard regex`.

import type { AuthSignal } from '../core/auth-signal.js';
import type { Failure, LogLine } from '../core/types.js';
import type { ByteScreen } from './byte-screen.js';

/** Why a line gave no failure although it got past the cheap pre-check; counted by the CLI. */
export type MatchNote =
  | 'too-long' // over MAX_LINE_CHARS: not looked at
  | 'binary' // contains NUL: not Asterisk's
  | 'no-date' // a failregex matched, but the line has no date a template can read
  | 'bad-host' // a failregex matched, but the captured address is not a valid IP
  | 'nofail' // the match carries <F-NOFAIL>
  | 'not-a-failure-event' // a SecurityEvent that this filter does not count (ChallengeSent…)
  | 'no-remote-address'
  | 'bad-remote-address'
  | 'ambiguous' // the line's grammar allows another address at another place: refused (hostile)
  | 'escape' // an ESC that Asterisk's term_strip() would not have removed as a colour code (hostile)
  | 'glued' // a line holding the end of a cut message before this one (hostile; the rest is read)
  | 'continuation' // the rest of a message whose caller field held a newline (hostile)
  | 'untrusted-address' // chan_sip's RemoteAddress, which a Via maddr= can set (docs/security.md)
  | 'error'; // a regex engine failure (stack); the line is skipped, the guard goes on

export interface FilterMatch {
  readonly failure: Failure | null;
  /** A failregex matched and so did an ignoreregex. */
  readonly ignored: boolean;
  /** Index into `failregexes` of the rule that matched, or -1. */
  readonly regexIndex: number;
  /** Name of the date template that read the line's date, or null. */
  readonly dateFormat: string | null;
  /** Signs of an injection attempt (`duplicate-key:remoteaddress`…): log them. */
  readonly hostile?: readonly string[];
  readonly note?: MatchNote;
  /** A ChallengeSent or SuccessfulAuth the filter was asked to read (never a failure). */
  readonly signal?: AuthSignal;
}

export interface LineFilter {
  readonly name: string;
  /** The failregexes as written (after %(x)s interpolation, before tag expansion). */
  readonly failregexes: readonly string[];
  readonly ignoreregexes: readonly string[];
  readonly prefregex: string | null;
  /** Names of the date templates in the order they are tried. */
  readonly dateTemplates: readonly string[];
  /** The config files the filter was read from (empty for a bare regex). */
  readonly files: readonly string[];
  /**
   * Lines that got past the cheap pre-check (literal gate, prefregex literals) and went on to the
   * date and the regexes, since the filter was made. A count rather than a field of every result:
   * the runtime compares it around match(), and the common miss stays one shared object.
   */
  readonly candidates: number;
  /** The filter reads SecurityEvent records, so it sees SuccessfulAuth (docs/registrations.md). */
  readonly readsSecurityEvents?: boolean;
  match(line: LogLine): FilterMatch;
  /**
   * The cheap pre-check on a line's bytes, before it is decoded (src/filters/byte-screen.ts): a
   * line it turns away would get the plain miss from match(). Null when there is none.
   */
  byteScreen?(): ByteScreen | null;
}

/** Longer lines are not examined: Asterisk's own lines are far shorter, and a regex over
 *  megabytes of attacker text is a denial of service. */
export const MAX_LINE_CHARS = 64 * 1024;
