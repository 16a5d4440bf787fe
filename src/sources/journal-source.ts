// Follows the systemd journal through `journalctl --follow --output=json` and hands each entry's
// MESSAGE to the filters as a JournalLine: a LogLine that also carries the journal's own timestamp
// (the event time) and the entry's cursor, unit, identifier and pid.
//
// Invariants:
// - the cursor of an entry is saved (Store meta `journal:<name>`) right after its lines were handed
//   on, so a restart resumes with --after-cursor at the next entry: nothing re-read, nothing skipped;
// - without a saved cursor the source starts `readBackMs` in the past (the jail's findtime), like the
//   file tailer reads back what was written while the guard was down;
// - journalctl exiting (journald restarted, journal files vacuumed, binary missing) never stops the
//   guard: it is logged and restarted from the last cursor with exponential backoff; a cursor that
//   journalctl refuses is dropped once, and reading falls back to --since;
// - a bad entry (not JSON, no cursor, no timestamp, oversized) is counted and skipped; a throwing
//   consumer is logged and does not stop the source.

import type { Clock } from '../core/clock.js';
import type { LogLine } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import { parseJournalEntry, type JournalEntry } from './journal-entry.js';
import { type JournalExit, type JournalProcess, type JournalRunner } from './journal-process.js';
import { systemTimers, type TimerHandle, type Timers } from '../core/timers.js';

export interface JournalLine extends LogLine {
  /** __REALTIME_TIMESTAMP in ms: when journald received the message. */
  readonly time: number;
  readonly cursor: string;
  readonly unit?: string;
  readonly identifier?: string;
  readonly pid?: number;
}

export interface JournalSourceOptions {
  /** The jail's name: the cursor key and the logs use it. */
  readonly name: string;
  /** journalctl match arguments, from parseJournalMatch. Empty: the whole journal. */
  readonly matches: readonly string[];
  readonly store: Pick<Store, 'getMeta' | 'setMeta'>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly onLine: (line: JournalLine) => void;
  /** journalctl through the process runner (journalRunner in journal-process.ts); a twin in tests. */
  readonly runner: JournalRunner;
  readonly journalctl?: string;
  /** Read these journal files / this directory / this namespace instead of the system journal. */
  readonly files?: readonly string[];
  readonly directory?: string;
  readonly namespace?: string;
  /** Without a saved cursor, start this many ms before now (findtime). 0: from now. */
  readonly readBackMs?: number;
  readonly backoffInitialMs?: number;
  readonly backoffMaxMs?: number;
  /** The restart backoff's timers (the AMI client's Timers; ManualTimers in tests). */
  readonly timers?: Timers;
  /** Messages longer than this are dropped whole and counted (a filter never sees a cut line). */
  readonly maxMessageChars?: number;
}

/** The daemon's SourceStatus shape (daemon/ports.ts) plus the journal's own counters. */
export interface JournalSourceStatus {
  readonly kind: 'journal';
  readonly files: readonly never[];
  /** 'journalctl' while it is not running (between a failure and its restart). */
  readonly waitingFor: readonly string[];
  readonly journalMatches: readonly string[];
  readonly entries: number;
  readonly badEntries: number;
  readonly oversized: number;
  readonly restarts: number;
  readonly cursor: string | undefined;
}

const FIELDS = 'MESSAGE,_SYSTEMD_UNIT,SYSLOG_IDENTIFIER,_PID';

/** A process that ran this long (or delivered an entry) was healthy: the backoff starts over. */
const HEALTHY_MS = 10_000;

export class JournalSource {
  private readonly runner: JournalRunner;
  private readonly timers: Timers;
  private readonly key: string;
  private proc: JournalProcess | null = null;
  private pumping: Promise<void> | null = null;
  private timer: TimerHandle | null = null;
  private stopped = true;
  private failures = 0;
  private cursor: string | undefined;
  private counts = { entries: 0, badEntries: 0, oversized: 0, restarts: 0 };

  constructor(private readonly opts: JournalSourceOptions) {
    this.runner = opts.runner;
    this.timers = opts.timers ?? systemTimers;
    this.key = `journal:${opts.name}`;
  }

