// Runs one fixtures/scenarios/<case>/ folder: its jail.local (and jail.d/) laid over the shipped
// jail.conf, input.txt driven by a manual clock, expected.txt compared with what came out.
//
// input.txt, one step per line (times are durations from the start: 0, 90s, 4m, 1h2m):
//   <time> fail <ip> [at <time>|at +<dur>|at -<dur>] [@<jail>]   a failure seen now, dated `at`
//   … fail <ip> [at …] [account <a>] [session <s>] [kind <k>]     the failure names an account, a session
//   <time> challenge <ip> <session> [account <a>]                 a ChallengeSent (docs/beyond-one-address.md)
//   <time> login <ip> <session> [account <a>]                     a SuccessfulAuth
//   <time> tick                                                   expired bans → unbans; unanswered challenges
//                                                                 settled first, counted as failures
//   <time> ban <ip> [for <dur>|permanent] [@<jail>]               manual ban
//   <time> unban <ip> [@<jail>]                                   manual unban
//   <time> ignore add|del <cidr> [@<jail>]
//   <time> restart                                                the process restarts: the store is
//                                                                 closed and reopened, jails rebuilt and
//                                                                 restored from it, then ticked
// Headers: `# jail: <name>` (default jail; else the first enabled), `# self: <ip> …`,
// `# maxtracked: <n>`, `# random: <0..1>`. Other # lines are comments.
//
// expected.txt: every decision in order,
//   <time> ban <jail> <ip> until <time>|permanent count <n> reason <r> failures <n>
//   <time> unban <jail> <ip> reason <r>
//   <time> notice account-attack <jail> <account> addresses <n> banned <n>
//   <time> notice compromise-suspected <jail> <ip> <account> failures <n>
// and optionally `counters <jail> clamped=<n> evicted=<n> ignored=<n>` (checked at the end).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.js';
import { parseDuration } from '../../src/core/duration.js';
import type { Decision } from '../../src/core/types.js';
import { Jail } from '../../src/jails/jail.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { storeHistory, type Store } from '../../src/store/store.js';
import { CONFIG_DIR, fixtureReader } from '../config/config-kit.js';
import { T0 } from './jail-kit.js';

export interface ScenarioResult {
  readonly decisions: string[];
  readonly counters: string[];
  readonly expected: string[];
  readonly expectedCounters: string[];
  readonly configErrors: string[];
}

function time(text: string, line: string): number {
  const neg = text.startsWith('-');
  const ms = parseDuration(text.replace(/^[+-]/, ''));
  if (ms === null || ms < 0) throw new Error(`bad time "${text}" in: ${line}`);
  return neg ? -ms : ms;
}

function fmtTime(t: number | null): string {
  if (t === null) return 'permanent';
  const rel = t - T0;
  if (rel % 1000 !== 0) return `${rel}ms`;
  const s = rel / 1000;
  return `${s}s`;
}

function fmtDecision(d: Decision): string {
  return d.type === 'ban'
    ? `${fmtTime(d.time)} ban ${d.jail} ${d.ip} until ${fmtTime(d.until)} count ${d.banCount} reason ${d.reason} failures ${d.failures}`
    : `${fmtTime(d.time)} unban ${d.jail} ${d.ip} reason ${d.reason}`;
}

/** Times in expected.txt are written as durations; normalise them to seconds for comparison. */
function normaliseExpected(line: string): string {
  const words = line.trim().split(/\s+/);
  if (words[0] === 'counters') return words.join(' ');
  words[0] = fmtTime(T0 + time(words[0]!, line));
  const u = words.indexOf('until');
  if (u > 0 && words[u + 1] !== 'permanent') words[u + 1] = fmtTime(T0 + time(words[u + 1]!, line));
  return words.join(' ');
}

function lines(path: string): string[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}

