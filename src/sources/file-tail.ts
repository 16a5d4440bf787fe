// Follows one log file by name through everything logrotate and Asterisk do to it:
// - rename and create (Asterisk `logger rotate`, logrotate `create`): the old file is read to its end
//   and kept open ("draining") until it has not grown for rotateGraceMs, because Asterisk keeps
//   writing to it until `logger reload` reopens its channels;
// - copytruncate and truncation in place: the size drops below what was read, or the first line
//   changes; the rotated copy (same first line) is read from where we were, then the file from 0;
// - delete and recreate, and a file (or directory) that does not exist yet: waited for, then read
//   from its start.
// A position (inode, offset, first-line hash) is saved after every read, under the path, and for the
// file last rotated away under `rotated:` + path (kept after it is read: it tells the next start
// which file that was). At start, reading resumes from them, rotated file first, so a restart
// neither re-reads nor skips a line. A file never seen before is read from
// max(0, size - initialBackBytes), from a line start: the daemon drops failures older than findtime.
//
// step() is serialised: notifications that arrive while a step runs collapse into one more step.
//
// Parking: a file read to its end, with nothing draining, can be closed (park()) and followed by
// (inode, offset, head) alone; the next step that sees it grow, move or vanish reopens it, or finds
// it among its rotated siblings by inode, and goes on exactly as if it had stayed open. The file
// source parks only files in directories watched with inotify, where a write is seen within
// milliseconds: a file written, renamed and deleted within that moment could lose its last lines.

import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { FilePosition } from '../store/store.js';
import { FileLineReader, type LineScreen } from './file-line-reader.js';
import { headHash, headsMatch, openIfHead, rotatedSiblings } from './file-identity.js';
import { PositionSaver } from './file-positions.js';
import {
  DEFAULT_TAIL_OPTIONS,
  type Draining,
  type FileTailDeps,
  type FileTailOptions,
  type FileTailStatus,
  type Parked,
  type TailState,
} from './file-tail-types.js';

export { DEFAULT_TAIL_OPTIONS, type FileTailDeps, type FileTailOptions, type FileTailStatus, type PositionStore, type TailState } from './file-tail-types.js';

const MAX_DRAINING = 4;
export const ROTATED_KEY = 'rotated:';

export class FileTail {
  private cur: FileLineReader | null = null;
  private parked: Parked | null = null;
  /** Clock time of the last read that found bytes (or of the open). */
  private lastActive = 0;
  private head = '';
  private lastSize = -1;
  private draining: Draining[] = [];
  private resumePending: boolean;
  private state: TailState = 'waiting';
  private error: string | undefined;
  private stats = { lines: 0, oversized: 0, rotations: 0, truncations: 0, callbackErrors: 0 };
  private running: Promise<void> = Promise.resolve();
  private queued: Promise<void> | null = null;
  private closed = false;
  /** The store key of this file's position. */
  private readonly key: string;
  private readonly screen: LineScreen | null;
  private readonly positions: PositionSaver;

  /** `atStartup`: resume from saved positions; otherwise the file is new and read from its start. */
  constructor(
    readonly path: string,
    private readonly deps: FileTailDeps,
    private readonly opts: FileTailOptions = DEFAULT_TAIL_OPTIONS,
    atStartup = true,
  ) {
    this.resumePending = atStartup;
    this.key = (opts.keyPrefix ?? '') + path;
    this.positions = new PositionSaver(path, deps);
    this.screen = deps.onSkip ? (deps.screen?.() ?? null) : null;
  }

  /** Reads whatever is new. Calls made while a read runs are answered by one more read. */
  check(): Promise<void> {
    if (this.queued) return this.queued;
    const next = this.running.then(() => {
      this.queued = null;
      return this.closed ? undefined : this.step();
    });
    this.queued = next;
    this.running = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.running;
    this.closed = true;
    this.savePositions();
    await this.cur?.close();
    for (const d of this.draining) await d.reader.close();
    this.cur = null;
    this.draining = [];
  }

  /** True when the file with this inode is the one read, or one still draining after a rotation. */
  follows(inode: number): boolean {
    return this.cur?.inode === inode || this.parked?.inode === inode || this.draining.some((d) => d.reader.inode === inode);
  }

  /** Followed without an open descriptor (see park()). */
  get isParked(): boolean {
    return this.parked !== null;
  }

  /** Rotated files still open and read. */
  get drainingCount(): number {
    return this.draining.length;
  }

  /** Clock time of the last read that found new bytes. */
  get lastActivity(): number {
    return this.lastActive;
  }

