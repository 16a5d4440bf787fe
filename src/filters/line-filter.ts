// The matcher the daemon and `voipguard regex` share. Per line, in this order (cheap first):
// length cap → literal pre-check (no regex, no date) → ANSI colours stripped → NUL refused →
// date found and cut out → prefregex (its F-CONTENT is what failregexes see) → first matching
// failregex → ignoreregex → the address validated by core/ip.ts → a Failure.
// SecurityEvent records (<SECURITYEVENT>) are read as key="value" pairs and normalised by the
// code the AMI source uses too (security-event.ts).

import { parseHostPort } from '../core/ip.js';
import type { AuthSignalKind } from '../core/auth-signal.js';
import type { Failure, LogLine } from '../core/types.js';
import type { AddressSplit, CompiledRule } from './compile-rule.js';
import type { DateHit, DateParser } from './date-templates.js';
import { MAX_LINE_CHARS, type FilterMatch, type LineFilter, type MatchNote } from './filter.js';
import { ByteScreen } from './byte-screen.js';
import { buildGate, includesAny, type LiteralGate } from './literal-gate.js';
import { securityEventToFailure } from './security-event.js';
import { parseSecurityEventText } from './security-event-line.js';
import { SUCCESSFUL_AUTH } from './successful-auth.js';
import { afterGlue, cutDialplan, cutExtension, termStrip } from './asterisk-line-text.js';

export interface FilterParts {
  readonly name: string;
  readonly files: readonly string[];
  readonly prefregex: CompiledRule | null;
  readonly failregex: readonly CompiledRule[];
  readonly ignoreregex: readonly CompiledRule[];
  readonly dates: DateParser;
  readonly securityEvents: ReadonlySet<string>;
  /** ChallengeSent / SuccessfulAuth to read as signals (never failures); default none. */
  readonly signals?: ReadonlySet<AuthSignalKind>;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const TRANSPORT = /^[A-Z]{2,5}$/;
const MISS: FilterMatch = Object.freeze({ failure: null, ignored: false, regexIndex: -1, dateFormat: null });
const ESC = '\x1b';
const SGR_RE = /\x1b\[[0-9;]*m/g;

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
  /** Asterisk's log (the filter reads SecurityEvent lines): glued and continued lines are looked for. */
  private readonly asterisk: boolean;
  /** The event names parsed in full: the failures counted, the signals asked for and SuccessfulAuth. */
  private readonly parsedEvents: ReadonlySet<string>;
  /** The signals read: those asked for, and SuccessfulAuth always (it feeds the registrations, docs/registrations.md). */
  private readonly readSignals: ReadonlySet<AuthSignalKind>;
  /** Sources whose last line was a message cut by a newline in a caller field. */
  private readonly open = new Map<string, true>();

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
    this.asterisk = p.failregex.some((r) => r.securityEvent);
    this.readSignals = new Set<AuthSignalKind>([...(p.signals ?? []), SUCCESSFUL_AUTH]);
    this.parsedEvents = new Set([...p.securityEvents, ...this.readSignals]);
    this.prefFields = p.prefregex !== null && (p.prefregex.hosts.length > 0 || Object.keys(p.prefregex.fields).some((f) => f !== 'content'));
  }

  /** The filter reads SecurityEvent records (a <SECURITYEVENT> failregex): it can see SuccessfulAuth. */
  get readsSecurityEvents(): boolean {
    return this.asterisk;
  }

  get candidates(): number {
    return this.examined;
  }

  /** The literals of the pre-check (null: every line is examined); for the bench and tests. */
  get gateLiterals(): readonly string[] | null {
    return this.gate.literals;
  }

  /**
   * The pre-check on bytes, for a reader that cuts lines itself (src/filters/byte-screen.ts); null
   * when it cannot be exact on bytes (no literal, or literals tested without regard to case).
   */
  byteScreen(): ByteScreen | null {
    const gates = [this.gate, this.prefGate].filter((g) => g.literals !== null);
    if (gates.length === 0) return null;
    // a literal holding U+FFFD could match what invalid bytes decode to; /i is exact on bytes for ASCII only
    const exact = (g: LiteralGate): boolean => g.literals!.every((l) => !l.includes('\uFFFD') && (!g.ignoreCase || /^[\x00-\x7f]*$/.test(l)));
    if (!gates.every(exact)) return null;
    // ESC: colour codes are stripped before the gate; ` Ext. `: see match()
    const triggers = this.asterisk ? [ESC, ' Ext. '] : [ESC];
    return new ByteScreen(
      gates.map((g) => ({ literals: g.literals!, ignoreCase: g.ignoreCase })),
      triggers,
      MAX_LINE_CHARS,
      () => this.open.size > 0,
    );
  }

