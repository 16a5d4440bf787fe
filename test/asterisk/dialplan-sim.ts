// A small model of what Asterisk does with a call entering a dialplan context: find the extension
// (an exact match before a pattern), run the priorities, substitute ${EXTEN} and ${CHANNEL(...)}
// into the app data first and separate the arguments after (as pbx.c then the app do), follow
// Goto, record Log(), stop at Hangup. Then the line as logger.c writes it, in each formatter.
// It exists to show what the generated dialplan really logs for a caller's chosen extension.

import type { AsteriskConfig } from '../../src/asterisk/asterisk-config.js';
import { extenMatches, parseAppCall, parseExtenLine, separateAppArgs } from '../../src/asterisk/dialplan.js';

export interface Logged {
  readonly level: string;
  readonly exten: string;
  readonly priority: number;
  readonly context: string;
  readonly message: string;
}

interface Step {
  readonly exten: string;
  readonly priority: number;
  readonly app: string;
}

function steps(cfg: AsteriskConfig, context: string): Step[] {
  const out: Step[] = [];
  let exten = '';
  let prio = 0;
  for (const cat of cfg.named(context)) {
    for (const v of cat.variables) {
      const key = v.name.toLowerCase();
      if (key !== 'exten' && key !== 'same') continue;
      const line = parseExtenLine(key, v.value)!;
      if (key === 'exten') exten = line.exten;
      prio = line.priority === 'n' ? prio + 1 : Number(line.priority);
      out.push({ exten, priority: prio, app: line.app });
    }
  }
  return out;
}

function find(cfg: AsteriskConfig, context: string, exten: string, priority: number): { step: Step; exten: string } | null {
  const all = steps(cfg, context).filter((s) => s.priority === priority);
  const exact = all.find((s) => !s.exten.startsWith('_') && s.exten.toLowerCase() === exten.toLowerCase());
  const hit = exact ?? all.find((s) => extenMatches(s.exten, exten));
  return hit ? { step: hit, exten } : null;
}

export function placeCall(cfg: AsteriskConfig, context: string, dialled: string, channel: Readonly<Record<string, string>>): Logged[] {
  const logged: Logged[] = [];
  let ctx = context;
  let exten = dialled;
  let priority = 1;
  for (let guard = 0; guard < 50; guard++) {
    const here = find(cfg, ctx, exten, priority);
    if (here === null) return logged; // no such extension/priority: the call ends
    const call = parseAppCall(here.step.app);
    const data = call.data.replace(/\$\{EXTEN\}/g, exten).replace(/\$\{CHANNEL\(([^)]*)\)\}/g, (_m, k: string) => channel[k] ?? '');
    const args = separateAppArgs(data);
    switch (call.name.toLowerCase()) {
      case 'log':
        logged.push({ level: args[0]!, exten, priority, context: ctx, message: args[1] ?? '' });
        priority++;
        break;
      case 'goto':
        if (args.length === 3) [ctx, exten] = [args[0]!, args[1]!];
        else if (args.length === 2) exten = args[0]!;
        priority = Number(args.at(-1));
        break;
      case 'hangup':
        return logged;
      default:
        priority++;
    }
  }
  throw new Error('dialplan loop');
}

export type Formatter = 'default' | 'plain' | 'syslog';

/** The physical line logger.c writes for a dialplan Log() (docs/asterisk-facts.md §2.3). */
export function formatLine(l: Logged, date: string, fmt: Formatter): string {
  const tag = `${l.level}[4711][C-0000002a]`;
  switch (fmt) {
    case 'default':
      return `[${date}] ${tag} Ext. ${l.exten}: ${l.message}`;
    case 'plain':
      return `[${date}] ${tag}: Ext. ${l.exten}:${l.priority} @ ${l.context}: ${l.message}`;
    case 'syslog':
      return `Mar  1 10:15:30 pbx1 asterisk[1234]: ${tag}: Ext. ${l.exten}:${l.priority} in @ ${l.context}: ${l.message}`;
  }
}
