// What `voipguard regex` counted, and its three renderings: the fail2ban-regex summary, the --json
// object (documented in docs/filters.md) and the -o/--out lines.

import type { Failure } from '../core/types.js';
import type { FilterMatch, LineFilter, MatchNote } from '../filters/filter.js';
import { AttemptCorrelator, type CorrelatorOptions } from '../correlate/attempt-correlator.js';
import { AccountReplay, accountRules, accountsJson, renderAccountsText } from './regex-accounts.js';

export type Problem = MatchNote | 'invalid-utf8' | 'truncated-last-line' | 'hostile';

export interface MatchedLine {
  readonly n: number;
  readonly text: string;
  readonly failure: Failure;
  readonly regexIndex: number;
}

export interface RegexRun {
  readonly input: { readonly kind: 'file' | 'line' | 'stdin'; readonly name: string };
  readonly filter: LineFilter;
  readonly filterKind: 'file' | 'regex';
  lines: number;
  matched: number;
  ignored: number;
  missed: number;
  readonly failregexHits: number[];
  readonly ignoredByRegex: number[]; // per failregex that matched an ignored line
  readonly dateHits: Map<string, number>;
  readonly problems: Map<Problem, number>;
  readonly addresses: Map<string, { count: number; first: number; last: number }>;
  readonly matchedLines: MatchedLine[] | null; // kept only when asked for
  readonly missedLines: { n: number; text: string }[] | null;
  /** The daemon's own correlator, replayed on event time: shows signals seen vs attempts counted. */
  readonly correlator: AttemptCorrelator;
  /** false when the jail given with --jail sets correlate = no. */
  readonly correlate: boolean;
  /** Per-account counts and the bans per-account counting would make (docs/beyond-one-address.md). */
  readonly accounts: AccountReplay;
  elapsedMs: number;
}

export function newRun(
  input: RegexRun['input'],
  filter: LineFilter,
  filterKind: RegexRun['filterKind'],
  keep: { matched: boolean; missed: boolean },
  correlate: CorrelatorOptions = {},
  accounts: AccountReplay = new AccountReplay(accountRules(null, null), null),
): RegexRun {
  return {
    input,
    filter,
    filterKind,
    lines: 0,
    matched: 0,
    ignored: 0,
    missed: 0,
    failregexHits: filter.failregexes.map(() => 0),
    ignoredByRegex: filter.failregexes.map(() => 0),
    dateHits: new Map(),
    problems: new Map(),
    addresses: new Map(),
    matchedLines: keep.matched ? [] : null,
    missedLines: keep.missed ? [] : null,
    correlator: new AttemptCorrelator(correlate),
    correlate: correlate.enabled ?? true,
    accounts,
    elapsedMs: 0,
  };
}

export function count(run: RegexRun, p: Problem, by = 1): void {
  if (by > 0) run.problems.set(p, (run.problems.get(p) ?? 0) + by);
}

/** Accounts one line's result. */
export function record(run: RegexRun, n: number, text: string, m: FilterMatch): void {
  run.lines++;
  if (m.dateFormat !== null) run.dateHits.set(m.dateFormat, (run.dateHits.get(m.dateFormat) ?? 0) + 1);
  if (m.note) count(run, m.note);
  if (m.hostile?.length) count(run, 'hostile');
  const f = m.failure;
  if (f !== null) {
    run.matched++;
    run.failregexHits[m.regexIndex]!++;
    if (run.correlator.accept(f, f.time)) run.accounts.failure(f);
    const a = run.addresses.get(f.ip);
    if (a) {
      a.count++;
      a.first = Math.min(a.first, f.time);
      a.last = Math.max(a.last, f.time);
    } else run.addresses.set(f.ip, { count: 1, first: f.time, last: f.time });
    run.matchedLines?.push({ n, text, failure: f, regexIndex: m.regexIndex });
  } else if (m.ignored) {
    run.ignored++;
    run.ignoredByRegex[m.regexIndex]!++;
  } else {
    run.missed++;
    run.missedLines?.push({ n, text });
  }
}

const PROBLEM_TEXT: Readonly<Record<Problem, string>> = {
  'too-long': 'too long',
  binary: 'with NUL bytes',
  'invalid-utf8': 'with invalid UTF-8',
  'truncated-last-line': 'truncated last line (no newline; not examined)',
  'no-date': 'matched without a readable date',
  'bad-host': 'matched with an address that is not an IP',
  nofail: 'matched a F-NOFAIL rule',
  'not-a-failure-event': 'SecurityEvent not counted (ChallengeSent…)',
  'no-remote-address': 'SecurityEvent without RemoteAddress',
  'bad-remote-address': 'SecurityEvent with a bad RemoteAddress',
  hostile: 'hostile (duplicated SecurityEvent keys)',
  ambiguous: 'refused: the address could be read at two places (hostile)',
  escape: 'refused: an escape sequence Asterisk would not have written (hostile)',
  glued: 'glued to the cut end of an earlier message (hostile)',
  continuation: 'refused: continues a message whose caller field held a newline (hostile)',
  'untrusted-address': 'chan_sip SecurityEvent (RemoteAddress can come from Via maddr=)',
  error: 'skipped on a regex engine error',
};