  match(line: LogLine): FilterMatch {
    const raw = line.text;
    if (raw.length > MAX_LINE_CHARS) return note(null, 'too-long');
    let text = raw;
    // The rest of a message whose caller field held a newline: whatever it looks like, Asterisk
    // did not start this line (docs/security.md, "Forged lines").
    let continues = false;
    if (this.asterisk) {
      if (this.open.size > 0) continues = this.open.delete(line.source);
      // `Ext. <EXTEN>` stands right after the level block; the extension lines are checked past the gate
      // (the first ` Ext. ` starting by 80, as lastIndexOf(…, 80) asks: that search runs backwards
      // character by character in V8 and showed in the profile; indexOf is a fast forward search)
      const ext = text.indexOf(' Ext. ');
      if (ext >= 0 && ext <= 80 && cutDialplan(text)) return this.opens(line.source);
    }
    if (text.includes(ESC)) {
      // Asterisk's term_strip() deletes from an ESC to the next 'm'. Only where that is a colour
      // code (ESC [ digits m) is the result the text a file would hold; anything else deleted or
      // kept text the caller placed around an ESC, and the line is refused.
      const stripped = text.replace(SGR_RE, '');
      if (stripped.includes(ESC)) {
        if (!this.gate.pass(text) && !this.gate.pass(termStrip(text))) return MISS;
        return hostileNote('escape', 'escape-sequence');
      }
      text = stripped;
    }
    if (!this.gate.pass(text)) return MISS;
    if (!this.prefGate.pass(text)) return MISS;
    if (text.includes('\0')) return note(null, 'binary');
    if (continues) return hostileNote('continuation', 'continuation-line');
    if (this.asterisk && cutExtension(text)) return this.opens(line.source);
    let glued = false;
    if (this.asterisk) {
      const rest = afterGlue(text);
      if (rest !== null) {
        text = rest;
        glued = true;
      }
    }
    this.examined++;
    let m: FilterMatch;
    try {
      m = this.examine(line, text);
    } catch {
      m = note(null, 'error'); // e.g. the regex engine's backtrack stack: skip the line, keep going
    }
    if (!glued) return m;
    // hostile: a login read out of a glued line registers nothing (docs/registrations.md, "Trust")
    return { ...m, hostile: [...(m.hostile ?? []), 'glued-line'], ...(m.failure === null && m.note === undefined ? { note: 'glued' as const } : {}) };
  }

  /** A cut message: the next line of its source is the rest, whatever it looks like. */
  private opens(source: string): FilterMatch {
    this.open.set(source, true);
    return hostileNote('continuation', 'cut-message');
  }

  private examine(line: LogLine, text: string): FilterMatch {
    const date = this.p.dates.find(text, line.readAt);
    const dateFormat = date?.format ?? null;
    let content = date ? text.slice(0, date.start) + text.slice(date.end) : text;
    let prefGroups: Record<string, string | undefined> | undefined;
    if (this.p.prefregex) {
      const m = this.p.prefregex.re.exec(content);
      if (!m) return dateFormat ? missWith(dateFormat) : MISS;
      prefGroups = m.groups;
      if (prefGroups?.vg_f_content !== undefined) content = prefGroups.vg_f_content;
    }
    const rules = this.p.failregex;
    for (let i = 0; i < rules.length; i++) {
      const r = rules[i]!;
      if (r.lead && !startsWith(content, r.lead)) continue;
      if (r.literals && !r.literals.ignoreCase && !includesAny(content, r.literals.literals)) continue;
      const m = r.re.exec(content);
      if (!m) continue;
      if (this.p.ignoreregex.some((ig) => ig.re.test(content))) {
        return { failure: null, ignored: true, regexIndex: i, dateFormat };
      }
      const groups = this.prefFields ? { ...prefGroups, ...m.groups } : (m.groups ?? {});
      return this.toFailure(r, i, groups, line, date, content);
    }
    return dateFormat ? missWith(dateFormat) : MISS;
  }

