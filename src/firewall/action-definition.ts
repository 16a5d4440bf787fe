// An action.d unit compiled for one jail: per address family, every command split into argv once,
// every batch-script line split into words once, every pattern compiled once. Nothing here runs.
//
// fail2ban keys: actionstart, actionstop, actioncheck, actionrepair, actionflush, actionban,
// actionunban. voipguard extensions (all optional): batchcommand + batchbegin/batchban/batchunban/
// batchend (one transaction per batch, script on stdin), actionlist + listban (what the kernel
// holds), actionbandrop/actionunbandrop/batchbandrop/batchunbandrop + listbandrop/actionlistdrop
// (the DROP form of a ban, for droprepeat: docs/firewall.md), checkmatch (patterns actioncheck's
// output must show), hooklist + hookjump (the chain we hook, for the ESTABLISHED warning),
// batchbannew/batchbandropnew (the lines of a ban of an address the action does not hold), batchmerge
// (runs of element lines joined into one statement), tablelist + tablecheck (one listing of the whole table, shared by the jail's actions, that answers
// both the structure check and the listing of bans, unless tablebans = no: docs/flood.md), batchjoin (scripts of several
// actions for the same batch command go in one run), firewall = memory (the dummy action).

import type { ConfigFileReader } from '../config/config-set.js';
import { VoipguardError, type ErrorPlace } from '../core/errors.js';
import { commandValue, FAMILIES, openAction, placeOf, resolveStatic, valueLine, type ActionSource, type Family } from './action-file.js';
import {
  compileCommand,
  compileScriptLine,
  renderCommand,
  TemplateError,
  type CommandTemplate,
  type DynamicTag,
  type ScriptTemplate,
} from './command-template.js';

export type { Family } from './action-file.js';
export { FAMILIES } from './action-file.js';

export interface BatchPlan {
  readonly command: readonly string[];
  readonly begin: readonly string[];
  readonly ban: readonly ScriptTemplate[];
  readonly unban: readonly ScriptTemplate[];
  /** batchbandrop / batchunbandrop: a DROP ban (droprepeat); empty: the action has no DROP form. */
  readonly banDrop: readonly ScriptTemplate[];
  readonly unbanDrop: readonly ScriptTemplate[];
  /** batchbannew / batchbandropnew: the lines of a ban whose address the action does not hold (empty: ban / banDrop). */
  readonly banNew: readonly ScriptTemplate[];
  readonly banDropNew: readonly ScriptTemplate[];
  /** batchmerge = yes: runs of `<head> { <element> }` lines go as one statement (script-merge.ts). */
  readonly merge: boolean;
  readonly end: readonly string[];
  /** batchjoin = yes: scripts of the jail's actions for this command, sent in the same turn, go in one run. */
  readonly join: boolean;
}

export interface FamilyPlan {
  readonly family: Family;
  readonly start: readonly (readonly string[])[];
  readonly stop: readonly (readonly string[])[];
  readonly check: readonly (readonly string[])[];
  readonly checkMatch: readonly RegExp[];
  /** null: repair is stop (errors tolerated) then start. */
  readonly repair: readonly (readonly string[])[] | null;
  readonly flush: readonly (readonly string[])[];
  readonly ban: readonly CommandTemplate[];
  readonly unban: readonly CommandTemplate[];
  /** actionbandrop / actionunbandrop: a DROP ban (droprepeat); empty: the action has no DROP form. */
  readonly banDrop: readonly CommandTemplate[];
  readonly unbanDrop: readonly CommandTemplate[];
  readonly batch: BatchPlan | null;
  readonly list: readonly (readonly string[])[];
  readonly listBan: RegExp | null;
  /** listbandrop: matches the entries the kernel DROPs, in actionlistdrop's output (default: actionlist's). */
  readonly listDrop: readonly (readonly string[])[];
  readonly listBanDrop: RegExp | null;
  readonly hookList: readonly (readonly string[])[];
  readonly hookJump: RegExp | null;
  /** tablelist: commands listing the whole table (shared by the jail's actions within one round). */
  readonly tableList: readonly (readonly string[])[];
  /** tablecheck: patterns tablelist's output shows when the structure is whole (empty: no tablelist use). */
  readonly tableCheck: readonly RegExp[];
  /** tablebans (default yes): listban reads tablelist's output; no: the bans come from actionlist (sets). */
  readonly tableBans: boolean;
}

