// The matcher the daemon and `voipguard regex` share. Per line, in this order (cheap first):
// length cap → literal pre-check (no regex, no date) → ANSI colours stripped → NUL refused →
// date found and cut out → prefregex (its F-CONTENT is what failregexes see) → first matching
// failregex → ignoreregex → the address validated by core/ip.ts → a Failure.
// SecurityEvent records (<SECURITYEVENT>) are read as key="value" pairs and normalised by the
// code the AMI source uses too (security-event.ts).

import { parseHostPort } from '../core/ip.js';
import type { Failure, LogLine } from '../core/types.js';
import type { CompiledRule } from './compile-rule.js';
import type { DateHit, DateParser } from './date-templates.js';
import { MAX_LINE_CHARS, type FilterMatch, type LineFilter, type MatchNote } from './filter.js';
import { buildGate, includesAny, type LiteralGate } from './literal-gate.js';
import { securityEventToFailure } from './security-event.js';
import { parseSecurityEventText } from './security-event-line.js';

export interface FilterParts {
  readonly name: string;
  readonly files: readonly string[];
  readonly prefregex: CompiledRule | null;
  readonly failregex: readonly CompiledRule[];
  readonly ignoreregex: readonly CompiledRule[];
  readonly dates: DateParser;
  readonly securityEvents: ReadonlySet<string>;
}

