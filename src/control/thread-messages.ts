// What the main thread and the control thread say to each other (threaded-control.ts and
// control-thread.ts). Structured clones: plain data only.

import type { ErrorCode, ErrorPlace } from '../core/errors.js';
import type { ServerLimits } from './control-server.js';
import type { ControlRequest } from './protocol.js';

/** Main thread → control thread. */
export type ToControlThread =
  | { readonly type: 'listen'; readonly path: string }
  /** The answer to a relayed request: data, or the error the main thread's handler threw. */
  | { readonly type: 'reply'; readonly id: number; readonly ok: true; readonly data: unknown }
  | { readonly type: 'reply'; readonly id: number; readonly ok: false; readonly code: ErrorCode; readonly message: string; readonly place: ErrorPlace }
  /** The board's answers, as JSON of [key, data] pairs; replaces the whole board. */
  | { readonly type: 'board'; readonly json: string }
  | { readonly type: 'close' }
  /** /metrics: serve it on this address (at most one at a time), or stop. */
  | { readonly type: 'metrics-listen'; readonly host: string; readonly port: number }
  | { readonly type: 'metrics-close' }
  /** The answer to a relayed scrape. */
  | { readonly type: 'scraped'; readonly id: number; readonly ok: true; readonly contentType: string; readonly body: string }
  | { readonly type: 'scraped'; readonly id: number; readonly ok: false; readonly message: string }
  /** A rendering pushed while the daemon is busy, for a scrape that finds the main thread late. */
  | { readonly type: 'metrics-body'; readonly contentType: string; readonly body: string };

/** Control thread → main thread. */
export type FromControlThread =
  /** The thread's script has loaded: it listens when told. */
  | { readonly type: 'booted' }
  | { readonly type: 'listening' }
  | { readonly type: 'listen-failed'; readonly message: string; readonly errno?: string }
  /** A request read from the socket, already checked by control/protocol.ts. */
  | { readonly type: 'request'; readonly id: number; readonly req: ControlRequest }
  /** One log record of the control server, logged by the main thread's logger. */
  | { readonly type: 'log'; readonly level: 'info' | 'warn' | 'error'; readonly fields: Record<string, unknown> }
  /** Closed; how many answers came from the board, and scrapes from the last rendering. */
  | { readonly type: 'closed'; readonly fromBoard: number; readonly scrapesFromLast: number }
  | { readonly type: 'metrics-listening'; readonly host: string; readonly port: number }
  | { readonly type: 'metrics-failed'; readonly why: string }
  | { readonly type: 'metrics-closed' }
  /** A GET /metrics to render. */
  | { readonly type: 'scrape'; readonly id: number };

/** What the control thread is started with. */
export interface ControlThreadData extends ServerLimits {
  readonly waitMs: number;
}
