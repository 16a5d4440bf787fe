// The board: the answers the control thread may give on its own when the main thread is late
// (docs/flood.md, "The control socket in its own thread"). Only answers that are small and made of
// counts are on it; a request for a list (`status <jail>` with its banned addresses, `get banip`)
// and every request that changes something always wait for the main thread.

import type { ControlRequest } from './protocol.js';
import type { ControlReplies, JailStatus, ServiceStatus } from './replies.js';

/** How long the control thread waits for the main thread before it answers from the board (ms). */
export const BOARD_WAIT_MS = 20;

/** The board's key for a request it may answer, or null when only the main thread answers it. */
export function boardKey(req: ControlRequest): string | null {
  switch (req.cmd) {
    case 'ping':
    case 'version':
    case 'status':
    case 'stats':
    case 'cluster-status':
    case 'feed-status':
    case 'get-loglevel':
    case 'get-logtarget':
      return req.cmd;
    case 'jail-status':
      return req.short ? `jail-status ${req.jail}` : null;
    case 'status-all':
      return req.short ? 'status-all' : null;
    default:
      return null;
  }
}

/** Every request whose answer is on the board, for the running jails (the `status` answer's `jails`); `status --all short` is made from them (statusAllOf). */
export function boardRequests(jails: readonly string[]): ControlRequest[] {
  return [
    { cmd: 'ping' },
    { cmd: 'version' },
    { cmd: 'status' },
    { cmd: 'stats' },
    { cmd: 'cluster-status' },
    { cmd: 'feed-status' },
    { cmd: 'get-loglevel' },
    { cmd: 'get-logtarget' },
    ...jails.map((jail): ControlRequest => ({ cmd: 'jail-status', jail, short: true })),
  ];
}

/**
 * `status --all short` made from the board's own answers (the service's status and each jail's
 * short status) instead of being asked again: the same data, each jail's status computed once.
 */
export function statusAllOf(board: ReadonlyMap<string, unknown>, jails: readonly string[]): ControlReplies['status-all'] | null {
  const service = board.get('status') as ServiceStatus | undefined;
  const parts = jails.map((j) => board.get(`jail-status ${j}`) as JailStatus | undefined);
  if (service === undefined || parts.some((p) => p === undefined)) return null;
  return { service, jails: parts as JailStatus[] };
}
