// Every `voipguard` word that is not a subcommand of our own goes to the daemon, in
// fail2ban-client's grammar: `status [<jail> [short]]`, `set <jail> banip IP…`, `get <jail> bantime`…
// parseClientArgs turns argv into a typed request (pure, unit-tested); runClient sends it and
// renders the reply, or prints it as JSON with `--json`. Errors exit with their class's code.

import { join } from 'node:path';
import { ConfigSet } from '../config/config-set.js';
import { EXIT_CODES, VoipguardError } from '../core/errors.js';
import { DEFAULT_CONFIG_DIR } from '../core/paths.js';
import { ControlClient } from '../control/control-client.js';
import { checkIps, checkJailName, JAIL_KEYS, PROTOCOL_VERSION, RUNTIME_KEYS, type ControlRequest, type JailKey } from '../control/protocol.js';
import type { ControlReplies } from '../control/replies.js';
import { isRuntimeKey } from '../config/runtime-settings.js';
import { DEFAULT_SOCKET } from '../control/socket-file.js';
import { voipguardVersion } from '../control/version.js';
import { scanArgs, type ArgOptions } from './args.js';
import type { CliIo } from './io.js';
import { renderJailStatus, renderServiceStatus } from './render-status.js';
import { renderClusterStatus } from './render-cluster.js';
import { renderStats } from './render-table.js';
import { renderFeeds } from './render-feeds.js';
import { renderBanned, renderIgnoreList, renderJailValue } from './render-values.js';
import { CLIENT_HELP } from './render-help.js';

export interface ClientOptions {
  readonly configDir: string;
  readonly socket: string | null;
  readonly json: boolean;
  readonly timeoutMs: number;
}

export type ClientAction = { readonly kind: 'help' } | { readonly kind: 'version' } | { readonly kind: 'request'; readonly req: ControlRequest };

function usage(message: string): VoipguardError {
  return new VoipguardError('VG_USAGE', `${message}; see \`voipguard -h\``);
}

