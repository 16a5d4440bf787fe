// The log files of one jail: its logpath patterns (plain paths and globs) expanded into one FileTail
// per file, each notified by a directory watch and by a poll. Files that appear later and match a
// glob are picked up and read from their start; a plain path that does not exist yet (nor its
// directory) is waited for. Emits LogLine records through deps.onLine, in file order.
//
// A new file that is one we already follow under another name (a rotated `security.1` matched by a
// too-wide glob `security*`) is not tailed twice.

import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_TAIL_OPTIONS, FileTail, ROTATED_KEY, type FileTailDeps, type FileTailOptions, type FileTailStatus } from './file-tail.js';
import { expandGlob, globBase, hasMagic, segmentRegExp } from './file-glob.js';
import { inotifyWatcher, pollingOnly, type DirWatcher, type WatchBackend } from './file-watch.js';

export interface FileSourceOptions extends Partial<FileTailOptions> {
  readonly patterns: readonly string[];
  readonly backend?: WatchBackend;
  /** Poll period; 0 = no timer (tests call poll() themselves). */
  readonly pollIntervalMs?: number;
}

export interface FileSourceDeps extends FileTailDeps {
  /** Defaults to inotify (or nothing for the polling backend); tests pass their own. */
  readonly watcher?: DirWatcher;
}

export interface FileSourceStatus {
  readonly kind: 'file';
  readonly backend: WatchBackend;
  readonly patterns: readonly string[];
  readonly watching: readonly string[];
  readonly files: readonly FileTailStatus[];
  /** Patterns with no file yet (a plain path that does not exist, a glob that matches nothing). */
  readonly waitingFor: readonly string[];
}

interface DirWatch {
  readonly inode: number;
  readonly handle: { close(): void };
}

