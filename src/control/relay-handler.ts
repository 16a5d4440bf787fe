// The control thread's handler (control-thread.ts): every request goes to the main thread, which
// answers it with the daemon's own handler. A request the board may answer (board.ts) is answered
// from the board when the main thread has not answered within waitMs: a garbage collection or a
// long batch on the main thread then no longer holds `status` (docs/flood.md). The board is the
// main thread's last published answers; while the main thread is held, nothing it owns changes.

import { VoipguardError } from '../core/errors.js';
import { boardKey } from './board.js';
import type { ControlHandler } from './control-server.js';
import type { ControlRequest } from './protocol.js';
import type { FromControlThread, ToControlThread } from './thread-messages.js';

interface Waiting {
  readonly resolve: (data: unknown) => void;
  readonly reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
}

type Reply = Extract<ToControlThread, { type: 'reply' }>;

export class RelayHandler implements ControlHandler {
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private board = new Map<string, unknown>();
  /** Requests answered from the board so far. */
  served = 0;

  constructor(
    private readonly post: (m: FromControlThread) => void,
    private readonly waitMs: number,
  ) {}

  handle(req: ControlRequest): Promise<unknown> {
    const id = this.nextId++;
    const key = boardKey(req);
    return new Promise<unknown>((resolve, reject) => {
      const w: Waiting = { resolve, reject, timer: null };
      this.waiting.set(id, w);
      if (key !== null) w.timer = setTimeout(() => this.fromBoard(id, key), this.waitMs);
      this.post({ type: 'request', id, req });
    });
  }

  /** The main thread's answer (ignored when the board answered first). */
  reply(m: Reply): void {
    const w = this.waiting.get(m.id);
    if (!w) return;
    this.settle(m.id, w);
    if (m.ok) w.resolve(m.data);
    else w.reject(new VoipguardError(m.code, m.message, m.place));
  }

  /** Replaces the board with the main thread's latest answers ([key, data] pairs as JSON). */
  setBoard(json: string): void {
    this.board = new Map(JSON.parse(json) as [string, unknown][]);
  }

  /** Requests not answered yet fail (the control thread is closing). */
  abandon(why: string): void {
    for (const [id, w] of this.waiting) {
      this.settle(id, w);
      w.reject(new VoipguardError('VG_INTERNAL', why));
    }
  }

  private fromBoard(id: number, key: string): void {
    const w = this.waiting.get(id);
    if (!w) return;
    w.timer = null;
    if (!this.board.has(key)) return; // not published yet (before the jails started): the main thread answers
    this.settle(id, w);
    this.served++;
    w.resolve(this.board.get(key));
  }

  private settle(id: number, w: Waiting): void {
    if (w.timer) clearTimeout(w.timer);
    this.waiting.delete(id);
  }
}