  /** Resolves once journalctl has been started (its output is read in the background). */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    const saved = this.opts.store.getMeta(this.key);
    this.cursor = saved === undefined || saved === '' ? undefined : saved;
    this.spawn();
  }

  /** Stops journalctl and waits until it is gone; the cursor stays saved. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.proc?.kill();
    await this.pumping;
  }

  status(): JournalSourceStatus {
    const waitingFor = this.stopped || this.proc !== null ? [] : ['journalctl'];
    return { kind: 'journal', files: [], waitingFor, journalMatches: this.opts.matches, ...this.counts, cursor: this.cursor };
  }

  /** The argv journalctl runs with, for the next start. */
  args(): string[] {
    const o = this.opts;
    // only the fields used (cursor and timestamps always come): journalctl formats a third as much
    const a = ['--follow', '--output=json', `--output-fields=${FIELDS}`, '--all', '--no-pager', '--no-tail'];
    if (o.namespace !== undefined) a.push(`--namespace=${o.namespace}`);
    if (o.directory !== undefined) a.push(`--directory=${o.directory}`);
    for (const f of o.files ?? []) a.push(`--file=${f}`);
    if (this.cursor !== undefined) a.push(`--after-cursor=${this.cursor}`);
    else a.push(`--since=@${Math.floor((o.clock.now() - (o.readBackMs ?? 0)) / 1000)}`);
    return [...a, ...o.matches];
  }

  private spawn(): void {
    this.timer = null;
    if (this.stopped) return;
    const args = this.args();
    const usedCursor = this.cursor;
    const startedAt = this.opts.clock.now();
    const before = this.counts.entries;
    const proc = this.runner(this.opts.journalctl ?? 'journalctl', args);
    this.proc = proc;
    this.opts.log.info({ event: 'journal-start', jail: this.opts.name, args });
    this.pumping = (async () => {
      try {
        for await (const line of proc.lines) this.handle(line);
      } catch (e) {
        this.opts.log.error({ event: 'journal-read-error', code: 'VG_JOURNAL_READ', jail: this.opts.name, err: e });
        proc.kill();
      }
      const exit = await proc.exited;
      this.proc = null;
      if (this.stopped) return;
      const healthy = this.counts.entries > before || this.opts.clock.now() - startedAt >= HEALTHY_MS;
      this.failures = healthy ? 0 : this.failures + 1;
      this.onExit(exit, usedCursor, this.counts.entries === before);
    })();
  }

  private onExit(exit: JournalExit, usedCursor: string | undefined, nothingRead: boolean): void {
    if (usedCursor !== undefined && usedCursor === this.cursor && nothingRead && exit.code !== 0 && /cursor/i.test(exit.stderr)) {
      // journalctl rejects a cursor it cannot parse: retrying with it would fail forever
      this.opts.log.warn({ event: 'journal-cursor-dropped', jail: this.opts.name, cursor: usedCursor, stderr: exit.stderr });
      this.cursor = undefined;
      this.saveCursor('');
    }
    const delay = Math.min(this.opts.backoffMaxMs ?? 60_000, (this.opts.backoffInitialMs ?? 1000) * 2 ** Math.min(this.failures, 16));
    this.counts.restarts++;
    this.opts.log.warn({
      event: 'journal-exit',
      code: 'VG_JOURNAL_READ',
      jail: this.opts.name,
      exitCode: exit.code,
      signal: exit.signal,
      stderr: exit.stderr,
      retryInMs: delay,
    });
    this.timer = this.timers.setTimeout(() => this.spawn(), delay);
  }

  private handle(raw: string): void {
    // lines journalctl had written before stop() killed it: left for the next start to read
    if (this.stopped) return;
    const entry = parseJournalEntry(raw);
    if (typeof entry === 'string') {
      this.counts.badEntries++;
      this.opts.log.debug({ event: 'journal-bad-entry', jail: this.opts.name, problem: entry, head: raw.slice(0, 200) });
      return;
    }
    if (entry.cursor === this.cursor) return; // already handed on (journalctl repeats nothing, but be sure)
    this.counts.entries++;
    for (const message of entry.messages) this.emit(entry, message);
    this.cursor = entry.cursor;
    this.saveCursor(entry.cursor);
  }

  private emit(entry: JournalEntry, message: string): void {
    if (message.length > (this.opts.maxMessageChars ?? 64 * 1024)) {
      this.counts.oversized++;
      this.opts.log.warn({ event: 'journal-oversized', jail: this.opts.name, chars: message.length, cursor: entry.cursor });
      return;
    }
    const line: JournalLine = {
      source: `journal:${entry.unit ?? entry.identifier ?? this.opts.name}`,
      // a MESSAGE can hold newlines (native protocol); escape them the way OpenSSH's syslog logging
      // does, so one entry stays one line and a filter's `$` means the end of the message
      text: message
        .replace(/\r?\n$/, '')
        .replace(/\r/g, '\\r')
        .replace(/\n/g, '\\n'),
      readAt: this.opts.clock.now(),
      time: entry.time,
      cursor: entry.cursor,
      ...(entry.unit !== undefined ? { unit: entry.unit } : {}),
      ...(entry.identifier !== undefined ? { identifier: entry.identifier } : {}),
      ...(entry.pid !== undefined ? { pid: entry.pid } : {}),
    };
    try {
      this.opts.onLine(line);
    } catch (e) {
      this.opts.log.error({ event: 'journal-consumer-error', code: 'VG_INTERNAL', jail: this.opts.name, err: e, cursor: entry.cursor });
    }
  }

  private saveCursor(cursor: string): void {
    try {
      this.opts.store.setMeta(this.key, cursor);
    } catch (e) {
      // the line already reached the jail; a later entry saves a later cursor
      this.opts.log.error({ event: 'journal-cursor-save-failed', code: 'VG_STORE_WRITE', jail: this.opts.name, err: e });
    }
  }
}
