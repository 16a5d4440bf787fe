// The control thread's handler (control-thread.ts): every request goes to the main thread, which
// answers it with the daemon's own handler. A request the board may answer (board.ts) is answered
// from the board when the main thread has not answered within waitMs (late-answers.ts): a garbage
// collection or a long batch on the main thread then no longer holds `status` (docs/flood.md). The
// board is the main thread's last published answers; while the main thread is held, nothing it
// owns changes.

import { VoipguardError } from '../core/errors.js';
import { boardKey } from './board.js';
import type { ControlHandler } from './control-server.js';
import { LateAnswers, type Timer } from './late-answers.js';
import type { ControlRequest } from './protocol.js';
import type { FromControlThread, ToControlThread } from './thread-messages.js';

type Reply = Extract<ToControlThread, { type: 'reply' }>;

export class RelayHandler implements ControlHandler {
  private readonly answers: LateAnswers<unknown>;
  private board = new Map<string, unknown>();

  constructor(
    private readonly post: (m: FromControlThread) => void,
    waitMs: number,
    timer?: Timer,
  ) {
    this.answers = new LateAnswers(waitMs, timer);
  }

  /** Requests answered from the board so far. */
  get served(): number {
    return this.answers.served;
  }

  handle(req: ControlRequest): Promise<unknown> {
    const key = boardKey(req);
    // a key not on the board yet (before the jails started): the main thread answers
    return this.answers.ask((id) => this.post({ type: 'request', id, req }), key === null ? null : () => this.board.get(key));
  }

  /** The main thread's answer (ignored when the board answered first). */
  reply(m: Reply): void {
    if (m.ok) this.answers.answer(m.id, m.data);
    else this.answers.fail(m.id, new VoipguardError(m.code, m.message, m.place));
  }

  /** Replaces the board with the main thread's latest answers ([key, data] pairs as JSON). */
  setBoard(json: string): void {
    this.board = new Map(JSON.parse(json) as [string, unknown][]);
  }

  /** Requests not answered yet fail (the control thread is closing). */
  abandon(why: string): void {
    this.answers.abandon(new VoipguardError('VG_INTERNAL', why));
  }
}
