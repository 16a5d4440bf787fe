// Helpers for SqliteStore tests that need a real kernel: a small tmpfs (disk full, read-only), as
// root. Each mount has its own directory and is unmounted afterwards.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tryMountTmpfs(sizeKb: number): { dir: string; remountReadOnly(): void; remountWritable(): void; cleanup(): void } | string {
  const dir = mkdtempSync(join(tmpdir(), 'vg-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    return `cannot mount a tmpfs here: ${(e as Error).message.split('\n')[0]}`;
  }
  return {
    dir,
    remountReadOnly: () => execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'pipe' }),
    remountWritable: () => execFileSync('mount', ['-o', 'remount,rw', dir], { stdio: 'pipe' }),
    cleanup: () => {
      execFileSync('umount', [dir], { stdio: 'pipe' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
