// The control protocol: one JSON object per line each way over a unix socket.
//   request:  {"id": 1, "req": {"cmd": "jail-status", "jail": "asterisk", "short": false}}
//   reply:    {"id": 1, "ok": true, "data": {...}}  or  {"id": 1, "ok": false, "error": {"code", "message"}}
// The CLI parses fail2ban-client's grammar into these typed requests; the daemon answers with data,
// never with text, so `--json` prints exactly what the daemon said and rendering stays in the CLI.
// parseRequest is the only way a request gets in: every IP is parsed by core/ip before a handler
// sees it, and anything unexpected is a VG_BAD_REQUEST error reply.

import { VoipguardError, type ErrorCode, type ErrorPlace } from '../core/errors.js';
import { isScopedIp, normalizeIp, parseBanTarget, parseCidr } from '../core/ip.js';
import { isRuntimeKey, RUNTIME_KEYS, type RuntimeKey } from '../config/runtime-settings.js';
import type { ControlReplies } from './replies.js';

export const PROTOCOL_VERSION = 1;
/** A request line longer than this is refused (and the connection closed). */
export const MAX_REQUEST_BYTES = 64 * 1024;
const MAX_IPS = 10_000;

/** What `get <jail> KEY` reads: the runtime-settable keys (config/runtime-settings.ts) and these. */
export const JAIL_KEYS = ['ignoreip', 'logpath', 'actions', 'banip', ...RUNTIME_KEYS] as const;
export type JailKey = (typeof JAIL_KEYS)[number];
export { RUNTIME_KEYS, type RuntimeKey };

interface Requests {
  ping: {};
  version: {};
  /** flush: remove the firewall rules at this stop (a plain stop leaves them, docs/restart.md). */
  stop: { flush?: boolean };
  status: {};
  'jail-status': { jail: string; short: boolean };
  /** `status --all [short]` (fail2ban 1.1): the service and every running jail's tree in one answer. */
  'status-all': { short: boolean };
  /** `status feeds`: every blocklist feed (docs/feeds.md). */
  'feed-status': {};
  /** `status cluster`: this node in the fleet (docs/cluster.md). */
  'cluster-status': {};
  stats: {};
  /** Without ips: every jail with its bans. With ips: the jails that ban each. */
  banned: { ips: string[] };
  banip: { jail: string; ips: string[] };
  /** jail null: every jail (`unban IP…`, `unban --all`). all: every IP of the jail(s). */
  unbanip: { jail: string | null; ips: string[]; all: boolean };
  addignoreip: { jail: string; ips: string[] };
  delignoreip: { jail: string; ips: string[] };
  get: { jail: string; key: JailKey; withTime: boolean };
  /** `set <jail> KEY VALUE`: a runtime setting, parsed by the daemon with the config schema's field. */
  set: { jail: string; key: RuntimeKey; value: string };
  reload: { jail: string | null };
  'set-loglevel': { value: string };
  'set-logtarget': { value: string };
  'get-loglevel': {};
  'get-logtarget': {};
  /** Reopen the log file (logrotate's postrotate, as Debian's fail2ban calls it). */
  flushlogs: {};
}

export type Command = keyof Requests;
export type RequestOf<K extends Command> = { readonly cmd: K } & Readonly<Requests[K]>;
export type ControlRequest = { [K in Command]: RequestOf<K> }[Command];
export type ReplyOf<K extends Command> = ControlReplies[K];

export interface WireRequest {
  readonly id: number;
  readonly req: ControlRequest;
}

export interface WireError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly place?: ErrorPlace;
}

export type WireReply =
  { readonly id: number | null; readonly ok: true; readonly data: unknown } | { readonly id: number | null; readonly ok: false; readonly error: WireError };

const COMMANDS: readonly Command[] = [
  'ping',
  'version',
  'stop',
  'status',
  'jail-status',
  'status-all',
  'feed-status',
  'cluster-status',
  'stats',
  'banned',
  'banip',
  'unbanip',
  'addignoreip',
  'delignoreip',
  'get',
  'set',
  'reload',
  'set-loglevel',
  'set-logtarget',
  'get-loglevel',
  'get-logtarget',
  'flushlogs',
];

function bad(message: string): VoipguardError {
  return new VoipguardError('VG_BAD_REQUEST', message);
}

/** Jail names come from config section names: printable, no spaces, bounded. */
export function checkJailName(v: unknown): string {
  if (typeof v !== 'string' || !/^[A-Za-z0-9_.@:+-]{1,100}$/.test(v)) throw bad('`jail` must be a jail name');
  return v;
}

