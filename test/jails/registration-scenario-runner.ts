// Runs one fixtures/registrations/<case>/ folder (docs/registrations.md): its jail.local laid over the
// shipped jail.conf, input.txt driven by a manual clock through the pure parts (RegistrationBook,
// the jail's RegisteredGuard, Jail), expected.txt compared with what came out.
//
// input.txt, one step per line (times are durations from the start: 0, 90s, 4m, 1h2m):
//   <time> auth <ip> <account>                          a SuccessfulAuth (RemoteAddress, AccountID)
//   <time> fail <ip> <account> [<kind>]                 a failure (kind default ChallengeResponseFailed)
//   <time> contact live|down|removed <account> <uri> [expires <time>]
//                                                       a ContactStatus / ContactList contact (AOR = account)
//   <time> tick | ban <ip> | status
// An <account> is `-` (the failure names none), `json:"…"` (a JSON string, for quotes and line
// breaks; write spaces as \u0020), `rep:<n>:<text>` (<text> repeated to n characters) or plain text.
// A `# jail: <name>` header picks the jail (default: the first enabled).
//
// expected.txt: every decision in order (the jail scenario format:
//   <time> ban <jail> <ip> until <time> count <n> reason <r> failures <n>, <time> unban <jail> <ip> reason <r>),
// each `status` as `<time> protected <ip> failures <n> accounts <json array>` lines (or
// `<time> protected none`), and optionally `counters totalFailed=<n> protected=<n>`, checked at the end.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { parseDuration } from '../../src/core/duration.js';
import type { Decision } from '../../src/core/types.js';
import { attemptClass } from '../../src/correlate/attempt-classes.js';
import { contactHost } from '../../src/filters/ami-registrations.js';
import { Jail } from '../../src/jails/jail.js';
import { registeredGuardFor } from '../../src/jails/protect-registered.js';
import { RegistrationBook } from '../../src/jails/registration-book.js';
import { CONFIG_DIR, fixtureReader } from '../config/config-kit.js';
import { T0 } from './jail-kit.js';

export interface RegistrationScenarioResult {
  readonly out: string[];
  readonly expected: string[];
  readonly counters: string;
  readonly expectedCounters: string[];
  readonly configErrors: string[];
}

function time(text: string, line: string): number {
  const ms = parseDuration(text);
  if (ms === null || ms < 0) throw new Error(`bad time "${text}" in: ${line}`);
  return ms;
}

function fmtTime(t: number | null): string {
  if (t === null) return 'permanent';
  return `${(t - T0) / 1000}s`;
}

function fmtDecision(d: Decision): string {
  return d.type === 'ban'
    ? `${fmtTime(d.time)} ban ${d.jail} ${d.ip} until ${fmtTime(d.until)} count ${d.banCount} reason ${d.reason} failures ${d.failures}`
    : `${fmtTime(d.time)} unban ${d.jail} ${d.ip} reason ${d.reason}`;
}

function normaliseExpected(line: string): string {
  const words = line.trim().split(/\s+/);
  if (words[0] === 'counters') return words.join(' ');
  words[0] = fmtTime(T0 + time(words[0]!, line));
  const u = words.indexOf('until');
  if (u > 0 && words[u + 1] !== 'permanent') words[u + 1] = fmtTime(T0 + time(words[u + 1]!, line));
  return words.join(' ');
}

export function account(spec: string): string | undefined {
  if (spec === '-') return undefined;
  if (spec.startsWith('json:')) return JSON.parse(spec.slice(5)) as string;
  const rep = /^rep:(\d+):(.+)$/.exec(spec);
  if (rep) return rep[2]!.repeat(Math.ceil(Number(rep[1]) / rep[2]!.length)).slice(0, Number(rep[1]));
  return spec;
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

export function runRegistrationScenario(dir: string): RegistrationScenarioResult {
  const input = lines(join(dir, 'input.txt'));
  const cfg = loadConfig(CONFIG_DIR, { reader: fixtureReader(dir) });
  const name = input
    .find((l) => l.startsWith('# jail:'))
    ?.slice(7)
    .trim();
  const jc = cfg.jails.find((j) => (name ? j.name === name : j.enabled));
  if (!jc) throw new Error(`no jail in ${dir}`);
  const book = new RegistrationBook();
  // the shipped [asterisk] filter reads SecurityEvent records: `auto` resolves to yes
  const guard = registeredGuardFor(jc, { readsSecurityEvents: true, takesAmi: false }, book, (f) => attemptClass(f).name === 'bad-credentials');
  const jail = new Jail(jc, guard ? { registered: guard } : {});
  const out: string[] = [];
  const apply = (ds: readonly Decision[]) => ds.forEach((d) => out.push(fmtDecision(d)));
  for (const line of input) {
    if (line.startsWith('#')) continue;
    const w = line.split(/\s+/);
    const now = T0 + time(w[0]!, line);
    switch (w[1]) {
      case 'auth':
        book.observe({ type: 'auth', ip: w[2]!, account: account(w[3]!)!, time: now, origin: 'log', source: 'scenario' }, now);
        break;
      case 'fail': {
        const acc = account(w[3]!);
        const kind = w[4] ?? 'ChallengeResponseFailed';
        apply(
          jail.failure(
            { ip: w[2]!, time: now, kind, origin: 'log', source: 'scenario', service: 'PJSIP', ...(acc !== undefined ? { account: acc } : {}) },
            now,
          ),
        );
        break;
      }
      case 'contact': {
        const acc = account(w[3]!)!;
        const expires = w[5] === 'expires' ? T0 + time(w[6]!, line) : null;
        const state = w[2] as 'live' | 'down' | 'removed';
        book.observe({ type: 'contact', aor: acc, uri: w[4]!, account: acc, host: contactHost(w[4]!), state, expires, time: now }, now);
        break;
      }
      case 'tick':
        apply(jail.tick(now));
        break;
      case 'ban':
        apply(jail.ban(w[2]!, now));
        break;
      case 'status': {
        const rows = jail.status(now).protectedRegistered;
        if (rows.length === 0) out.push(`${fmtTime(now)} protected none`);
        for (const r of rows) out.push(`${fmtTime(now)} protected ${r.ip} failures ${r.failures} accounts ${JSON.stringify(r.accounts)}`);
        break;
      }
      default:
        throw new Error(`unknown step: ${line}`);
    }
  }
  const st = jail.status(T0);
  const expectedAll = lines(join(dir, 'expected.txt'))
    .filter((l) => !l.startsWith('#'))
    .map(normaliseExpected);
  return {
    out,
    expected: expectedAll.filter((l) => !l.startsWith('counters')),
    counters: `counters totalFailed=${st.totalFailed} protected=${guard?.protectedTotal ?? 0}`,
    expectedCounters: expectedAll.filter((l) => l.startsWith('counters')),
    configErrors: cfg.errors.map((e) => e.describe()),
  };
}
