// The log files of one jail: its logpath patterns (plain paths and globs) expanded into one FileTail
// per file, each notified by a directory watch and by a poll. Files that appear later and match a
// glob are picked up and read from their start; a plain path that does not exist yet (nor its
// directory) is waited for. Emits LogLine records through deps.onLine, in file order.
//
// A new file that is one we already follow under another name (a rotated `security.1` matched by a
// too-wide glob `security*`) is not tailed twice.
//
// Cost at rest (docs/resources.md): a directory watched with inotify is trusted for its files. A
// notification names the file, and only that file's tail (and tails still draining a rotated file
// there) is checked. Idle files in watched directories are parked: no descriptor is held. The poll
// is then only a safety net, spread out: each tick checks a slice, so every such file is checked
// once per safetyNetMs and the globs are expanded again once per safetyNetMs. Files in directories
// without a watch (polling backend, a watch refused) are checked on every tick, as before. A glob
// may match at most maxFiles files: more is a config error at start, and later ones are not followed.

import { statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { VoipguardError, type ErrorPlace } from '../core/errors.js';
import { DEFAULT_TAIL_OPTIONS, FileTail, ROTATED_KEY, type FileTailDeps, type FileTailOptions, type FileTailStatus } from './file-tail.js';
import { expandGlob, globBase, hasMagic, segmentRegExp } from './file-glob.js';
import { inotifyWatcher, pollingOnly, type DirWatcher, type WatchBackend } from './file-watch.js';

export interface FileSourceOptions extends Partial<FileTailOptions> {
  readonly patterns: readonly string[];
  readonly backend?: WatchBackend;
  /** Poll period; 0 = no timer (tests call poll() themselves, and each poll checks everything). */
  readonly pollIntervalMs?: number;
  /** Every file in a watched directory is checked at least this often (default 30 s; see poll()). */
  readonly safetyNetMs?: number;
  /** A file idle this long in a watched directory is closed until it changes (default 10 s). */
  readonly parkAfterMs?: number;
  /** Files one glob may match (default 1000). */
  readonly maxFiles?: number;
}

export const DEFAULT_MAX_FILES = 1000;

/**
 * Refuses a logpath glob that matches more than `max` files now (a config error naming the file,
 * section and key): following 100,000 files by mistake costs memory and start time for nothing.
 */
export function checkGlobCaps(patterns: readonly string[], max: number, place: ErrorPlace): void {
  for (const p of patterns) {
    if (!hasMagic(p)) continue;
    const n = expandGlob(p).length;
    if (n > max) {
      throw new VoipguardError(
        'VG_CONFIG_TYPE',
        `logpath ${p} matches ${n} files, more than maxlogfiles = ${max}: narrow the glob, or raise maxlogfiles in the jail`,
        { ...place, key: 'logpath' },
      );
    }
  }
}

const START_BATCH = 128;

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
  /** Rolling position of the safety-net sweep over the tails of watched directories. */
  private sweep = 0;
  private ticks = 0;
  private readonly overCap = new Set<string>();

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
    this.rescan(true, this.patterns);
    this.ensureWatches();
    // in batches, parking as it goes: 10,000 files never hold 10,000 descriptors at once
    const all = [...this.tails.values()];
    for (let i = 0; i < all.length; i += START_BATCH) {
      const batch = all.slice(i, i + START_BATCH);
      await Promise.all(batch.map((t) => t.check()));
      await Promise.all(batch.filter((t) => this.isWatched(t.path)).map((t) => t.park()));
    }
    const every = this.opts.pollIntervalMs ?? 1000;
    if (every > 0) {
      this.timer = setInterval(() => void this.poll().catch((e) => this.deps.log.error({ event: 'poll-failed', err: e })), every);
      this.timer.unref();
    }
  }

  /**
   * One tick: what has no watch is rescanned and checked; of the watched rest, a slice (everything
   * when there is no timer); idle watched files are parked; watches are repaired. The timer calls it.
   */
  async poll(): Promise<void> {
    if (this.stopped) return;
    const every = this.opts.pollIntervalMs ?? 1000;
    const safety = this.opts.safetyNetMs ?? 30_000;
    // without a timer (tests), a poll is a whole sweep unless safetyNetMs says otherwise (1 s ticks)
    const ticksPerSweep = every > 0 || this.opts.safetyNetMs !== undefined ? Math.max(1, Math.ceil(safety / (every || 1000))) : 1;
    const fullRescan = this.ticks++ % ticksPerSweep === 0;
    this.rescan(false, fullRescan ? this.patterns : this.patterns.filter((p) => !this.watches.has(globBase(p))));
    const unwatched: FileTail[] = [];
    const watched: FileTail[] = [];
    for (const t of this.tails.values()) (this.isWatched(t.path) ? watched : unwatched).push(t);
    const n = Math.ceil(watched.length / ticksPerSweep);
    if (this.sweep >= watched.length) this.sweep = 0;
    const slice = watched.slice(this.sweep, this.sweep + n);
    this.sweep += n;
    const checked = [...unwatched, ...slice];
    await Promise.all(checked.map((t) => t.check()));
    this.ensureWatches();
    this.dropVanished(checked);
    const idleSince = this.deps.clock.now() - (this.opts.parkAfterMs ?? 10_000);
    const parkable = watched.filter((t) => !t.isParked && t.drainingCount === 0 && t.lastActivity <= idleSince && this.tails.get(t.path) === t);
    await Promise.all(parkable.map((t) => t.park()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    for (const w of this.watches.values()) w.handle.close();
    this.watches.clear();
    await Promise.all([...this.tails.values()].map((t) => t.close()));
  }

  status(): FileSourceStatus {
    const files = [...this.tails.values()].map((t) => t.status());
    const waitingFor = this.patterns.filter((p) =>
      hasMagic(p) ? !files.some((f) => f.state === 'reading' && matches(p, f.path)) : files.find((f) => f.path === p)?.state !== 'reading',
    );
    return { kind: 'file', backend: this.opts.backend ?? 'auto', patterns: this.patterns, watching: [...this.watches.keys()], files, waitingFor };
  }

  private isWatched(path: string): boolean {
    return this.watches.has(dirname(path));
  }

  private rescan(atStartup: boolean, patterns: readonly string[]): void {
    if (patterns.length === 0) return;
    const matched = patterns.map((p) => ({ pattern: p, glob: hasMagic(p), paths: this.capped(p, expandGlob(p)) }));
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

  /**
   * A glob's matches, at most maxFiles of them (checkGlobCaps refuses the jail at start when there
   * are more): the files past the cap are not followed and a warning says so once.
   */
  private capped(pattern: string, paths: string[]): string[] {
    const max = this.opts.maxFiles ?? DEFAULT_MAX_FILES;
    if (paths.length <= max) {
      this.overCap.delete(pattern);
      return paths;
    }
    if (!this.overCap.has(pattern)) {
      this.overCap.add(pattern);
      this.deps.log.warn({ event: 'logpath-over-cap', pattern, files: paths.length, maxlogfiles: max });
    }
    // the files already followed stay; new ones only while there is room
    const followed = paths.filter((p) => this.tails.has(p));
    const room = Math.max(0, max - followed.length);
    return [...followed, ...paths.filter((p) => !this.tails.has(p)).slice(0, room)];
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

  /**
   * A notification checks the file it names (a new one matching a glob is picked up) and the tails
   * of this directory still draining a rotated file; an unnamed one checks the whole directory.
   */
  private onDirEvent(dir: string, name: string | null): void {
    if (this.stopped) return;
    if (name === null) {
      this.rescan(false, this.patterns);
      for (const t of this.tails.values()) if (dirname(t.path) === dir) void t.check();
      return;
    }
    const path = join(dir, name);
    if (!this.tails.has(path)) {
      const direct = this.patterns.filter(
        (p) => hasMagic(p) && dirname(p) === dir && segmentRegExp(basename(p)).test(name) && (!name.startsWith('.') || basename(p).startsWith('.')),
      );
      // a glob with wildcards above the file name: the new entry may be a directory on the way to matches
      const deeper = this.patterns.filter((p) => hasMagic(p) && dirname(p) !== dir && leadsTo(p, path));
      if (deeper.length) this.rescan(false, deeper);
      if (direct.length) this.rescanOne(path, direct);
      if (deeper.length || direct.length) this.ensureWatches();
    }
    this.tails.get(path)?.check();
    for (const t of this.tails.values()) {
      if (t.drainingCount > 0 && t.path !== path && dirname(t.path) === dir) void t.check();
    }
  }

  /** A new name in a watched directory that one of `patterns` matches: as a rescan, for it alone. */
  private rescanOne(path: string, patterns: readonly string[]): void {
    const max = this.opts.maxFiles ?? DEFAULT_MAX_FILES;
    for (const p of patterns) {
      let n = 0;
      for (const k of this.tails.keys()) if (matches(p, k)) n++;
      if (n >= max) {
        // over the cap: the full rescan says so once and keeps the followed files
        this.rescan(false, [p]);
        return;
      }
    }
    const ino = inodeOf(path);
    if (ino === null || this.ignored.get(path) === ino) return;
    if (!statSafe(path)) return;
    if ([...this.tails.values()].some((t) => t.follows(ino))) {
      this.ignored.set(path, ino);
      this.deps.log.info({ event: 'log-skipped', path, reason: 'a rotated file already followed under its old name' });
      return;
    }
    const t = new FileTail(path, this.deps, this.tailOpts, false);
    this.tails.set(path, t);
  }

  /** A glob's file that is gone and fully read is forgotten (dated log names would pile up). */
  private dropVanished(among: readonly FileTail[]): void {
    for (const t of among) {
      const path = t.path;
      if (this.tails.get(path) !== t) continue;
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

/** True when `path` matches the leading segments of `pattern` (and is shorter than it). */
function leadsTo(pattern: string, path: string): boolean {
  const ps = pattern.split('/');
  const xs = path.split('/');
  return xs.length < ps.length && xs.every((x, i) => (hasMagic(ps[i]!) ? segmentRegExp(ps[i]!).test(x) : ps[i] === x));
}

function statSafe(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function matches(pattern: string, path: string): boolean {
  const ps = pattern.split('/');
  const xs = path.split('/');
  return ps.length === xs.length && ps.every((s, i) => (hasMagic(s) ? segmentRegExp(s).test(xs[i]!) : s === xs[i]));
}