  /**
   * Closes the file when it is read to its end, has no partial line held and nothing draining; the
   * next check reopens it when it has changed. Serialised with check(). Resolves true when parked.
   */
  park(): Promise<boolean> {
    const next = this.running.then(async () => {
      const c = this.cur;
      if (this.closed || !c || this.draining.length > 0 || c.pending > 0) return false;
      this.parked = { inode: c.inode, committed: c.committed, head: this.head };
      this.savePositions();
      this.cur = null;
      await c.close();
      return true;
    });
    this.running = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  status(): FileTailStatus {
    return {
      path: this.path,
      state: this.state,
      inode: this.cur?.inode ?? this.parked?.inode ?? null,
      offset: this.cur?.committed ?? this.parked?.committed ?? 0,
      draining: this.draining.length,
      ...this.stats,
      ...(this.error !== undefined ? { error: this.error } : {}),
    };
  }

  private async step(): Promise<void> {
    const now = this.deps.clock.now();
    // the open file's size is asked for beside the name's stat, not after it: one wait for the
    // file system instead of two (each costs a turn of a busy event loop)
    const open = this.resumePending ? null : this.cur;
    const early = open
      ? open.handle.stat().then(
          (x) => x.size,
          () => null,
        )
      : null;
    let st: Stats | null;
    try {
      st = await stat(this.path);
      if (!st.isFile()) return this.fail(`not a regular file`);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return this.fail((e as Error).message);
      st = null;
      this.error = undefined;
    }
    if (this.resumePending) {
      this.resumePending = false;
      await this.resume(st, now);
    }
    if (this.parked) {
      // unchanged since it was parked: nothing to open (a rewrite to the very same size is not seen
      // here, as it is not seen by an open file whose size did not change either)
      if (st && st.ino === this.parked.inode && st.size === this.parked.committed) return;
      await this.unpark(this.parked, st);
    }
    if (this.cur && (st === null || st.ino !== this.cur.inode)) {
      await this.read(this.cur); // what was written before the switch
      this.retire(this.cur, this.head, now);
      this.cur = null;
      if (st) this.stats.rotations++;
      this.deps.log.info({ event: 'log-rotated', path: this.path, how: st ? 'renamed' : 'deleted' });
    }
    await this.readDraining(now);
    if (!this.cur && st) await this.openCurrent(0, false);
    if (this.cur) await this.readCurrent(now, this.cur === open ? await early : null);
    this.state = this.cur ? 'reading' : this.error !== undefined ? 'error' : 'waiting';
    this.savePositions();
  }

  /** Reopens a parked file: under its name, or, when it moved, among its rotated siblings by inode. */
  private async unpark(p: Parked, st: Stats | null): Promise<void> {
    this.parked = null;
    if (st && st.ino === p.inode) {
      try {
        const h = await open(this.path, 'r');
        const ino = (await h.stat()).ino;
        if (ino === p.inode) {
          this.cur = new FileLineReader(h, ino, p.committed, this.opts.maxLineBytes);
          this.head = p.head;
          this.lastSize = p.committed;
          return;
        }
        await h.close(); // replaced between stat and open: look for it beside
      } catch {
        /* gone between stat and open: look for it beside */
      }
    }
    for (const s of await rotatedSiblings(this.path)) {
      if (s.inode !== p.inode || s.size < p.committed) continue;
      const h = await openIfHead(s.path, p.head);
      if (!h) continue;
      // the rotation logic in step() reads it to its end and lets it drain
      this.cur = new FileLineReader(h, s.inode, p.committed, this.opts.maxLineBytes);
      this.head = p.head;
      this.lastSize = p.committed;
      return;
    }
    this.stats.rotations++;
    this.deps.log.info({ event: 'log-rotated', path: this.path, how: 'deleted while parked' });
  }

  /** `early`: the size of the open file, taken at the start of this step. */
  private async readCurrent(now: number, early: number | null): Promise<void> {
    const cur = this.cur!;
    const size = early ?? (await cur.handle.stat()).size;
    let truncated = size < cur.committed + cur.pending;
    if (!truncated && size !== this.lastSize) {
      const h = await headHash(cur.handle);
      truncated = !headsMatch(this.head, h);
      if (!truncated && h !== '') this.head = h;
    }
    if (truncated) {
      this.stats.truncations++;
      this.deps.log.info({ event: 'log-truncated', path: this.path, at: cur.committed });
      await this.followCopy(this.head, cur.committed, now);
      cur.reset(0);
      this.head = await headHash(cur.handle);
    }
    this.lastSize = size;
    // up to the size seen: no read to find the end (what is appended meanwhile notifies again)
    if ((await this.read(cur, truncated ? undefined : size)) > 0) this.lastActive = now;
  }

  /** After copytruncate, the lines we had not read yet are in the copy: read it from where we were. */
  private async followCopy(head: string, offset: number, now: number): Promise<void> {
    if (head === '') return;
    for (const s of await rotatedSiblings(this.path)) {
      if (s.size <= offset || this.draining.some((d) => d.reader.inode === s.inode)) continue;
      const h = await openIfHead(s.path, head);
      if (!h) continue;
      this.retire(new FileLineReader(h, s.inode, offset, this.opts.maxLineBytes), head, now);
      await this.readDraining(now);
      return;
    }
  }

  /** Restart: first what was left in files rotated while we were down, then the file itself. */
  private async resume(st: Stats | null, now: number): Promise<void> {
    const saved = this.deps.store.getPosition(this.key);
    const rotated = this.deps.store.getPosition(ROTATED_KEY + this.key);
    const leftovers = [rotated, saved].filter((p): p is FilePosition => !!p && p.inode !== 0 && p.inode !== st?.ino);
    if (leftovers.length) {
      const siblings = await rotatedSiblings(this.path);
      for (const p of leftovers) {
        const s = siblings.find((x) => x.inode === p.inode && x.size >= p.offset);
        if (!s || this.draining.some((d) => d.reader.inode === p.inode)) continue;
        const h = await openIfHead(s.path, p.firstLineHash);
        if (h) this.retire(new FileLineReader(h, s.inode, p.offset, this.opts.maxLineBytes), p.firstLineHash, now);
      }
      await this.readDraining(now);
    }
    if (!st) return;
    if (saved && saved.inode === st.ino) {
      // same file: resume unless it was truncated while we were down
      if (await this.openCurrent(0, false)) {
        const ok = st.size >= saved.offset && headsMatch(saved.firstLineHash, this.head);
        if (ok) this.cur!.reset(saved.offset);
        else {
          // copytruncate while we were down: the copy holds the lines after our position
          this.stats.truncations++;
          await this.followCopy(saved.firstLineHash, saved.offset, now);
        }
      }
    } else if (saved) {
      await this.openCurrent(0, false); // created after our last save: all of it is new
    } else {
      const from = Math.max(0, st.size - this.opts.initialBackBytes);
      await this.openCurrent(from, from > 0);
    }
  }

  private async openCurrent(offset: number, skipFirstPartial: boolean): Promise<boolean> {
    let h: FileHandle;
    try {
      h = await open(this.path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.fail((e as Error).message);
      return false;
    }
    // the open file is the truth: the name may have moved between stat and open
    const st = await h.stat();
    this.cur = new FileLineReader(h, st.ino, offset, this.opts.maxLineBytes, skipFirstPartial);
    this.head = await headHash(h);
    this.lastSize = -1;
    this.error = undefined;
    this.lastActive = this.deps.clock.now();
    this.deps.log.info({ event: 'log-opened', path: this.path, inode: st.ino, offset });
    return true;
  }

  private retire(reader: FileLineReader, head: string, now: number): void {
    this.draining.push({ reader, head, lastGrowth: now });
    while (this.draining.length > MAX_DRAINING) void this.draining.shift()!.reader.close();
  }

  private async readDraining(now: number): Promise<void> {
    for (const d of this.draining) {
      const r = await this.read(d.reader);
      if (r > 0) d.lastGrowth = now;
    }
    const done = this.draining.filter((d) => now - d.lastGrowth >= this.opts.rotateGraceMs);
    if (!done.length) return;
    this.draining = this.draining.filter((d) => !done.includes(d));
    for (const d of done) await d.reader.close();
  }

  private async read(reader: FileLineReader, until?: number): Promise<number> {
    try {
      const r = await reader.drain((text) => this.emit(text), this.screen, until, this.deps.pace ?? null);
      this.stats.lines += r.lines;
      if (r.skipped > 0) this.deps.onSkip!(this.path, r.skipped);
      if (r.oversized) {
        this.stats.oversized += r.oversized;
        this.deps.log.warn({ event: 'line-too-long', path: this.path, dropped: r.oversized, maxLineBytes: this.opts.maxLineBytes });
      }
      return r.bytes;
    } catch (e) {
      this.fail((e as Error).message);
      return 0;
    }
  }

  private emit(text: string): void {
    try {
      this.deps.onLine({ source: this.path, text, readAt: this.deps.clock.now() });
    } catch (e) {
      this.stats.callbackErrors++;
      this.deps.log.error({ event: 'line-handler-failed', path: this.path, err: e });
    }
  }

  private fail(message: string): void {
    if (this.error !== message) this.deps.log.warn({ event: 'log-unreadable', path: this.path, err: message });
    this.error = message;
    this.state = 'error';
  }

  private savePositions(): void {
    if (this.cur) this.positions.save(this.key, this.cur, this.head);
    // kept after draining ends: it tells the next start which rotated file was already read
    const last = this.draining[this.draining.length - 1];
    if (last) this.positions.save(ROTATED_KEY + this.key, last.reader, last.head);
  }
}