export function renderText(run: RegexRun, basedir: string): string {
  const o: string[] = ['', 'Running tests', '=============', ''];
  const f = run.filter;
  if (run.filterKind === 'regex') o.push(`Use   failregex line : ${f.failregexes[0] ?? ''}`);
  else o.push(`Use   failregex filter file : ${f.name}, basedir: ${basedir}`);
  if (f.prefregex) o.push(`Use         prefregex : ${f.prefregex}`);
  if (run.input.kind === 'line') o.push(`Use      single line : ${clip(run.input.name, 60)}`);
  else o.push(`Use         log file : ${run.input.name}`);
  o.push('Use         encoding : UTF-8', '', '', 'Results', '=======', '');

  o.push(`Failregex: ${run.matched} total`);
  o.push('|-  #) [# of hits] regular expression');
  run.failregexHits.forEach((hits, i) => {
    if (hits > 0) o.push(`|  ${String(i + 1).padStart(2)}) [${hits}] ${f.failregexes[i]}`);
  });
  o.push('`-', '');
  o.push(`Ignoreregex: ${run.ignored} total`);
  if (run.ignored > 0) {
    o.push('|-  #) [# of hits] failregex whose match was ignored');
    run.ignoredByRegex.forEach((hits, i) => {
      if (hits > 0) o.push(`|  ${String(i + 1).padStart(2)}) [${hits}] ${f.failregexes[i]}`);
    });
    o.push('`-');
  }
  o.push('', 'Date template hits:', '|- [# of hits] date format');
  for (const [fmt, hits] of run.dateHits) o.push(`|  [${hits}] ${fmt}`);
  o.push('`-', '');
  o.push(...summaryLines(run));
  o.push(...renderAccountsText(run.accounts.report()));
  if (run.matchedLines)
    o.push(
      ...listing(
        'Matched line(s)',
        run.matchedLines.map((m) => m.text),
      ),
    );
  if (run.missedLines)
    o.push(
      ...listing(
        'Missed line(s)',
        run.missedLines.map((m) => m.text),
      ),
    );
  return o.join('\n') + '\n';
}

/** The closing counts: fail2ban-regex's `Lines:` line, then how many attempts the daemon would count. */
function summaryLines(run: RegexRun): string[] {
  const out = [`Lines: ${run.lines} lines, ${run.ignored} ignored, ${run.matched} matched, ${run.missed} missed`];
  const st = run.correlator.stats();
  const rule = run.correlate ? 'one attempt counts once; see docs/ami.md' : 'correlate = no: every signal counts';
  out.push(`Attempts: ${st.signals} signals seen, ${st.attempts} attempts counted (${rule})`);
  const problems = [...run.problems].map(([p, n]) => `${n} ${PROBLEM_TEXT[p]}`);
  if (problems.length) out.push(`Problems: ${problems.join(', ')}`);
  out.push(`[processed in ${(run.elapsedMs / 1000).toFixed(2)} sec]`);
  return out;
}

function listing(title: string, lines: readonly string[]): string[] {
  if (lines.length === 0) return [];
  return ['', `|- ${title}:`, ...lines.map((l) => `|  ${l}`), '`-'];
}

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 3) + '...' : s;
}

/** One line per failure: `<ip> <msg>` by default; tags <ip> <msg> <time> <kind> <service>
 *  <transport> <account> <session> <line>. A format without `<` is a list of tag names (fail2ban-regex's `-o ip`). */
export function renderOut(format: string, m: MatchedLine): string {
  const fmt = format.includes('<')
    ? format
    : format
        .split(/[\s,]+/)
        .filter(Boolean)
        .map((t) => `<${t}>`)
        .join(' ');
  const f = m.failure;
  const values: Record<string, string> = {
    ip: f.ip,
    msg: m.text,
    time: new Date(f.time).toISOString(),
    kind: f.kind,
    service: f.service ?? '',
    transport: f.transport ?? '',
    account: f.account ?? '',
    session: f.sessionId ?? '',
    line: String(m.n),
  };
  return fmt.replace(/<(\w+)>/g, (all, k: string) => values[k] ?? all);
}

export function renderJson(run: RegexRun, basedir: string): string {
  const f = run.filter;
  const obj = {
    input: run.input,
    filter: {
      name: f.name,
      kind: run.filterKind,
      basedir: run.filterKind === 'file' ? basedir : null,
      files: f.files,
      prefregex: f.prefregex,
      failregex: f.failregexes.map((regex, i) => ({ index: i + 1, regex, hits: run.failregexHits[i], ignored: run.ignoredByRegex[i] })),
      ignoreregex: f.ignoreregexes,
      dateTemplates: f.dateTemplates,
    },
    lines: { total: run.lines, matched: run.matched, ignored: run.ignored, missed: run.missed },
    attempts: (({ signals, attempts, merged }) => ({ correlate: run.correlate, signals, attempts, merged }))(run.correlator.stats()),
    accounts: accountsJson(run.accounts.report()),
    dateHits: Object.fromEntries(run.dateHits),
    problems: Object.fromEntries(run.problems),
    addresses: [...run.addresses]
      .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
      .map(([ip, a]) => ({ ip, failures: a.count, first: new Date(a.first).toISOString(), last: new Date(a.last).toISOString() })),
    ...(run.matchedLines
      ? {
          failures: run.matchedLines.map(({ n, regexIndex, failure: x }) => ({
            line: n,
            regex: regexIndex + 1,
            ip: x.ip,
            time: new Date(x.time).toISOString(),
            kind: x.kind,
            service: x.service ?? null,
            transport: x.transport ?? null,
            account: x.account ?? null,
            sessionId: x.sessionId ?? null,
            text: x.line ?? '',
          })),
        }
      : {}),
    ...(run.missedLines ? { missed: run.missedLines.map((m) => ({ line: m.n, text: m.text })) } : {}),
    elapsedMs: Math.round(run.elapsedMs),
  };
  return JSON.stringify(obj, null, 2) + '\n';
}
