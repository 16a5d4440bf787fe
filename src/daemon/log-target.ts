// Where the daemon's log lines go, switchable at run time: `set logtarget` moves them, SIGUSR1
// (logrotate's postrotate) reopens the file, `set loglevel` changes the root logger's level (child
// loggers follow it: pino children read the level through their prototype). On a terminal the JSON
// lines are shown in a readable one-line form; journald and files get the JSON itself.

import pino, { type DestinationStream } from 'pino';
import type { Logger } from '../log/logger.js';
import type { LogControl } from './service.js';

type Sink = DestinationStream & { reopen?(): void; flushSync?(): void; end?(): void };

function open(target: string): Sink {
  if (target === 'stdout') return pino.destination({ dest: 1, sync: true });
  if (target === 'stderr') return pino.destination({ dest: 2, sync: true });
  return pino.destination({ dest: target, sync: true, mkdir: true });
}

export class LogTarget implements DestinationStream {
  private sink: Sink;
  private logger: Logger | null = null;

  constructor(
    private where: string,
    /** Format for a human: set when stdout is a terminal and the target is stdout. */
    private readonly pretty = false,
  ) {
    this.sink = open(where);
  }

  /** The logger whose level `set loglevel` changes (the root one, made on this target). */
  bind(logger: Logger): this {
    this.logger = logger;
    return this;
  }

  write(line: string): void {
    this.sink.write(this.pretty && this.where === 'stdout' ? prettyLine(line) : line);
  }

  reopen(): void {
    this.sink.reopen?.();
  }

  close(): void {
    this.sink.flushSync?.();
    if (this.where !== 'stdout' && this.where !== 'stderr') this.sink.end?.();
  }

  control(): LogControl {
    return {
      level: () => this.logger?.level ?? 'info',
      setLevel: (level) => {
        if (this.logger) this.logger.level = level;
        return level;
      },
      target: () => this.where,
      setTarget: (target) => {
        if (target === this.where) {
          this.reopen(); // `set logtarget <same file>` after a rotation: reopen it
          return target;
        }
        const old = this.sink;
        const oldWhere = this.where;
        this.sink = open(target);
        this.where = target;
        old.flushSync?.();
        if (oldWhere !== 'stdout' && oldWhere !== 'stderr') old.end?.();
        return target;
      },
      reopen: () => this.reopen(),
    };
  }
}

const LEVEL_WIDTH = 5;

/** `{"level":"info","time":"…","event":"ban","jail":"asterisk","ip":"…"}` → `10:15:30 INFO  ban jail=asterisk ip=…`. */
export function prettyLine(line: string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const { level, time, event, msg, name: _name, ...rest } = o;
  const t = typeof time === 'string' ? time.slice(11, 19) : '';
  const head = [
    t,
    String(level ?? '')
      .toUpperCase()
      .padEnd(LEVEL_WIDTH),
    event ?? msg ?? '',
  ]
    .filter((x) => x !== '')
    .join(' ');
  const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [head, ...fields].join(' ') + '\n';
}
