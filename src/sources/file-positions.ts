// The positions a FileTail saves (inode, offset, first-line hash per key), written only when they
// changed; a failing write is logged once per distinct failure and retried at the next save.
// Moved out of file-tail.ts as it was.

import type { FileLineReader } from './file-line-reader.js';
import type { FileTailDeps } from './file-tail-types.js';

export class PositionSaver {
  private readonly saved = new Map<string, string>();
  private saveError: string | undefined;

  constructor(
    private readonly path: string,
    private readonly deps: Pick<FileTailDeps, 'store' | 'log'>,
  ) {}

  save(key: string, r: FileLineReader, head: string): void {
    const sig = `${r.inode}:${r.committed}:${head}`;
    if (this.saved.get(key) === sig) return;
    try {
      this.deps.store.setPosition({ path: key, inode: r.inode, offset: r.committed, firstLineHash: head });
    } catch (e) {
      // logged when it happens (a full disk: SQLITE_FULL); the lines already reached the jail and the
      // next read saves again. Once per distinct failure, so a full disk does not flood the log.
      const message = (e as Error).message;
      if (this.saveError !== message) {
        this.deps.log.error({ event: 'position-save-failed', code: (e as { code?: string }).code ?? 'VG_STORE_WRITE', path: this.path, err: e });
      }
      this.saveError = message;
      return;
    }
    this.saveError = undefined;
    this.saved.set(key, sig);
  }
}