  private toFailure(r: CompiledRule, i: number, g: Record<string, string | undefined>, line: LogLine, date: DateHit | null, content: string): FilterMatch {
    const dateFormat = date?.format ?? null;
    const journal = startsWith(line.source, 'journal:');
    const origin = journal ? ('journal' as const) : ('log' as const);
    if (r.securityEvent) {
      const parsed = parseSecurityEventText(g.vg_secevent ?? '', this.parsedEvents);
      if (parsed === null) return { failure: null, ignored: false, regexIndex: i, dateFormat, note: 'not-a-failure-event' };
      const res = securityEventToFailure(parsed.pairs, {
        origin,
        source: line.source,
        fallbackTime: date?.time ?? journalTime(line),
        events: this.p.securityEvents,
        signals: this.readSignals,
        line: line.text,
      });
      // built field by field, in the order the spreads gave: an absent field costs no object
      const out: Mutable<FilterMatch> = { failure: res.failure ? withService(res.failure, r) : null, ignored: false, regexIndex: i, dateFormat };
      if (parsed.hostile.length) out.hostile = parsed.hostile;
      if (res.reason) out.note = res.reason;
      if (res.signal) out.signal = withService(res.signal, r);
      return out;
    }
    const at = (n: MatchNote): FilterMatch => ({ failure: null, ignored: false, regexIndex: i, dateFormat, note: n });
    if (g.vg_f_nofail !== undefined) return at('nofail');
    let ip: string | null = null;
    let hostText = '';
    for (const h of r.hosts) {
      const text = g[h.group];
      if (text === undefined) continue;
      const hp = parseHostPort(text);
      if (hp !== null && (h.family === null || (h.family === 4) === !hp.ip.includes(':'))) {
        ip = hp.ip;
        hostText = text;
      }
      break; // the first address the regex captured is the one it means; never try a second
    }
    if (ip === null) return at('bad-host');
    if (r.split !== null && otherReading(r.split, content, ip, hostText)) {
      return { ...at('ambiguous'), hostile: ['ambiguous-address'] };
    }
    // a journal line without a date of its own: journald's receive time if the source gives it
    const time = date?.time ?? (journal ? journalTime(line) : null);
    if (time === null) return at('no-date');
    const account = g.vg_f_user ?? g.vg_f_alt_user;
    const session = g.vg_f_callid ?? g.vg_f_sessionid;
    const transport = g.vg_f_transport?.toUpperCase();
    // field by field, in the order the spreads gave: an absent field costs no object
    const failure: Mutable<Failure> = { ip, time, kind: r.kind ?? this.name, origin, source: line.source };
    if (r.service) failure.service = r.service;
    if (transport && TRANSPORT.test(transport)) failure.transport = transport;
    if (account !== undefined) failure.account = account;
    if (session !== undefined) failure.sessionId = session;
    failure.line = line.text;
    return { failure, ignored: false, regexIndex: i, dateFormat };
  }
}

/** Most places a cue may occur before a line is refused as built to be read several ways. */
const MAX_CUES = 64;

/**
 * Whether the rule also matches `content` with another address at another place. The address a
 * rule reads is right only if it is the only one the line's grammar allows: caller text on both
 * sides (a From display name before, a Call-ID after) can otherwise hold Asterisk's own words
 * around a second address, and which one the regex engine picks is an accident of greediness.
 */
function otherReading(split: AddressSplit, content: string, ip: string, hostText: string): boolean {
  let seen = 0;
  for (let p = content.indexOf(split.cue); p >= 0; p = content.indexOf(split.cue, p + 1)) {
    if (++seen > MAX_CUES) return true;
    const q = p + split.cue.length;
    split.right.lastIndex = q;
    const text = split.right.exec(content)?.groups?.[split.group];
    // the very text the address was read from reads as that address again: not parsed twice
    if (text === undefined || text === hostText) continue;
    const hp = parseHostPort(text);
    // the left part is looked at only where another address would be read
    if (hp !== null && hp.ip !== ip && split.left.test(content.slice(0, q))) return true;
  }
  return false;
}

function hostileNote(n: MatchNote, sign: string): FilterMatch {
  return { failure: null, ignored: false, regexIndex: -1, dateFormat: null, note: n, hostile: [sign] };
}

function journalTime(line: LogLine): number {
  const t = line.time;
  return t !== undefined && Number.isFinite(t) ? t : line.readAt;
}

function note(dateFormat: string | null, n: MatchNote): FilterMatch {
  return { failure: null, ignored: false, regexIndex: -1, dateFormat, note: n };
}

/** A SecurityEvent's kind is its event name; a <service=…> label only fills a missing service. */
function withService<T extends { readonly service?: string }>(f: T, r: CompiledRule): T {
  return f.service === undefined && r.service ? { ...f, service: r.service } : f;
}

/** The plain miss with the date format that was read (a literal: a spread of MISS copies by the slow path). */
function missWith(dateFormat: string): FilterMatch {
  return { failure: null, ignored: false, regexIndex: -1, dateFormat };
}

/** `s.startsWith(prefix)` without the substring V8's startsWith makes; most rules differ at the first character. */
function startsWith(s: string, prefix: string): boolean {
  if (s.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (s.charCodeAt(i) !== prefix.charCodeAt(i)) return false;
  return true;
}