export class FileSource {
  private readonly patterns: string[];
  private readonly tails = new Map<string, FileTail>();
  private readonly watches = new Map<string, DirWatch>();
  /** Glob matches not tailed because they are a followed file under a new name: path → inode. */
  private readonly ignored = new Map<string, number>();
  private readonly tailOpts: FileTailOptions;
  private readonly watcher: DirWatcher;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly opts: FileSourceOptions,
    private readonly deps: FileSourceDeps,
  ) {
    this.patterns = [...new Set(opts.patterns.map((p) => resolve(p)))];
    this.tailOpts = { ...DEFAULT_TAIL_OPTIONS, ...definedOnly(opts) };
    this.watcher = deps.watcher ?? (opts.backend === 'polling' ? pollingOnly : inotifyWatcher);
  }

  /** Opens what exists (resuming from saved positions), reads what is new, starts watching. */
  async start(): Promise<void> {
    this.rescan(true);
    await this.checkAll();
    this.ensureWatches();
    const every = this.opts.pollIntervalMs ?? 1000;
    if (every > 0) {
      this.timer = setInterval(() => void this.poll().catch((e) => this.deps.log.error({ event: 'poll-failed', err: e })), every);
      this.timer.unref();
    }
  }

  /** Rescans the globs, checks every file, repairs watches. The poll timer calls this. */
  async poll(): Promise<void> {
    if (this.stopped) return;
    this.rescan(false);
    await this.checkAll();
    this.ensureWatches();
    this.dropVanished();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const w of this.watches.values()) w.handle.close();
    this.watches.clear();
    for (const t of this.tails.values()) await t.close();
  }

  status(): FileSourceStatus {
    const files = [...this.tails.values()].map((t) => t.status());
    const waitingFor = this.patterns.filter((p) =>
      hasMagic(p) ? !files.some((f) => f.state === 'reading' && matches(p, f.path)) : files.find((f) => f.path === p)?.state !== 'reading',
    );
    return { kind: 'file', backend: this.opts.backend ?? 'auto', patterns: this.patterns, watching: [...this.watches.keys()], files, waitingFor };
  }

  private rescan(atStartup: boolean): void {
    const matched = this.patterns.map((p) => ({ glob: hasMagic(p), paths: expandGlob(p) }));
    // at start, an inode saved under another name is a file we followed before it was renamed
    const owners = new Map<number, string>();
    if (atStartup) {
      for (const path of matched.flatMap((m) => m.paths)) {
        const own = (this.tailOpts.keyPrefix ?? '') + path;
        for (const key of [own, ROTATED_KEY + own]) {
          const ino = this.deps.store.getPosition(key)?.inode;
          if (ino) owners.set(ino, key);
        }
      }
    }
    for (const { glob, paths } of matched) {
      for (const path of paths) {
        if (this.tails.has(path)) continue;
        const ino = glob ? inodeOf(path) : null;
        if (glob && (ino === null || this.ignored.get(path) === ino)) continue;
        const followed =
          ino !== null &&
          (atStartup
            ? owners.has(ino) && this.deps.store.getPosition((this.tailOpts.keyPrefix ?? '') + path)?.inode !== ino
            : [...this.tails.values()].some((t) => t.follows(ino)));
        if (followed) {
          this.ignored.set(path, ino);
          this.deps.log.info({ event: 'log-skipped', path, reason: 'a rotated file already followed under its old name' });
          continue;
        }
        this.tails.set(path, new FileTail(path, this.deps, this.tailOpts, atStartup));
      }
    }
  }

  private async checkAll(): Promise<void> {
    await Promise.all([...this.tails.values()].map((t) => t.check()));
  }

  private dirsToWatch(): Set<string> {
    const dirs = new Set<string>();
    for (const p of this.patterns) dirs.add(globBase(p));
    for (const path of this.tails.keys()) dirs.add(dirname(path));
    return dirs;
  }

  private ensureWatches(): void {
    if (this.stopped || this.watcher === pollingOnly) return;
    const wanted = this.dirsToWatch();
    for (const [dir, w] of this.watches) {
      if (!wanted.has(dir) || inodeOf(dir) !== w.inode) {
        w.handle.close();
        this.watches.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (this.watches.has(dir)) continue;
      const inode = inodeOf(dir);
      if (inode === null) continue; // not there yet: the poll will see it appear
      try {
        const handle = this.watcher.watch(
          dir,
          (name) => this.onDirEvent(dir, name),
          () => this.watches.delete(dir),
        );
        this.watches.set(dir, { inode, handle });
      } catch (e) {
        if (this.opts.backend === 'inotify') this.deps.log.warn({ event: 'watch-failed', dir, err: (e as Error).message, fallback: 'polling' });
      }
    }
  }

  private onDirEvent(dir: string, name: string | null): void {
    if (this.stopped) return;
    const newFile =
      name === null || this.patterns.some((p) => hasMagic(p) && globBase(p) === dir && segmentRegExp(lastSegment(p)).test(name));
    if (newFile) this.rescan(false);
    for (const t of this.tails.values()) {
      if (dirname(t.path) === dir) void t.check();
    }
  }

  /** A glob's file that is gone and fully read is forgotten (dated log names would pile up). */
  private dropVanished(): void {
    for (const [path, t] of this.tails) {
      const s = t.status();
      const plain = this.patterns.includes(path);
      if (!plain && s.state === 'waiting' && s.draining === 0) {
        this.tails.delete(path);
        void t.close();
      }
    }
  }
}

function definedOnly(o: Partial<FileTailOptions>): Partial<FileTailOptions> {
  const out: Record<string, number | string> = {};
  for (const k of ['maxLineBytes', 'rotateGraceMs', 'initialBackBytes', 'keyPrefix'] as const) if (o[k] !== undefined) out[k] = o[k]!;
  return out;
}

function inodeOf(p: string): number | null {
  try {
    return statSync(p).ino;
  } catch {
    return null;
  }
}

function lastSegment(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}

function matches(pattern: string, path: string): boolean {
  const ps = pattern.split('/');
  const xs = path.split('/');
  return ps.length === xs.length && ps.every((s, i) => (hasMagic(s) ? segmentRegExp(s).test(xs[i]!) : s === xs[i]));
}
