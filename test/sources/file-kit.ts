// Shared by the file source tests: a temp dir, a position store twin, a collector of lines.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/core/clock.js';
import type { LogLine } from '../../src/core/types.js';
import { silentLogger } from '../../src/log/logger.js';
import type { FilePosition } from '../../src/store/store.js';
import type { PositionStore } from '../../src/sources/file-tail.js';

export class MapPositions implements PositionStore {
  readonly map = new Map<string, FilePosition>();
  getPosition(path: string): FilePosition | undefined {
    return this.map.get(path);
  }
  setPosition(pos: FilePosition): void {
    this.map.set(pos.path, { ...pos });
  }
}

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'vg-tail-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function kit(store = new MapPositions()) {
  const lines: LogLine[] = [];
  const clock = new ManualClock(1_700_000_000_000);
  return {
    store,
    clock,
    lines,
    texts: () => lines.map((l) => l.text),
    deps: { store, clock, log: silentLogger(), onLine: (l: LogLine) => void lines.push(l) },
  };
}

/** n numbered lines "<tag> <i>\n" from `from`. */
export function numbered(tag: string, from: number, n: number): string {
  let s = '';
  for (let i = from; i < from + n; i++) s += `${tag} ${i}\n`;
  return s;
}

export function seq(tag: string, from: number, n: number): string[] {
  return numbered(tag, from, n).trimEnd().split('\n');
}
