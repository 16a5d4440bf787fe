// The daemon's answers to control requests. Requests arrive validated (control/protocol.ts); manual
// bans and unbans go through the jail like a detected attack (one door for bans), so they reach the
// store, the log and the firewall the same way.

import type { ControlHandler } from '../control/control-server.js';
import { PROTOCOL_VERSION, type ControlRequest, type RequestOf } from '../control/protocol.js';
import type { BanTime, ControlReplies, JailValue } from '../control/replies.js';
import { VoipguardError } from '../core/errors.js';
import { isAbsolute } from 'node:path';
import { fromFail2banLevel } from '../config/log-level.js';
import { isRuntimeKey, runtimeValue } from '../config/runtime-settings.js';
import type { Service } from './service.js';
import { jailStatus, serviceStatus, statsRows } from './service-status.js';

export interface ServiceControlOptions {
  readonly version: string;
  readonly pid: number;
  /** Called after the `stop` reply is sent. */
  readonly requestStop: () => void;
}

/** pino's level names back to fail2ban's, for `get loglevel`. */
const FAIL2BAN_LEVEL: Record<string, string> = {
  fatal: 'CRITICAL',
  error: 'ERROR',
  warn: 'WARNING',
  info: 'INFO',
  debug: 'DEBUG',
  trace: 'TRACEDEBUG',
  silent: 'SILENT',
};

export class ServiceControl implements ControlHandler {
  constructor(
    private readonly svc: Service,
    private readonly opts: ServiceControlOptions,
  ) {}

  async handle(req: ControlRequest): Promise<unknown> {
    // answers about jails wait until the jails have started (restored bans included)
    if (req.cmd !== 'ping' && req.cmd !== 'version' && req.cmd !== 'stop') await this.svc.started;
    const now = this.svc.deps.clock.now();
    const lc = this.svc.deps.logControl;
    switch (req.cmd) {
      case 'ping':
        return 'pong' satisfies ControlReplies['ping'];
      case 'version':
        return { version: this.opts.version, protocol: PROTOCOL_VERSION } satisfies ControlReplies['version'];
      case 'stop':
        if (req.flush) this.svc.flushRulesAtStop();
        setImmediate(this.opts.requestStop);
        return { stopping: true } satisfies ControlReplies['stop'];
      case 'status':
        return serviceStatus(this.svc, this.opts.version, this.opts.pid);
      case 'jail-status':
        return jailStatus(this.svc, this.svc.jail(req.jail), now, req.short);
      case 'status-all': {
        const service = serviceStatus(this.svc, this.opts.version, this.opts.pid);
        const jails = service.jails.map((name) => jailStatus(this.svc, this.svc.jail(name), now, req.short));
        return { service, jails } satisfies ControlReplies['status-all'];
      }
      case 'cluster-status':
        return (this.svc.deps.cluster?.report() ?? null) satisfies ControlReplies['cluster-status'];
      case 'stats':
        return statsRows(this.svc, now);
      case 'feed-status':
        return (this.svc.deps.feeds?.status() ?? []) satisfies ControlReplies['feed-status'];
      case 'banned':
        return this.banned(req, now);
      case 'banip': {
        const r = this.svc.jail(req.jail);
        const banned: string[] = [];
        const already: string[] = [];
        for (const ip of req.ips) ((await r.manualBan(ip, now)).length ? banned : already).push(ip);
        return { banned, already } satisfies ControlReplies['banip'];
      }
      case 'unbanip': {
        const jails = req.jail === null ? [...this.svc.runtimes.values()] : [this.svc.jail(req.jail)];
        let unbanned = 0;
        for (const r of jails) unbanned += await r.manualUnban(req.all ? 'all' : req.ips, now);
        return { unbanned } satisfies ControlReplies['unbanip'];
      }
      case 'addignoreip':
      case 'delignoreip': {
        const engine = this.svc.jail(req.jail).engine;
        for (const ip of req.ips) req.cmd === 'addignoreip' ? engine.addIgnore(ip) : engine.delIgnore(ip);
        return engine.ignoreList();
      }
      case 'get':
        return this.get(req, now);
      case 'set':
        return this.svc.jail(req.jail).setSetting(req.key, req.value) satisfies ControlReplies['set'];
      case 'reload':
        return this.svc.reload(req.jail);
      case 'set-loglevel': {
        const level = fromFail2banLevel(req.value);
        if (level === null) throw new VoipguardError('VG_BAD_REQUEST', `${req.value} is not a log level (CRITICAL, ERROR, WARNING, NOTICE, INFO, DEBUG)`);
        lc.setLevel(level);
        return FAIL2BAN_LEVEL[level] ?? level.toUpperCase();
      }
      case 'get-loglevel':
        return FAIL2BAN_LEVEL[lc.level()] ?? lc.level().toUpperCase();
      case 'set-logtarget': {
        const t = req.value.trim();
        const up = t.toUpperCase();
        if (up !== 'STDOUT' && up !== 'STDERR' && !isAbsolute(t))
          throw new VoipguardError('VG_BAD_REQUEST', 'logtarget is STDOUT, STDERR or an absolute file path');
        // a path is answered as given (it is case-sensitive); only the two stream names are upper-cased
        const set = lc.setTarget(up === 'STDOUT' || up === 'STDERR' ? up.toLowerCase() : t);
        return set === 'stdout' || set === 'stderr' ? set.toUpperCase() : set;
      }
      case 'flushlogs': {
        const t = lc.target();
        if (t === 'stdout' || t === 'stderr') return 'flushed';
        lc.reopen();
        return 'rolled over';
      }
      case 'get-logtarget': {
        const t = lc.target();
        return t === 'stdout' || t === 'stderr' ? t.toUpperCase() : t;
      }
    }
  }

  private banned(req: RequestOf<'banned'>, now: number): ControlReplies['banned'] {
    const byJail: Record<string, string[]> = {};
    for (const r of this.svc.runtimes.values()) byJail[r.name] = r.engine.status(now).banned.map((b) => b.ip);
    if (!req.ips.length) return byJail;
    const byIp: Record<string, string[]> = {};
    for (const ip of req.ips) byIp[ip] = Object.keys(byJail).filter((j) => byJail[j]!.includes(ip));
    return byIp;
  }

  private get(req: RequestOf<'get'>, now: number): JailValue {
    const r = this.svc.jail(req.jail);
    const c = r.config;
    if (isRuntimeKey(req.key)) return runtimeValue(r.settings, req.key);
    switch (req.key) {
      case 'ignoreip':
        return r.engine.ignoreList();
      case 'logpath':
        return c.logpath;
      case 'actions':
        return c.actions.map((a) => (a.args.name ? `${a.name}[name=${a.args.name}]` : a.name));
      case 'banip': {
        const banned = r.engine.status(now).banned;
        if (!req.withTime) return banned.map((b) => b.ip);
        const pending = new Set(r.pending());
        return banned.map((b): BanTime => ({ ip: b.ip, start: b.start, until: b.until, banCount: b.banCount, reason: b.reason, applied: !pending.has(b.ip) }));
      }
    }
  }
}