export interface ActionDefinition {
  /** The action.d file name (iptables, iptables-ipset…). */
  readonly action: string;
  /** The instance name (`name` tag): asterisk-tcp. */
  readonly name: string;
  readonly file: string;
  /** command: runs commands; memory: the dummy action (bans kept in memory, nothing runs);
   *  notify: a notification action (`notify = mail|webhook`, src/notify), not a firewall. */
  readonly kind: 'command' | 'memory' | 'notify';
  readonly families: Readonly<Record<Family, FamilyPlan>>;
  /** `banranges = yes`: <ip> may be a CIDR range (iptables -s, ip route). Absent: addresses only, so
   *  a set of single addresses (ipset hash:ip, an nft set without `flags interval`) is never handed one. */
  readonly ranges: boolean;
}

export interface LoadActionOptions {
  readonly jail: string;
  readonly configDir: string;
  readonly params?: Readonly<Record<string, string>>;
  readonly reader?: ConfigFileReader;
}

const BAN_TAGS: readonly DynamicTag[] = ['ip', 'bantime', 'timeout', 'duration', 'failures', 'bancount', 'time'];
const UNBAN_TAGS: readonly DynamicTag[] = ['ip'];

export function loadActionDefinition(action: string, args: Readonly<Record<string, string>>, opts: LoadActionOptions): ActionDefinition {
  const src = openAction(action, args, { name: opts.jail, ...(opts.params ?? {}) }, opts.configDir, opts.reader);
  const kind =
    commandValue(src, 'notify') !== undefined ? 'notify' : (commandValue(src, 'firewall') ?? '').trim().toLowerCase() === 'memory' ? 'memory' : 'command';
  const families = {} as Record<Family, FamilyPlan>;
  for (const f of FAMILIES) families[f] = kind === 'command' ? compileFamily(src, f) : emptyPlan(f);
  const name = kind === 'notify' ? action : resolveStatic(src, 'inet4', '<name>', placeOf(src, 'Init', 'name'));
  const ranges = kind === 'memory' || /^(1|yes|true|on)$/i.test((commandValue(src, 'banranges') ?? '').trim());
  return Object.freeze({ action, name, file: src.file, kind, families: Object.freeze(families), ranges });
}

function emptyPlan(family: Family): FamilyPlan {
  return {
    family,
    start: [],
    stop: [],
    check: [],
    checkMatch: [],
    repair: null,
    flush: [],
    ban: [],
    unban: [],
    banDrop: [],
    unbanDrop: [],
    batch: null,
    list: [],
    listBan: null,
    listDrop: [],
    listBanDrop: null,
    hookList: [],
    hookJump: null,
    tableList: [],
    tableCheck: [],
    tableBans: false,
  };
}

