// How a tailer recognises a file across rotations and restarts: its inode, and a hash of its first
// line (an inode number can be reused after a delete; a truncated-and-rewritten file keeps its inode
// but not its first line). Rotated copies are looked for beside the file, under names that start
// like it (messages.1, messages-20250101, security.log.0, security-20250101.log, messages.1712345678).

import { createHash } from 'node:crypto';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The first line is hashed up to this many bytes. */
export const HEAD_BYTES = 256;

/**
 * sha1 of the first line (newline included), or of the first HEAD_BYTES bytes when the line is
 * longer. '' while the file is shorter than that and holds no newline yet: the head is not known.
 */
export async function headHash(handle: FileHandle): Promise<string> {
  const buf = Buffer.alloc(HEAD_BYTES);
  const { bytesRead } = await handle.read(buf, 0, HEAD_BYTES, 0);
  const nl = buf.subarray(0, bytesRead).indexOf(0x0a);
  if (nl < 0 && bytesRead < HEAD_BYTES) return '';
  const end = nl < 0 ? HEAD_BYTES : nl + 1;
  return createHash('sha1').update(buf.subarray(0, end)).digest('hex');
}

/** Two heads match when they are equal or when either is not known yet. */
export function headsMatch(a: string, b: string): boolean {
  return a === '' || b === '' || a === b;
}

export interface Sibling {
  readonly path: string;
  readonly inode: number;
  readonly size: number;
}

/** Regular files beside `path` whose name starts like it (its name without the last extension). */
export async function rotatedSiblings(path: string): Promise<Sibling[]> {
  const dir = dirname(path);
  const base = basename(path);
  const stem = base.replace(/\.[^.]*$/, '') || base;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: Sibling[] = [];
  for (const name of names) {
    if (name === base || !name.startsWith(stem) || /\.(gz|bz2|xz|zst|Z)$/.test(name)) continue;
    const p = join(dir, name);
    try {
      const st = await stat(p);
      if (st.isFile()) out.push({ path: p, inode: st.ino, size: st.size });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** Opens `path` and returns it only if its head matches `head`; closes it otherwise. */
export async function openIfHead(path: string, head: string): Promise<FileHandle | null> {
  let h: FileHandle;
  try {
    h = await open(path, 'r');
  } catch {
    return null;
  }
  if (headsMatch(head, await headHash(h))) return h;
  await h.close();
  return null;
}
