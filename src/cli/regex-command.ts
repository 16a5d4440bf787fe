// `voipguard regex <LOG|LINE> <FILTER|REGEX>`: fail2ban-regex for voipguard. It loads the filter
// with loadFilter and calls the same LineFilter.match the daemon calls, line by line.

import { closeSync, existsSync, openSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SystemClock, type Clock } from '../core/clock.js';
import { VoipguardError } from '../core/errors.js';
import { DEFAULT_CONFIG_DIR } from '../core/paths.js';
import { MAX_LINE_CHARS, type LineFilter } from '../filters/filter.js';
import { compileRegexFilter, filterExists, loadFilter } from '../filters/load-filter.js';
import { scanArgs, type ArgOptions } from './args.js';
import type { CliIo } from './io.js';
import { AccountReplay, accountRules } from './regex-accounts.js';
import { loadRegexExtras, type RegexExtras } from './regex-extras.js';
import { readLines } from './regex-input.js';
import { count, newRun, record, renderJson, renderOut, renderText, type RegexRun } from './regex-report.js';

const USAGE = `usage: voipguard regex [options] <LOG|LINE> <FILTER|REGEX>

Runs a filter over a log file (or one line, or - for stdin) and reports what it matched.
FILTER is a path, a filter name (asterisk, asterisk[chan_sip_patched=yes]) looked up in
<DIR>/filter.d then in the shipped filter.d, or a failregex.

  -c, --conf DIR        config directory (default ${DEFAULT_CONFIG_DIR})
  --print-all-matched   list the lines that gave a failure
  --print-all-missed    list the lines that did not
  -o, --out FORMAT      print only one line per failure, default '<ip> <msg>'; tags: <ip> <msg>
                        <time> <kind> <service> <transport> <account> <session> <line>
  --json                print the result as one JSON object
  --timezone TZ         zone of the log's timestamps: local (default), UTC, +0300, Europe/Berlin
  --journal             input is journald text: a line without a date gets the time it is read
  --jail NAME           count attempts with the correlate settings of jail NAME in DIR (and take
                        its timezone unless --timezone is given), and accounts with its
                        accountretry, accountfindtime and accountminfailures
  --accountretry N      show which addresses per-account counting would ban with accountretry N
                        (docs/beyond-one-address.md); default: the jail's, else off
  -h, --help            this text
`;

interface RegexOptions {
  configDir: string;
  printMatched: boolean;
  printMissed: boolean;
  out: string | null;
  json: boolean;
  timezone: string | undefined;
  journal: boolean;
  jail: string | null;
  accountretry: number | null;
  positional: string[];
}

export async function runRegex(argv: string[], io: CliIo): Promise<number> {
  // the config loader and the Jail are loaded only for the options that use them (startup is part
  // of every run's time: docs/flood.md)
  const opts = parseRegexArgs(argv);
  const extras = opts !== 'help' && needsExtras(opts) ? await loadRegexExtras() : null;
  return regexCommand(argv, io, new SystemClock(), extras);
}

/** --jail reads the config (and may turn per-account counting on); --accountretry N > 0 replays a Jail. */
function needsExtras(o: RegexOptions): boolean {
  return o.jail !== null || (o.accountretry ?? 0) > 0;
}

/**
 * The command with its clock injected (readAt of every line; year inference). `extras` (the config
 * loader and the Jail, regex-extras.ts) is needed with --jail or --accountretry N > 0.
 */
export function regexCommand(argv: string[], io: CliIo, clock: Clock, extras: RegexExtras | null = null): number {
  const opts = parseRegexArgs(argv);
  if (opts === 'help') {
    io.out(USAGE);
    return 0;
  }
  if (opts.positional.length !== 2) throw new VoipguardError('VG_USAGE', `regex needs <LOG|LINE> and <FILTER|REGEX>\n${USAGE}`);
  const [inputArg, filterArg] = opts.positional as [string, string];
  if (needsExtras(opts) && extras === null) throw new Error('regexCommand: --jail and --accountretry need loadRegexExtras()');
  const jail = opts.jail === null ? null : extras!.jailSettings(opts.jail, opts.configDir);
  if (jail?.timezone && opts.timezone === undefined) opts.timezone = jail.timezone;
  const { filter, kind, basedir } = resolveFilter(filterArg, opts);
  const input = resolveInput(inputArg, io.cwd);
  const accounts = new AccountReplay(accountRules(jail, opts.accountretry), jail, extras?.jail ?? null);
  const run = newRun(input, filter, kind, { matched: opts.printMatched, missed: opts.printMissed }, jail?.correlate ?? {}, accounts);
  const out: string[] = [];
  const readAt = clock.now();
  const source = opts.journal ? 'journal:regex' : input.kind === 'file' ? input.name : `<${input.kind}>`;
  const started = performance.now();
  let n = 0;
  const onLine = (text: string): void => {
    n++;
    const m = filter.match({ source, text, readAt });
    record(run, n, text, m);
    if (opts.out !== null && m.failure !== null) {
      out.push(renderOut(opts.out, { n, text, failure: m.failure, regexIndex: m.regexIndex }));
      if (out.length >= 4096) io.out(out.splice(0).join('\n') + '\n');
    }
  };
  if (input.kind === 'line') {
    onLine(inputArg);
  } else {
    const fd = input.kind === 'stdin' ? 0 : openFile(input.name);
    try {
      // the filter's pre-check on bytes: a line it turns away is the filter's plain miss, counted
      // here without being decoded (not when every missed line is to be listed)
      const screen = opts.printMissed ? null : (filter.byteScreen?.() ?? null);
      const onSkip = (lines: number): void => {
        n += lines;
        run.lines += lines;
        run.missed += lines;
      };
      const st = readLines(fd, MAX_LINE_CHARS * 4, onLine, screen && { screen, onSkip });
      // lines the reader dropped are lines of the log all the same: count them as missed
      const dropped = st.tooLong + (st.truncatedLastLine ? 1 : 0);
      run.lines += dropped;
      run.missed += dropped;
      count(run, 'too-long', st.tooLong);
      count(run, 'invalid-utf8', st.invalidUtf8);
      if (st.truncatedLastLine) count(run, 'truncated-last-line');
    } finally {
      if (fd !== 0) closeSync(fd);
    }
  }
  run.elapsedMs = performance.now() - started;
  if (opts.out !== null) {
    if (out.length) io.out(out.join('\n') + '\n');
  } else if (opts.json) {
    io.out(renderJson(run, basedir));
  } else {
    io.out(renderText(run, basedir));
  }
  return 0;
}

