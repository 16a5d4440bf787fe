// Which signals can be the same attempt seen through different sources. A security event (AMI or
// security log) is named by its event; a notice line by the log filter's kind plus the fixed reason
// Asterisk writes at the end of the line. Both map to a class, qualified by service, so
// `PJSIP:unknown-account` is an InvalidAccountID from res_pjsip or its "No matching endpoint found"
// NOTICE line. Reasons are read only from the end of the line (or, for manager.c lines, right after
// the address at the start), where Asterisk writes them: caller text cannot change a class by
// containing a reason, because the filter already anchored these lines the same way.

import type { Failure } from '../core/types.js';
import { FAILURE_EVENTS } from '../config/ami-events.js';

export type AttemptClassName = 'unknown-account' | 'bad-credentials' | 'acl' | 'login-failed';

/** The Asterisk security event names (docs/asterisk-facts.md §1.1: the failures and the two informational ones): a Failure with one of these kinds is an event. */
export const SECURITY_EVENT_NAMES: ReadonlySet<string> = new Set([...FAILURE_EVENTS, 'SuccessfulAuth', 'ChallengeSent']);

const EVENT_CLASS: Readonly<Record<string, AttemptClassName>> = {
  InvalidAccountID: 'unknown-account',
  ChallengeResponseFailed: 'bad-credentials',
  InvalidPassword: 'bad-credentials',
  FailedACL: 'acl',
};

interface LineRule {
  readonly kind: string;
  readonly service: string;
  readonly reasons: ReadonlyArray<readonly [RegExp, AttemptClassName]>;
}

const TRIES = '(?: after \\d+ tries in \\d+(?:\\.\\d+)? ms)?\\s*$';

/** The equivalence table (docs/ami.md shows it). A kind without a matching reason keeps its own class. */
export const LINE_RULES: readonly LineRule[] = [
  {
    kind: 'pjsip-request',
    service: 'PJSIP',
    reasons: [
      [new RegExp(`\\) - No matching endpoint found${TRIES}`), 'unknown-account'],
      [new RegExp(`\\) - (?:Failed|Error) to authenticate${TRIES}`), 'bad-credentials'],
      [new RegExp(`\\) - Not match Endpoint (?:Contact )?ACL${TRIES}`), 'acl'],
    ],
  },
  {
    kind: 'sip-register',
    service: 'SIP',
    reasons: [
      [/' - (?:Wrong password|Username\/auth name mismatch)\s*$/, 'bad-credentials'],
      [/' - No matching peer found\s*$/, 'unknown-account'],
      [/' - (?:Device does not match ACL|Not a local domain|Peer is not supposed to register|ACL error \(permit\/deny\))\s*$/, 'acl'],
    ],
  },
  // chan_sip reports an unknown extension as FailedACL (ACLName no_extension_match), facts §9.2
  { kind: 'sip-call-rejected', service: 'SIP', reasons: [[/$/, 'acl']] },
  { kind: 'sip-auth-patched', service: 'SIP', reasons: [[/$/, 'bad-credentials']] },
  {
    kind: 'manager-auth',
    service: 'AMI',
    // read from just after `manager.c:` (see managerMessage): `<ip> <phrase> '<user>'`
    reasons: [
      [/^\S+ tried to authenticate with nonexistent user '/, 'unknown-account'],
      [/^\S+ failed to pass IP ACL as '/, 'acl'],
      [/^\S+ failed to authenticate as '/, 'login-failed'],
    ],
  },
];

export interface AttemptClass {
  /** `SERVICE:class`, e.g. `PJSIP:unknown-account`; for a kind outside the table, `SERVICE:kind`. */
  readonly key: string;
  readonly service: string;
  readonly name: string;
  readonly securityEvent: boolean;
}

export function attemptClass(f: Failure): AttemptClass {
  if (SECURITY_EVENT_NAMES.has(f.kind)) {
    const service = f.service ?? '';
    const name = EVENT_CLASS[f.kind] ?? f.kind;
    return { key: `${service}:${name}`, service, name, securityEvent: true };
  }
  const rule = LINE_RULES.find((r) => r.kind === f.kind);
  const service = rule?.service ?? f.service ?? '';
  let name = f.kind;
  if (rule !== undefined && f.line !== undefined) {
    const text = rule.kind === 'manager-auth' ? managerMessage(f.line) : f.line;
    const hit = rule.reasons.find(([re]) => re.test(text));
    if (hit !== undefined) name = hit[1];
  }
  return { key: `${service}:${name}`, service, name, securityEvent: false };
}

/**
 * The message of a manager.c line: it starts with the address, right after `manager.c:` and the
 * optional `<line> [in ]<function>:` of the plain and syslog forms. The prefix is Asterisk's.
 */
function managerMessage(line: string): string {
  const i = line.indexOf('manager.c:');
  if (i < 0) return line;
  const rest = line.slice(i + 'manager.c:'.length);
  const loc = /^(?:\d+(?: in)? \w+:)? +/.exec(rest);
  return loc ? rest.slice(loc[0].length) : rest;
}
