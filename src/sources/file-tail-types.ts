// The options, dependencies and status of a FileTail (file-tail.ts), and the state it keeps of a
// parked or draining file. Moved out of file-tail.ts as they were.

import type { Clock } from '../core/clock.js';
import type { TurnPace } from '../core/slices.js';
import type { LogLine } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import type { Store } from '../store/store.js';
import type { FileLineReader, LineScreen } from './file-line-reader.js';

export type PositionStore = Pick<Store, 'getPosition' | 'setPosition'>;

export interface FileTailOptions {
  readonly maxLineBytes: number;
  readonly rotateGraceMs: number;
  /** For a file without a saved position, found at start: how many bytes back from its end to read. */
  readonly initialBackBytes: number;
  /** Prefixed to the path to make the position key: two jails reading one file keep their own. */
  readonly keyPrefix?: string;
}

export const DEFAULT_TAIL_OPTIONS: FileTailOptions = Object.freeze({
  maxLineBytes: 64 * 1024,
  rotateGraceMs: 10_000,
  initialBackBytes: 64 * 1024 * 1024,
});

export interface FileTailDeps {
  readonly store: PositionStore;
  readonly clock: Clock;
  readonly log: Logger;
  readonly onLine: (line: LogLine) => void;
  /**
   * The filter's pre-check on bytes, one per file (it keeps the chunk it screens); lines it turns
   * away are never decoded and are only counted, through onSkip.
   */
  readonly screen?: () => LineScreen | null;
  readonly onSkip?: (source: string, lines: number) => void;
  /** When a long read lets the event loop turn between lines (one pace for the whole daemon). */
  readonly pace?: TurnPace;
}

export type TailState = 'waiting' | 'reading' | 'error';

export interface FileTailStatus {
  readonly path: string;
  readonly state: TailState;
  readonly inode: number | null;
  readonly offset: number;
  readonly lines: number;
  readonly oversized: number;
  readonly rotations: number;
  readonly truncations: number;
  readonly draining: number;
  readonly callbackErrors: number;
  readonly error?: string;
}

export interface Parked {
  readonly inode: number;
  readonly committed: number;
  readonly head: string;
}

export interface Draining {
  readonly reader: FileLineReader;
  readonly head: string;
  lastGrowth: number;
}
