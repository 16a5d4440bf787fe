// Change notification for log directories. Directories are watched, not files: a directory watch
// (inotify) sees appends to every file in it, including a file just renamed to messages.1, and the
// creation of a file that does not exist yet. Polling always runs beside it as the safety net
// (missing directories, network file systems, exhausted inotify watches).

import { watch, type FSWatcher } from 'node:fs';

/** fail2ban's `backend` values that make sense here ("systemd" is a journal source, not a file one). */
export type WatchBackend = 'auto' | 'inotify' | 'polling';

export function parseBackend(text: string): WatchBackend | null {
  const t = text.trim().toLowerCase();
  if (t === 'auto' || t === 'inotify' || t === 'polling') return t;
  if (t === 'pyinotify') return 'inotify';
  return null;
}

export interface DirWatcher {
  /**
   * Starts watching `dir`; onChange gets the name that changed (null: unknown, check everything),
   * onGone fires when the watch ends by itself (directory removed). Throws when it cannot watch.
   */
  watch(dir: string, onChange: (name: string | null) => void, onGone: () => void): { close(): void };
}

export const inotifyWatcher: DirWatcher = {
  watch(dir, onChange, onGone) {
    const w: FSWatcher = watch(dir, { persistent: false }, (_type, name) => onChange(name === null ? null : String(name)));
    w.on('error', () => {
      w.close();
      onGone();
    });
    return { close: () => w.close() };
  },
};

/** A watcher that never notifies: the polling backend, and tests that drive checks by hand. */
export const pollingOnly: DirWatcher = {
  watch() {
    throw new Error('polling backend');
  },
};