/** Each entry must be an IP address (or a CIDR range when ranges are allowed); returns them canonical. */
export function checkIps(v: unknown, ranges: boolean | 'ban' = false): string[] {
  if (!Array.isArray(v) || v.length > MAX_IPS) throw bad(`\`ips\` must be a list of at most ${MAX_IPS} addresses`);
  return v.map((x) => {
    let text: string | null | undefined;
    if (typeof x === 'string' && ranges === 'ban') {
      // a ban's range: the network address, never /0, never host bits (core/ip.ts parseBanTarget)
      const t = parseBanTarget(x);
      if (t !== null && 'refused' in t) throw new VoipguardError('VG_BAN_RANGE', t.refused);
      text = t?.target.text;
    } else if (typeof x === 'string') text = ranges ? parseCidr(x)?.text : normalizeIp(x);
    if (text === undefined || text === null) {
      const shown = typeof x === 'string' ? JSON.stringify(x.slice(0, 80)) : typeof x;
      if (typeof x === 'string' && isScopedIp(x.split('/')[0]!)) {
        throw new VoipguardError(
          'VG_BAD_IP',
          `a scoped address is refused: ${shown}. A ban applies on every interface, and the same link-local address on another link is another host`,
        );
      }
      throw new VoipguardError('VG_BAD_IP', `not an IP address${ranges ? ' or CIDR range' : ''}: ${shown}`);
    }
    return text;
  });
}

function checkText(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 4096 || /[\0\r\n]/.test(v)) throw bad(`\`${what}\` must be a one-line string`);
  return v;
}

/** Validates a decoded request; the result is safe to hand to a handler. */
export function parseRequest(raw: unknown): ControlRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('a request is a JSON object');
  const r = raw as Record<string, unknown>;
  const cmd = r.cmd;
  if (typeof cmd !== 'string' || !(COMMANDS as readonly string[]).includes(cmd)) {
    throw bad(`unknown command ${JSON.stringify(String(cmd).slice(0, 40))}`);
  }
  const c = cmd as Command;
  switch (c) {
    case 'stop':
      return r.flush === true ? { cmd: c, flush: true } : { cmd: c };
    case 'ping':
    case 'version':
    case 'status':
    case 'cluster-status':
    case 'stats':
    case 'feed-status':
    case 'get-loglevel':
    case 'get-logtarget':
    case 'flushlogs':
      return { cmd: c };
    case 'jail-status':
      return { cmd: c, jail: checkJailName(r.jail), short: r.short === true };
    case 'status-all':
      return { cmd: c, short: r.short === true };
    case 'banned':
      return { cmd: c, ips: r.ips === undefined ? [] : checkIps(r.ips) };
    case 'banip':
      return { cmd: c, jail: checkJailName(r.jail), ips: nonEmpty(checkIps(r.ips, 'ban')) };
    case 'unbanip': {
      const all = r.all === true;
      const ips = r.ips === undefined ? [] : checkIps(r.ips, 'ban');
      if (!all && ips.length === 0) throw bad('unbanip needs addresses or all');
      return { cmd: c, jail: r.jail === null || r.jail === undefined ? null : checkJailName(r.jail), ips, all };
    }
    case 'addignoreip':
    case 'delignoreip':
      return { cmd: c, jail: checkJailName(r.jail), ips: nonEmpty(checkIps(r.ips, true)) };
    case 'get': {
      const key = r.key;
      if (typeof key !== 'string' || !(JAIL_KEYS as readonly string[]).includes(key)) throw bad(`\`key\` must be one of ${JAIL_KEYS.join(', ')}`);
      return { cmd: c, jail: checkJailName(r.jail), key: key as JailKey, withTime: r.withTime === true };
    }
    case 'set': {
      const key = r.key;
      if (typeof key !== 'string' || !isRuntimeKey(key)) throw bad(`\`key\` must be one of ${RUNTIME_KEYS.join(', ')}`);
      return { cmd: c, jail: checkJailName(r.jail), key, value: checkText(r.value, 'value') };
    }
    case 'reload':
      return { cmd: c, jail: r.jail === null || r.jail === undefined ? null : checkJailName(r.jail) };
    case 'set-loglevel':
    case 'set-logtarget':
      return { cmd: c, value: checkText(r.value, 'value') };
  }
}

function nonEmpty(ips: string[]): string[] {
  if (ips.length === 0) throw bad('at least one address is needed');
  return ips;
}

/** Decodes one request line. Errors carry the id when it could be read, so the client can match them. */
export function decodeRequest(line: string): { id: number | null; req?: ControlRequest; error?: VoipguardError } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { id: null, error: bad('not valid JSON') };
  }
  const id = typeof (raw as WireRequest | null)?.id === 'number' ? (raw as WireRequest).id : null;
  try {
    return { id, req: parseRequest((raw as { req?: unknown } | null)?.req) };
  } catch (e) {
    return { id, error: e instanceof VoipguardError ? e : bad(String(e)) };
  }
}

export function errorReply(id: number | null, e: VoipguardError): WireReply {
  const place = Object.keys(e.place).length ? { place: e.place } : {};
  return { id, ok: false, error: { code: e.code, message: e.message, ...place } };
}
