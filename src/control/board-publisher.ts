// The main thread's side of the board (board.ts): its answers to the board's requests, made with the
// daemon's own handler and posted to the control thread when they differ from the last ones posted.
// publish() at once after any request that may change something (threaded-control.ts); start()
// publishes every BOARD_MS while the board changes and every BOARD_QUIET_MS once it has not for
// BOARD_QUIET_TURNS publications (docs/flood.md, "The control socket in its own thread").

import type { Logger } from '../log/logger.js';
import { boardKey, boardRequests, statusAllOf } from './board.js';
import type { ControlHandler } from './control-server.js';
import type { ServiceStatus } from './replies.js';

const BOARD_MS = 100;
const BOARD_QUIET_MS = 1000;
const BOARD_QUIET_TURNS = 10;

export class BoardPublisher {
  private last = '';
  private quiet = 0;
  private timer: NodeJS.Timeout | null = null;
  private publishing: Promise<void> | null = null;
  private stopped = false;
  /** Boards posted so far. */
  posted = 0;

  constructor(
    private readonly handler: ControlHandler,
    /** Posts the board ([key, data] pairs as JSON) to the control thread. */
    private readonly post: (json: string) => void,
    private readonly log: Pick<Logger, 'warn'>,
    /** Called after each board posted (a changed board: the daemon is busy). */
    private readonly onPosted: () => Promise<void> = async () => undefined,
  ) {}

  /** Makes the board and posts it when it changed; concurrent calls share one making. */
  publish(): Promise<void> {
    this.publishing ??= this.make().finally(() => (this.publishing = null));
    return this.publishing;
  }

  /** Publishes now, then on its own cadence until stop(). */
  async start(): Promise<void> {
    await this.publish();
    this.schedule(BOARD_MS);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.publish().then(() => this.schedule(this.quiet >= BOARD_QUIET_TURNS ? BOARD_QUIET_MS : BOARD_MS));
    }, ms);
    this.timer.unref();
  }

  private async make(): Promise<void> {
    if (this.stopped) return;
    const h = this.handler;
    let json: string;
    try {
      const status = (await h.handle({ cmd: 'status' })) as ServiceStatus;
      const board = new Map<string, unknown>();
      for (const req of boardRequests(status.jails)) {
        if (req.cmd === 'status') board.set('status', status);
        else
          await h.handle(req).then(
            (data) => board.set(boardKey(req)!, data),
            () => undefined, // a jail gone with a reload: off the board, the main thread answers for it
          );
      }
      const all = statusAllOf(board, status.jails);
      if (all) board.set('status-all', all);
      json = JSON.stringify([...board]);
    } catch (e) {
      this.log.warn({ event: 'control-board-failed', err: (e as Error).message });
      return;
    }
    if (json === this.last) {
      this.quiet++;
      return;
    }
    this.quiet = 0;
    this.last = json;
    this.post(json);
    this.posted++;
    await this.onPosted();
  }
}