function compileFamily(src: ActionSource, family: Family): FamilyPlan {
  const c = new Compiler(src, family);
  const batchCommand = c.commands('batchcommand', []);
  const batchBan = c.script('batchban', BAN_TAGS);
  const batchUnban = c.script('batchunban', UNBAN_TAGS);
  let batch: BatchPlan | null = null;
  if (batchCommand.length > 0 || batchBan.length > 0 || batchUnban.length > 0) {
    if (batchCommand.length !== 1) throw c.missing('batchcommand', 'batchban/batchunban need exactly one batchcommand line');
    if (batchBan.length === 0 || batchUnban.length === 0)
      throw c.missing(batchBan.length ? 'batchunban' : 'batchban', 'a batch action needs both batchban and batchunban');
    batch = {
      command: renderCommand(batchCommand[0]!),
      begin: c.staticScript('batchbegin'),
      ban: batchBan,
      unban: batchUnban,
      banDrop: c.script('batchbandrop', BAN_TAGS),
      unbanDrop: c.script('batchunbandrop', UNBAN_TAGS),
      banNew: c.script('batchbannew', BAN_TAGS),
      banDropNew: c.script('batchbandropnew', BAN_TAGS),
      merge: /^(1|yes|true|on)$/i.test((commandValue(src, 'batchmerge') ?? '').trim()),
      end: c.staticScript('batchend'),
      join: /^(1|yes|true|on)$/i.test((commandValue(src, 'batchjoin') ?? '').trim()),
    };
  }
  const ban = c.commands('actionban', BAN_TAGS);
  const unban = c.commands('actionunban', UNBAN_TAGS);
  if (!batch && (ban.length === 0 || unban.length === 0)) {
    throw c.missing(ban.length ? 'actionunban' : 'actionban', 'an action needs actionban and actionunban (or the batch keys)');
  }
  const listBan = c.pattern('listban');
  const list = c.staticCommands('actionlist');
  if (list.length > 0 && (!listBan || !/\(\?<ip>/.test(listBan.source))) {
    throw c.missing('listban', 'actionlist needs a listban pattern with a named group (?<ip>…)');
  }
  const repair = c.staticCommands('actionrepair');
  const listBanDrop = c.pattern('listbandrop');
  if (listBanDrop && !/\(\?<ip>/.test(listBanDrop.source)) throw c.missing('listbandrop', 'listbandrop needs a named group (?<ip>…)');
  const listDrop = c.staticCommands('actionlistdrop');
  const tableList = c.staticCommands('tablelist');
  const tableCheck = c.patterns('tablecheck');
  if (tableCheck.length > 0 && tableList.length === 0) throw c.missing('tablelist', 'tablecheck needs the tablelist command whose output it reads');
  return {
    family,
    start: c.staticCommands('actionstart'),
    stop: c.staticCommands('actionstop'),
    check: c.staticCommands('actioncheck'),
    checkMatch: c.patterns('checkmatch'),
    repair: repair.length ? repair : null,
    flush: c.staticCommands('actionflush'),
    ban,
    unban,
    banDrop: c.commands('actionbandrop', BAN_TAGS),
    unbanDrop: c.commands('actionunbandrop', UNBAN_TAGS),
    batch,
    list,
    listBan: list.length ? listBan : null,
    listDrop: listDrop.length ? listDrop : list,
    listBanDrop: list.length ? listBanDrop : null,
    hookList: c.staticCommands('hooklist'),
    hookJump: c.pattern('hookjump'),
    tableList,
    tableCheck,
    tableBans: tableCheck.length > 0 && !/^(0|no|false|off)$/i.test((commandValue(src, 'tablebans') ?? '').trim()),
  };
}

class Compiler {
  constructor(
    private readonly src: ActionSource,
    private readonly family: Family,
  ) {}

  private lines(key: string): { text: string; place: ErrorPlace }[] {
    const raw = commandValue(this.src, key);
    if (raw === undefined) return [];
    const base = placeOf(this.src, 'Definition', key);
    const entry = this.src.set.entry('Definition', key);
    const out: { text: string; place: ErrorPlace }[] = [];
    raw.split('\n').forEach((rawLine, i) => {
      const place = { ...base, line: valueLine(this.src, entry, i) ?? base.line };
      // a tag may stand for several lines (`<actionflush>` inside actionstop): each is a command
      for (const t of resolveStatic(this.src, this.family, rawLine, place).split('\n')) {
        if (t.trim() !== '') out.push({ text: t.trim(), place });
      }
    });
    return out;
  }

  private wrap<T>(place: ErrorPlace, text: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      const code = e.kind === 'shell' ? 'VG_ACTION_SHELL' : 'VG_ACTION_TAG';
      throw new VoipguardError(code, `"${clip(text)}": ${e.message}`, place, { cause: e });
    }
  }

  commands(key: string, allowed: readonly DynamicTag[]): CommandTemplate[] {
    return this.lines(key).map((l) => this.wrap(l.place, l.text, () => compileCommand(l.text, allowed)));
  }

  staticCommands(key: string): string[][] {
    return this.commands(key, []).map((t) => renderCommand(t));
  }

  script(key: string, allowed: readonly DynamicTag[]): ScriptTemplate[] {
    return this.lines(key).map((l) => this.wrap(l.place, l.text, () => compileScriptLine(l.text, allowed)));
  }

  staticScript(key: string): string[] {
    return this.script(key, []).map((t) => t.pieces.join(''));
  }

  patterns(key: string): RegExp[] {
    const raw = commandValue(this.src, key);
    if (raw === undefined) return [];
    const place = placeOf(this.src, 'Definition', key);
    return raw
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const text = resolveStatic(this.src, this.family, l.trim(), place, escapeRegExp);
        try {
          return new RegExp(text, 'gm');
        } catch (e) {
          throw new VoipguardError('VG_CONFIG_TYPE', `"${clip(text)}" is not a regular expression: ${(e as Error).message}`, place, { cause: e });
        }
      });
  }

  pattern(key: string): RegExp | null {
    const p = this.patterns(key);
    if (p.length > 1) throw new VoipguardError('VG_CONFIG_TYPE', `${key} takes one pattern, found ${p.length}`, placeOf(this.src, 'Definition', key));
    return p[0] ?? null;
  }

  missing(key: string, why: string): VoipguardError {
    return new VoipguardError('VG_CONFIG_MISSING', `${key}: ${why}`, placeOf(this.src, 'Definition', key));
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function clip(s: string): string {
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}
