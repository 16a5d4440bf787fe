// The daemon's life once its parts exist: control socket up, pid file written, jails started, the
// heartbeat and the signals installed; then it waits. A stop (SIGTERM, SIGINT, `voipguard stop`)
// stops the sources (their positions are saved), lets in-flight firewall work finish, stops the
// actions (rules kept for the next start by default, removed with --flush or `stop --flush`: see
// docs/restart.md), closes the store and removes the pid file.

import { rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { LoadedConfig } from '../config/load-config.js';
import type { Logger } from '../log/logger.js';
import type { Service } from './service.js';
import { installSignals } from './signals.js';
import { startTicker } from './ticker.js';

export interface Closable {
  close(): void | Promise<void>;
}

export interface DaemonParts {
  readonly service: Service;
  readonly config: LoadedConfig;
  readonly control: { listen(path: string): Promise<void> } & Closable;
  readonly socket: string;
  readonly pidfile: string | null;
  readonly log: Logger;
  /** Reopens the log file (SIGUSR1). */
  readonly reopenLog: () => void;
  /** Closed last, in this order (metrics server, store, log target…). */
  readonly closeLast: readonly Closable[];
  readonly tickMs?: number;
  readonly stop: StopSwitch;
  /** Called once the daemon is ready (socket answering, logs followed): work that may wait until then. */
  readonly onReady?: () => void;
}

/** One way to ask for a stop, shared by the signals and the control socket's `stop`. */
export class StopSwitch {
  private resolve!: (why: string) => void;
  private asked = false;
  readonly requested = new Promise<string>((r) => (this.resolve = r));
  constructor(private readonly onRepeat: (why: string) => void = () => undefined) {}
  request(why: string): void {
    if (this.asked) return this.onRepeat(why);
    this.asked = true;
    this.resolve(why);
  }
}

/** Runs until parts.stop is requested; resolves with the exit code. */
export async function runDaemon(
  parts: DaemonParts,
  proc: Pick<NodeJS.Process, 'on' | 'off' | 'pid'> & Partial<Pick<NodeJS.Process, 'cpuUsage'>>,
): Promise<{ code: number }> {
  const { service, log } = parts;

  await parts.control.listen(parts.socket);
  if (parts.pidfile) writePid(parts.pidfile, proc.pid, log);
  const uninstall = installSignals(proc, {
    stop: (sig) => parts.stop.request(sig),
    reload: () => {
      log.info({ event: 'reload-requested', signal: 'SIGHUP' });
      service.reload(null).catch((e: unknown) => log.error({ event: 'reload-failed', err: (e as Error).message }));
    },
    reopenLog: () => {
      parts.reopenLog();
      log.info({ event: 'log-reopened', signal: 'SIGUSR1' });
    },
  });
  await service.start(parts.config);
  const ticker = startTicker(
    () => service.tick(),
    parts.tickMs ?? 1000,
    (e) => log.error({ event: 'tick-failed', err: (e as Error).message }),
  );
  // the process's CPU until now (user + system, ms): what the start cost, whatever the load (bench/start-probe.ts)
  const cpu = proc.cpuUsage?.();
  log.info({ event: 'ready', socket: parts.socket, pid: proc.pid, ...(cpu ? { cpuMs: Math.round((cpu.user + cpu.system) / 1000) } : {}) });
  parts.onReady?.();

  const why = await parts.stop.requested;
  log.info({ event: 'stopping', reason: why });
  ticker.stop();
  await parts.control.close();
  await service.stop();
  uninstall();
  if (parts.pidfile) rmSync(parts.pidfile, { force: true });
  log.info({ event: 'stopped' });
  for (const c of parts.closeLast) {
    try {
      await c.close();
    } catch {
      /* closing on the way out: nothing left to tell */
    }
  }
  return { code: 0 };
}

function writePid(path: string, pid: number, log: Logger): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, `${pid}\n`, { mode: 0o644 });
  } catch (e) {
    log.warn({ event: 'pidfile-failed', path, err: (e as Error).message });
  }
}
