// The in-memory twin of journald + journalctl: holds recorded `journalctl --output=json` lines and
// answers a JournalRunner call the way journalctl would for the arguments the source uses
// (--after-cursor, --since=@S, FIELD=value matches with `+`, --follow). Tests append entries while
// followers run, end every running journalctl (as a journald restart does), or make the next starts
// fail; `voipguard regex` style replays can use it on a recorded file.

import type { JournalExit, JournalProcess, JournalRunner } from '../../src/sources/journal-process.js';
import { fieldValues } from '../../src/sources/journal-entry.js';

interface Follower {
  readonly filter: (o: Record<string, unknown>) => boolean;
  push(line: string): void;
  end(exit: JournalExit): void;
}

export class MemoryJournal {
  private readonly lines: string[] = [];
  private readonly followers = new Set<Follower>();
  private failing: JournalExit[] = [];
  /** Every argv a runner call received, in order. */
  readonly calls: string[][] = [];

  constructor(recorded: readonly string[] = []) {
    for (const l of recorded) if (l.trim() !== '') this.lines.push(l);
  }

  /** Adds a journalctl JSON line (or an object, serialised) and sends it to matching followers. */
  append(entry: string | Record<string, unknown>): void {
    const line = typeof entry === 'string' ? entry : JSON.stringify(entry);
    this.lines.push(line);
    const obj = tryParse(line);
    for (const f of this.followers) if (obj === null || f.filter(obj)) f.push(line);
  }

  /** Ends every running journalctl, as when journald restarts under it. */
  endAll(exit: JournalExit = { code: 1, signal: null, stderr: 'Journal file was rotated or removed' }): void {
    for (const f of [...this.followers]) f.end(exit);
  }

  /** The next `n` starts exit at once with `exit` (journalctl missing, bad cursor…). */
  failNext(n: number, exit: JournalExit): void {
    for (let i = 0; i < n; i++) this.failing.push(exit);
  }

  get running(): number {
    return this.followers.size;
  }

  readonly runner: JournalRunner = (_file, args) => {
    this.calls.push([...args]);
    const fail = this.failing.shift();
    if (fail !== undefined) return finished(fail);
    const filter = selection(args);
    let start = 0;
    const after = optionValue(args, '--after-cursor');
    const since = optionValue(args, '--since');
    if (after !== undefined) {
      const i = this.lines.findIndex((l) => tryParse(l)?.['__CURSOR'] === after);
      // journalctl seeks to the nearest entry for a cursor it does not hold; we keep it simple
      start = i < 0 ? this.lines.length : i + 1;
    } else if (since !== undefined && since.startsWith('@')) {
      const us = Number(since.slice(1)) * 1e6;
      start = this.lines.findIndex((l) => Number(tryParse(l)?.['__REALTIME_TIMESTAMP'] ?? Infinity) >= us);
      if (start < 0) start = this.lines.length;
    }
    const backlog = this.lines.slice(start).filter((l) => {
      const o = tryParse(l);
      return o === null || filter(o);
    });
    return this.follow(filter, backlog, args.includes('--follow'));
  };

  private follow(filter: Follower['filter'], backlog: string[], follow: boolean): JournalProcess {
    const queue = [...backlog];
    let wake: (() => void) | null = null;
    let done: JournalExit | null = follow ? null : { code: 0, signal: null, stderr: '' };
    let resolveExit!: (e: JournalExit) => void;
    const exited = new Promise<JournalExit>((r) => (resolveExit = r));
    const follower: Follower = {
      filter,
      push: (line) => {
        queue.push(line);
        wake?.();
      },
      end: (exit) => {
        done = exit;
        this.followers.delete(follower);
        wake?.();
      },
    };
    if (follow) this.followers.add(follower);
    async function* lines(): AsyncGenerator<string> {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (done !== null) break;
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
      resolveExit(done);
    }
    return { lines: lines(), exited, kill: () => follower.end({ code: null, signal: 'SIGTERM', stderr: '' }) };
  }
}

function finished(exit: JournalExit): JournalProcess {
  return { lines: (async function* () {})(), exited: Promise.resolve(exit), kill: () => {} };
}

function optionValue(args: readonly string[], name: string): string | undefined {
  const a = args.find((x) => x.startsWith(name + '='));
  return a === undefined ? undefined : a.slice(name.length + 1);
}

/** journalctl's match rules: groups split by `+` are ORed; in a group, same field ORs, fields AND. */
function selection(args: readonly string[]): (o: Record<string, unknown>) => boolean {
  const groups: Map<string, string[]>[] = [new Map()];
  for (const a of args) {
    if (a === '+') groups.push(new Map());
    else if (!a.startsWith('-') && a.includes('=')) {
      const [field, value] = [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)];
      const g = groups[groups.length - 1]!;
      g.set(field, [...(g.get(field) ?? []), value]);
    }
  }
  if (groups.length === 1 && groups[0]!.size === 0) return () => true;
  return (o) => groups.some((g) => [...g].every(([field, values]) => fieldValues(o[field]).some((v) => values.includes(v))));
}

function tryParse(line: string): Record<string, unknown> | null {
  try {
    const o: unknown = JSON.parse(line);
    return o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