const CLIENT_OPTIONS: ArgOptions = {
  conf: { type: 'string', short: 'c' },
  socket: { type: 'string', short: 's' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  timeout: { type: 'string' },
  version: { type: 'boolean', short: 'V' },
};

export function parseClientArgs(argv: readonly string[]): { opts: ClientOptions; action: ClientAction } {
  let configDir = DEFAULT_CONFIG_DIR;
  let socket: string | null = null;
  let json = false;
  let timeoutMs = 30_000;
  let help = false;
  const words: string[] = [];
  // options may stand anywhere on the line, as fail2ban-client allows; the words keep their order
  for (const t of scanArgs(argv, CLIENT_OPTIONS, { needsValue: (a) => usage(`${a} needs a value`), takesNoValue: (a) => usage(`${a} takes no value`) })) {
    if (t.kind === 'positional') words.push(t.value);
    else if (t.kind === 'unknown') {
      // `unban --all`, `get <jail> banip --with-time`, `stop --flush`: words of the command, not options of ours
      if ((t.rawName === '--all' || t.rawName === '--with-time' || t.rawName === '--flush') && t.value === undefined) words.push(t.rawName);
      else throw usage(`unknown option ${t.rawName}`);
    } else if (t.name === 'conf') configDir = t.value!;
    else if (t.name === 'socket') socket = t.value!;
    else if (t.name === 'json') json = true;
    else if (t.name === 'help') help = true;
    else if (t.name === 'timeout') {
      const n = Number(t.value);
      if (!(n > 0)) throw usage('--timeout takes a number of seconds');
      timeoutMs = n * 1000;
    } else if (t.name === 'version') words.push('version');
  }
  const opts = { configDir, socket, json, timeoutMs };
  if (help || words.length === 0 || words[0] === 'help') return { opts, action: { kind: 'help' } };
  if (words[0] === 'version' && words.length === 1) return { opts, action: { kind: 'version' } };
  return { opts, action: { kind: 'request', req: parseWords(words) } };
}

function parseWords(w: readonly string[]): ControlRequest {
  const [cmd, a, b] = w;
  const n = w.length;
  const exact = (count: number) => {
    if (n !== count) throw usage(`\`${w.slice(0, 2).join(' ')}\` takes ${count - 1} argument${count === 2 ? '' : 's'}`);
  };
  switch (cmd) {
    case 'stop':
      // --flush: this stop ends protection (the rules go); a plain stop leaves them (docs/restart.md)
      if (n === 2 && a === '--flush') return { cmd: 'stop', flush: true };
      exact(1);
      return { cmd: 'stop' };
    case 'ping':
    case 'stats':
    case 'flushlogs':
      exact(1);
      return { cmd };
    case 'status':
      if (n === 1) return { cmd: 'status' };
      // fail2ban 1.1: `status --all [short]`, every jail's tree after the service's
      if (a === '--all') {
        if (n > 3 || (n === 3 && b !== 'short')) throw usage('status --all takes optionally `short`');
        return { cmd: 'status-all', short: b === 'short' };
      }
      // `status feeds`: the blocklist feeds (a jail named feeds is reached as `status feeds short`)
      if (a === 'feeds' && n === 2) return { cmd: 'feed-status' };
      if (a === 'cluster' && n === 2) return { cmd: 'cluster-status' };
      if (n > 3 || (n === 3 && b !== 'short')) throw usage('status takes a jail name and optionally `short`');
      return { cmd: 'jail-status', jail: checkJailName(a), short: b === 'short' };
    case 'banned':
      return { cmd: 'banned', ips: checkIps(w.slice(1)) };
    case 'unban': {
      const all = w.includes('--all');
      const ips = checkIps(
        w.slice(1).filter((x) => x !== '--all'),
        'ban',
      );
      if (!all && !ips.length) throw usage('unban takes IP addresses or --all');
      return { cmd: 'unbanip', jail: null, ips, all };
    }
    case 'reload':
      if (n > 2) throw usage('reload takes at most a jail name');
      return { cmd: 'reload', jail: n === 2 ? checkJailName(a) : null };
    case 'set':
      return parseSet(w);
    case 'get':
      return parseGet(w);
    default:
      throw usage(`unknown command \`${cmd}\``);
  }
}

function parseSet(w: readonly string[]): ControlRequest {
  const [, target, what] = w;
  if (target === undefined || what === undefined) throw usage('set takes `loglevel LEVEL`, `logtarget TARGET` or `<jail> <what> …`');
  if ((target === 'loglevel' || target === 'logtarget') && w.length === 3) {
    return { cmd: target === 'loglevel' ? 'set-loglevel' : 'set-logtarget', value: what };
  }
  const jail = checkJailName(target);
  const rest = w.slice(3);
  switch (what) {
    case 'banip':
    case 'addignoreip':
    case 'delignoreip':
      if (!rest.length) throw usage(`set ${jail} ${what} takes IP addresses`);
      return { cmd: what, jail, ips: checkIps(rest, what === 'banip' ? 'ban' : true) };
    case 'unbanip': {
      const all = rest.includes('--all');
      const ips = checkIps(
        rest.filter((x) => x !== '--all'),
        'ban',
      );
      if (!all && !ips.length) throw usage(`set ${jail} unbanip takes IP addresses or --all`);
      return { cmd: 'unbanip', jail, ips, all };
    }
    default:
      if (isRuntimeKey(what)) {
        if (rest.length !== 1) throw usage(`set ${jail} ${what} takes one value`);
        return { cmd: 'set', jail, key: what, value: rest[0]! };
      }
      throw usage(`set ${jail} knows banip, unbanip, addignoreip, delignoreip and ${RUNTIME_KEYS.join(', ')}, not \`${what}\``);
  }
}

function parseGet(w: readonly string[]): ControlRequest {
  const [, target, key, flag] = w;
  if ((target === 'loglevel' || target === 'logtarget') && w.length === 2) {
    return { cmd: target === 'loglevel' ? 'get-loglevel' : 'get-logtarget' };
  }
  if (target === undefined || key === undefined || !(JAIL_KEYS as readonly string[]).includes(key)) {
    throw usage(`get takes loglevel, logtarget, or <jail> and one of ${JAIL_KEYS.join(', ')}`);
  }
  const withTime = flag === '--with-time';
  if (w.length > 4 || (flag !== undefined && (!withTime || key !== 'banip'))) throw usage('only `get <jail> banip` takes --with-time');
  return { cmd: 'get', jail: checkJailName(target), key: key as JailKey, withTime };
}

/** -s wins; otherwise `socket` from voipguard.conf(.local) in the config dir; otherwise the default. */
export function resolveSocket(opts: ClientOptions): string {
  if (opts.socket !== null) return opts.socket;
  try {
    return ConfigSet.load(join(opts.configDir, 'voipguard')).get('Definition', 'socket')?.trim() || DEFAULT_SOCKET;
  } catch {
    return DEFAULT_SOCKET; // a broken voipguard.conf is the daemon's to report
  }
}

export function renderReply(req: ControlRequest, data: unknown): string {
  const d = data as ControlReplies[typeof req.cmd];
  switch (req.cmd) {
    case 'ping':
      return 'Server replied: pong\n';
    case 'version':
      return `${(d as ControlReplies['version']).version}\n`;
    case 'stop':
      return req.flush ? 'Shutdown successful, firewall rules removed\n' : 'Shutdown successful\n';
    case 'status':
      return renderServiceStatus(d as ControlReplies['status']);
    case 'jail-status':
      return renderJailStatus(d as ControlReplies['jail-status'], req.short);
    case 'status-all': {
      const all = d as ControlReplies['status-all'];
      return [renderServiceStatus(all.service), ...all.jails.map((j) => renderJailStatus(j, req.short))].join('');
    }
    case 'cluster-status':
      return renderClusterStatus(d as ControlReplies['cluster-status']);
    case 'stats':
      return renderStats(d as ControlReplies['stats']);
    case 'feed-status':
      return renderFeeds(d as ControlReplies['feed-status']);
    case 'banned':
      return renderBanned(d as ControlReplies['banned'], req.ips);
    case 'banip':
      return `${(d as ControlReplies['banip']).banned.length}\n`;
    case 'unbanip':
      return `${(d as ControlReplies['unbanip']).unbanned}\n`;
    case 'addignoreip':
    case 'delignoreip':
      return renderIgnoreList(d as readonly string[]);
    case 'get':
      return renderJailValue(req.jail, req.key, d as ControlReplies['get'], req.withTime);
    case 'set':
      return renderJailValue(req.jail, req.key, d as ControlReplies['set'], false);
    case 'reload':
      return 'OK\n';
    case 'set-loglevel':
    case 'set-logtarget':
      return `${String(d)}\n`;
    case 'get-loglevel':
      return `Current logging level is '${String(d)}'\n`;
    case 'get-logtarget':
      return `Current logging target is:\n\`- ${String(d)}\n`;
    case 'flushlogs':
      return `${String(d)}\n`;
  }
}

export async function runClient(argv: string[], io: CliIo): Promise<number> {
  let json = argv.includes('--json');
  try {
    const { opts, action } = parseClientArgs(argv);
    json = opts.json;
    if (action.kind === 'help') {
      io.out(CLIENT_HELP);
      return 0;
    }
    if (action.kind === 'version') {
      const v = { version: voipguardVersion(), protocol: PROTOCOL_VERSION };
      io.out(json ? JSON.stringify(v) + '\n' : `${v.version}\n`);
      return 0;
    }
    const client = new ControlClient(resolveSocket(opts), opts.timeoutMs);
    const data = await client.request(action.req as never);
    io.out(json ? JSON.stringify(data) + '\n' : renderReply(action.req, data));
    if (action.req.cmd === 'reload') return reportReloadErrors(data as ControlReplies['reload'], io, json);
    // a jail skipped for a config error or a failed start: scripts and monitoring must notice
    if (action.req.cmd === 'status' && (data as ControlReplies['status']).broken.length > 0) return EXIT_CODES.config;
    if (action.req.cmd === 'status-all' && (data as ControlReplies['status-all']).service.broken.length > 0) return EXIT_CODES.config;
    return 0;
  } catch (e) {
    if (!json || !(e instanceof VoipguardError)) throw e;
    io.out(JSON.stringify({ error: { code: e.code, message: e.message } }) + '\n');
    return e.exitCode;
  }
}

function reportReloadErrors(r: ControlReplies['reload'], io: CliIo, json: boolean): number {
  if (!r.errors.length) return 0;
  if (!json) for (const e of r.errors) io.err(`ERROR  ${e}\n`);
  return EXIT_CODES.config; // the jails named kept their old config or were skipped
}