const REGEX_OPTIONS: ArgOptions = {
  help: { type: 'boolean', short: 'h' },
  conf: { type: 'string', short: 'c' },
  out: { type: 'string', short: 'o' },
  json: { type: 'boolean' },
  'print-all-matched': { type: 'boolean' },
  'print-all-missed': { type: 'boolean' },
  timezone: { type: 'string' },
  logtimezone: { type: 'string' },
  journal: { type: 'boolean' },
  jail: { type: 'string' },
  accountretry: { type: 'string' },
};

function parseRegexArgs(argv: string[]): RegexOptions | 'help' {
  const o: RegexOptions = {
    configDir: DEFAULT_CONFIG_DIR,
    printMatched: false,
    printMissed: false,
    out: null,
    json: false,
    timezone: undefined,
    journal: false,
    jail: null,
    accountretry: null,
    positional: [],
  };
  const tokens = scanArgs(argv, REGEX_OPTIONS, {
    needsValue: (flag) => new VoipguardError('VG_USAGE', `${flag} needs a value\n${USAGE}`),
    takesNoValue: (flag) => new VoipguardError('VG_USAGE', `${flag} takes no value\n${USAGE}`),
  });
  // in order, as written: a -h before a mistake shows the help, a mistake before it is reported
  for (const t of tokens) {
    if (t.kind === 'positional') o.positional.push(t.value);
    else if (t.kind === 'unknown') throw new VoipguardError('VG_USAGE', `unknown option ${t.rawName}\n${USAGE}`);
    else if (t.name === 'help') return 'help';
    else if (t.name === 'conf') o.configDir = t.value!;
    else if (t.name === 'out') o.out = t.value!;
    else if (t.name === 'json') o.json = true;
    else if (t.name === 'print-all-matched') o.printMatched = true;
    else if (t.name === 'print-all-missed') o.printMissed = true;
    else if (t.name === 'timezone' || t.name === 'logtimezone') o.timezone = t.value!;
    else if (t.name === 'journal') o.journal = true;
    else if (t.name === 'jail') o.jail = t.value!;
    else if (t.name === 'accountretry') {
      if (!/^\d{1,4}$/.test(t.value!)) throw new VoipguardError('VG_USAGE', `--accountretry needs a whole number (0 to 1000)\n${USAGE}`);
      o.accountretry = Math.min(Number(t.value), 1000);
    }
  }
  if (o.out !== null && o.out.trim() === '') o.out = '<ip> <msg>';
  return o;
}

function resolveFilter(arg: string, o: RegexOptions): { filter: LineFilter; kind: 'file' | 'regex'; basedir: string } {
  const lo = { configDir: o.configDir, ...(o.timezone !== undefined ? { timezone: o.timezone } : {}) };
  if (existsSync(arg) && statSync(arg).isFile()) {
    return { filter: loadFilter(resolve(arg), lo), kind: 'file', basedir: dirname(resolve(arg)) };
  }
  const named = /^([A-Za-z0-9_][A-Za-z0-9_.@+-]*)(\[[\s\S]*\])?$/.exec(arg);
  if (named && (named[2] !== undefined || filterExists(named[1]!, o.configDir))) {
    const filter = loadFilter(arg, lo);
    return { filter, kind: 'file', basedir: filter.files[0] ? dirname(dirname(filter.files[0])) : o.configDir };
  }
  return { filter: compileRegexFilter(arg, lo), kind: 'regex', basedir: o.configDir };
}

function resolveInput(arg: string, cwd: string): RegexRun['input'] {
  if (arg === '-') return { kind: 'stdin', name: '<stdin>' };
  const path = resolve(cwd, arg);
  if (existsSync(path)) return { kind: 'file', name: path };
  // a log line always has spaces; a word without any is a path that is not there
  if (!/\s/.test(arg)) throw new VoipguardError('VG_INPUT', `${arg}: no such file`);
  return { kind: 'line', name: arg };
}

function openFile(path: string): number {
  try {
    if (!statSync(path).isFile()) throw new Error('not a regular file');
    return openSync(path, 'r');
  } catch (e) {
    throw new VoipguardError('VG_INPUT', `${path}: ${(e as Error).message}`, {}, { cause: e });
  }
}