const MISS: FilterMatch = Object.freeze({ failure: null, ignored: false, regexIndex: -1, dateFormat: null });
const ANSI_RE = /\x1b\[[0-9;?]*[A-Za-z]/g;

export class CompiledFilter implements LineFilter {
  readonly name: string;
  readonly failregexes: readonly string[];
  readonly ignoreregexes: readonly string[];
  readonly prefregex: string | null;
  readonly dateTemplates: readonly string[];
  readonly files: readonly string[];
  private examined = 0;
  private readonly gate: LiteralGate;
  private readonly prefGate: LiteralGate;
  /** The prefregex captures fields (F-USER…) the failregex results must see. */
  private readonly prefFields: boolean;

  constructor(private readonly p: FilterParts) {
    this.name = p.name;
    this.files = p.files;
    this.failregexes = p.failregex.map((r) => r.text);
    this.ignoreregexes = p.ignoreregex.map((r) => r.text);
    this.prefregex = p.prefregex?.text ?? null;
    this.dateTemplates = p.dates.templates;
    // the prefregex and a failregex must both match: either one's literals may open the gate,
    // the failregexes' being the more selective
    this.gate = buildGate(p.failregex.map((r) => r.literals));
    // checked after the gate, before any date is parsed: a VERBOSE line that merely names
    // manager.c stops here
    this.prefGate = buildGate(p.prefregex ? [p.prefregex.literals] : []);
    this.prefFields = p.prefregex !== null && (p.prefregex.hosts.length > 0 || Object.keys(p.prefregex.fields).some((f) => f !== 'content'));
  }

  get candidates(): number {
    return this.examined;
  }

  /** The literals of the pre-check (null: every line is examined); for the bench and tests. */
  get gateLiterals(): readonly string[] | null {
    return this.gate.literals;
  }

  match(line: LogLine): FilterMatch {
    const raw = line.text;
    if (raw.length > MAX_LINE_CHARS) return note(null, 'too-long');
    let text = raw;
    if (!this.gate.pass(text)) {
      if (!text.includes('\x1b')) return MISS;
      text = text.replace(ANSI_RE, '');
      if (!this.gate.pass(text)) return MISS;
    } else if (text.includes('\x1b')) {
      text = text.replace(ANSI_RE, '');
    }
    if (!this.prefGate.pass(text)) return MISS;
    if (text.includes('\0')) return note(null, 'binary');
    this.examined++;
    try {
      return this.examine(line, text);
    } catch {
      return note(null, 'error'); // e.g. the regex engine's backtrack stack: skip the line, keep going
    }
  }

  private examine(line: LogLine, text: string): FilterMatch {
    const date = this.p.dates.find(text, line.readAt);
    const dateFormat = date?.format ?? null;
    let content = date ? text.slice(0, date.start) + text.slice(date.end) : text;
    let prefGroups: Record<string, string | undefined> | undefined;
    if (this.p.prefregex) {
      const m = this.p.prefregex.re.exec(content);
      if (!m) return dateFormat ? { ...MISS, dateFormat } : MISS;
      prefGroups = m.groups;
      if (prefGroups?.vg_f_content !== undefined) content = prefGroups.vg_f_content;
    }
    const rules = this.p.failregex;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (r.literals && !r.literals.ignoreCase && !includesAny(content, r.literals.literals)) continue;
      const m = r.re.exec(content);
      if (!m) continue;
      if (this.p.ignoreregex.some((ig) => ig.re.test(content))) {
        return { failure: null, ignored: true, regexIndex: i, dateFormat };
      }
      const groups = this.prefFields ? { ...prefGroups, ...m.groups } : (m.groups ?? {});
      return this.toFailure(r, i, groups, line, date);
    }
    return dateFormat ? { ...MISS, dateFormat } : MISS;
  }

  private toFailure(r: CompiledRule, i: number, g: Record<string, string | undefined>, line: LogLine, date: DateHit | null): FilterMatch {
    const dateFormat = date?.format ?? null;
    const journal = line.source.startsWith('journal:');
    const origin = journal ? ('journal' as const) : ('log' as const);
    if (r.securityEvent) {
      const parsed = parseSecurityEventText(g.vg_secevent ?? '', this.p.securityEvents);
      if (parsed === null) return { failure: null, ignored: false, regexIndex: i, dateFormat, note: 'not-a-failure-event' };
      const res = securityEventToFailure(parsed.pairs, {
        origin,
        source: line.source,
        fallbackTime: date?.time ?? journalTime(line),
        events: this.p.securityEvents,
        line: line.text,
      });
      const failure = res.failure ? withService(res.failure, r) : null;
      return {
        failure,
        ignored: false,
        regexIndex: i,
        dateFormat,
        ...(parsed.hostile.length ? { hostile: parsed.hostile } : {}),
        ...(res.reason ? { note: res.reason } : {}),
      };
    }
    const at = (n: MatchNote): FilterMatch => ({ failure: null, ignored: false, regexIndex: i, dateFormat, note: n });
    if (g.vg_f_nofail !== undefined) return at('nofail');
    let ip: string | null = null;
    for (const h of r.hosts) {
      const text = g[h.group];
      if (text === undefined) continue;
      const hp = parseHostPort(text);
      if (hp !== null && (h.family === null || (h.family === 4) === !hp.ip.includes(':'))) ip = hp.ip;
      break; // the first address the regex captured is the one it means; never try a second
    }
    if (ip === null) return at('bad-host');
    // a journal line without a date of its own: journald's receive time if the source gives it
    const time = date?.time ?? (journal ? journalTime(line) : null);
    if (time === null) return at('no-date');
    const account = g.vg_f_user ?? g.vg_f_alt_user;
    const session = g.vg_f_callid ?? g.vg_f_sessionid;
    const transport = g.vg_f_transport?.toUpperCase();
    const failure: Failure = {
      ip,
      time,
      kind: r.kind ?? this.name,
      origin,
      source: line.source,
      ...(r.service ? { service: r.service } : {}),
      ...(transport && /^[A-Z]{2,5}$/.test(transport) ? { transport } : {}),
      ...(account !== undefined ? { account } : {}),
      ...(session !== undefined ? { sessionId: session } : {}),
      line: line.text,
    };
    return { failure, ignored: false, regexIndex: i, dateFormat };
  }
}

function journalTime(line: LogLine): number {
  const t = line.time;
  return t !== undefined && Number.isFinite(t) ? t : line.readAt;
}

function note(dateFormat: string | null, n: MatchNote): FilterMatch {
  return { failure: null, ignored: false, regexIndex: -1, dateFormat, note: n };
}

/** A SecurityEvent's kind is its event name; a <service=…> label only fills a missing service. */
function withService(f: Failure, r: CompiledRule): Failure {
  return f.service === undefined && r.service ? { ...f, service: r.service } : f;
}