export function runScenario(dir: string, dbPath: string): ScenarioResult {
  const input = lines(join(dir, 'input.txt'));
  const header = (name: string) =>
    input
      .find((l) => l.startsWith(`# ${name}:`))
      ?.slice(name.length + 3)
      .trim();
  const cfg = loadConfig(CONFIG_DIR, { reader: fixtureReader(dir) });
  const enabled = cfg.jails.filter((j) => j.enabled);
  const defaultJail = header('jail') ?? enabled[0]?.name ?? '';
  const random = Number(header('random') ?? 0);
  const deps = (store: Store) => ({
    history: storeHistory(store, cfg.service.dbpurgeage),
    selfAddresses: (header('self') ?? '').split(/\s+/).filter(Boolean),
    random: () => random,
    ...(header('maxtracked') ? { maxTracked: Number(header('maxtracked')) } : {}),
  });

  const out: string[] = [];
  let store: Store = SqliteStore.open(dbPath);
  let jails = new Map(enabled.map((j) => [j.name, new Jail(j, deps(store))]));
  // the daemon's part: every decision goes to the store
  const notices = (j: Jail, now: number) => {
    for (const n of j.takeNotices()) {
      out.push(
        n.event === 'account-attack'
          ? `${fmtTime(now)} notice account-attack ${n.jail} ${n.account} addresses ${n.addresses} banned ${n.banned}`
          : `${fmtTime(now)} notice compromise-suspected ${n.jail} ${n.ip} ${n.account} failures ${n.failures}`,
      );
    }
  };
  const opt = (args: string[], key: string): string | undefined => {
    const i = args.indexOf(key, 3);
    return i > 0 ? args[i + 1] : undefined;
  };
  const apply = (ds: readonly Decision[]) => {
    for (const d of ds) {
      out.push(fmtDecision(d));
      if (d.type === 'ban') store.addBan({ jail: d.jail, ip: d.ip, start: d.time, until: d.until, banCount: d.banCount, reason: d.reason }, true);
      else store.removeBan(d.jail, d.ip);
    }
  };

  for (const line of input) {
    if (line.startsWith('#')) continue;
    const words = line.split(/\s+/);
    const at = words.find((w) => w.startsWith('@'));
    const args = words.filter((w) => !w.startsWith('@'));
    const now = T0 + time(args[0]!, line);
    const jail = jails.get(at ? at.slice(1) : defaultJail);
    if (!jail && args[1] !== 'tick' && args[1] !== 'restart') throw new Error(`no enabled jail for: ${line}`);
    switch (args[1]) {
      case 'fail': {
        const dated = args[3] === 'at' ? args[4]! : null;
        const t = dated === null ? now : /^[+-]/.test(dated) ? now + time(dated, line) : T0 + time(dated, line);
        const account = opt(args, 'account');
        const sessionId = opt(args, 'session');
        const kind = opt(args, 'kind') ?? 'InvalidPassword';
        const f = { ip: args[2]!, time: t, kind, origin: 'log', source: 'scenario' } as const;
        apply(jail!.failure({ ...f, ...(account !== undefined ? { account } : {}), ...(sessionId !== undefined ? { sessionId } : {}) }, now));
        notices(jail!, now);
        break;
      }
      case 'challenge':
      case 'login': {
        const account = opt(args, 'account');
        const kind = args[1] === 'login' ? 'SuccessfulAuth' : 'ChallengeSent';
        const s = { kind, ip: args[2]!, time: now, origin: 'log', source: 'scenario', sessionId: args[3]! } as const;
        apply(jail!.signal({ ...s, ...(account !== undefined ? { account } : {}) }, now));
        notices(jail!, now);
        break;
      }
      case 'tick':
        for (const j of jails.values()) {
          for (const f of j.expiredChallenges(now)) apply(j.failure(f, now));
          apply(j.tick(now));
          notices(j, now);
        }
        break;
      case 'ban': {
        const dur = args[3] === 'for' ? time(args[4]!, line) : args[3] === 'permanent' ? -1 : undefined;
        apply(jail!.ban(args[2]!, now, dur === undefined ? {} : { duration: dur }));
        break;
      }
      case 'unban':
        apply(jail!.unban(args[2]!, now));
        break;
      case 'ignore':
        if (args[2] === 'add') jail!.addIgnore(args[3]!);
        else jail!.delIgnore(args[3]!);
        break;
      case 'restart':
        store.close();
        store = SqliteStore.open(dbPath);
        jails = new Map(enabled.map((j) => [j.name, new Jail(j, deps(store))]));
        for (const j of jails.values()) {
          apply(j.restore(store.activeBans(j.name), now));
          apply(j.tick(now));
        }
        break;
      default:
        throw new Error(`unknown step: ${line}`);
    }
  }
  const counters = [...jails.values()].map((j) => {
    const c = j.status(T0).counters;
    return `counters ${j.name} clamped=${c.clamped} evicted=${c.evicted} ignored=${c.ignored}`;
  });
  store.close();
  const expectedAll = lines(join(dir, 'expected.txt'))
    .filter((l) => !l.startsWith('#'))
    .map(normaliseExpected);
  return {
    decisions: out,
    counters,
    expected: expectedAll.filter((l) => !l.startsWith('counters')),
    expectedCounters: expectedAll.filter((l) => l.startsWith('counters')),
    configErrors: cfg.errors.map((e) => e.describe()),
  };
}
