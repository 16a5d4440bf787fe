// Reads the Asterisk config files the checks look at, once, and answers the questions several checks
// share: is a module loaded, and does a dialplan context log unknown callers the way voipguard reads.

import { join } from 'node:path';
import type { ConfigFileReader } from '../config/config-set.js';
import { readAsteriskConfig, type AsteriskConfig } from '../asterisk/asterisk-config.js';
import { unknownCallerMessage } from '../asterisk/snippets.js';
import { extenMatches, parseAppCall, parseExtenLine, separateAppArgs } from '../asterisk/dialplan.js';
import { isFalse } from '../asterisk/logger-config.js';
import type { AsteriskFiles } from './doctor-types.js';

export function loadAsteriskFiles(dir: string, reader: ConfigFileReader): AsteriskFiles {
  const read = (name: string): AsteriskConfig | null => readAsteriskConfig(join(dir, name), { reader, configDir: dir });
  return {
    dir,
    asterisk: read('asterisk.conf'),
    logger: read('logger.conf'),
    manager: read('manager.conf'),
    modules: read('modules.conf'),
    stasis: read('stasis.conf'),
    sip: read('sip.conf'),
    pjsip: read('pjsip.conf'),
    extensions: read('extensions.conf'),
  };
}

/** False when modules.conf keeps `module` (e.g. `chan_sip.so`) from loading. */
export function moduleLoaded(modules: AsteriskConfig | null, module: string): boolean {
  if (modules === null) return true; // no modules.conf: Asterisk autoloads everything
  const vars = modules.browse('modules');
  const named = (key: string): boolean => vars.some((v) => v.name.toLowerCase() === key && v.value.trim().toLowerCase() === module.toLowerCase());
  if (named('noload')) return false;
  if (isFalse(modules.retrieve('modules', 'autoload'))) return named('load') || named('require') || named('preload');
  return true;
}

/** The extension lines of a context, `same =>` lines given the extension before them. */
function contextApps(extensions: AsteriskConfig, context: string): { exten: string; app: string }[] {
  const out: { exten: string; app: string }[] = [];
  let last = '';
  for (const cat of extensions.named(context)) {
    for (const v of cat.variables) {
      const key = v.name.toLowerCase();
      if (key !== 'exten' && key !== 'same') continue;
      const line = parseExtenLine(key, v.value);
      if (line === null) continue;
      if (key === 'exten') last = line.exten;
      out.push({ exten: last, app: line.app });
    }
  }
  return out;
}

/** What a Log() call prints: its second argument after Asterisk's argument processing. */
function loggedText(app: string): string | null {
  const call = parseAppCall(app);
  if (call.name.toLowerCase() !== 'log') return null;
  return separateAppArgs(call.data)[1] ?? null;
}

/**
 * Whether a call entering `context` with any number ends in a Log() that prints the fixed, quoted
 * unknown-caller message at extension `s` (directly, or after one Goto(ctx,s,1)), so its address
 * reaches a log line voipguard reads with the constant prefix `Ext. s`.
 */
export function contextLogsUnknownCallers(extensions: AsteriskConfig | null, context: string, depth = 0): boolean {
  if (extensions === null || depth > 3) return false;
  const apps = contextApps(extensions, context);
  const expected = unknownCallerMessage('');
  const logsAtS = apps.some((a) => a.exten === 's' && loggedText(a.app)?.startsWith(expected.slice(0, -1)) === true);
  // the entry that takes every number a scanner may dial ("s" has its own line)
  const catchAll = apps.find((a) => a.exten.startsWith('_') && extenMatches(a.exten, 'admin') && extenMatches(a.exten, '1000'));
  if (catchAll === undefined) return false;
  const call = parseAppCall(catchAll.app);
  const args = separateAppArgs(call.data).map((x) => x.trim());
  if (call.name.toLowerCase() !== 'goto' || args.length < 2 || args.at(-2) !== 's' || args.at(-1) !== '1') return false;
  const target = args.length === 3 ? args[0]! : context;
  return target.toLowerCase() === context.toLowerCase() ? logsAtS : contextLogsUnknownCallers(extensions, target, depth + 1);
}

/** Whether the context exists and has any extension or include (a call into it runs dialplan). */
export function contextHasExtensions(extensions: AsteriskConfig | null, context: string): boolean {
  if (extensions === null) return false;
  const includes = extensions.named(context).some((c) => c.variables.some((v) => v.name.toLowerCase() === 'include'));
  return includes || contextApps(extensions, context).length > 0;
}
