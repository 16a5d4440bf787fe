// The control thread's side of /metrics (control-thread.ts): a scrape is relayed to the main thread,
// which renders the metrics; when that answer is late, the last body the main thread gave is served
// (a scrape's, or one the main thread pushed while the daemon was busy: threaded-control.ts).
// Before the first body, a scrape waits for the main thread.

import type { Scrapable } from '../metrics/metrics-server.js';
import type { FromControlThread, ToControlThread } from './thread-messages.js';

type Body = { contentType: string; body: string };
type Scraped = Extract<ToControlThread, { type: 'scraped' }>;

interface Waiting {
  readonly resolve: (b: Body) => void;
  readonly reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
}

export class ScrapeRelay implements Scrapable {
  private nextId = 1;
  private last: Body | null = null;
  private readonly waiting = new Map<number, Waiting>();
  /** Scrapes answered with the last body so far. */
  served = 0;

  constructor(
    private readonly post: (m: FromControlThread) => void,
    private readonly waitMs: number,
  ) {}

  scrape(): Promise<Body> {
    const id = this.nextId++;
    return new Promise<Body>((resolve, reject) => {
      const w: Waiting = { resolve, reject, timer: null };
      this.waiting.set(id, w);
      w.timer = setTimeout(() => this.fromLast(id), this.waitMs);
      this.post({ type: 'scrape', id });
    });
  }

  /** The main thread's rendering: kept as the last body, and the answer unless the last body answered first. */
  scraped(m: Scraped): void {
    if (m.ok) this.last = { contentType: m.contentType, body: m.body };
    const w = this.waiting.get(m.id);
    if (!w) return;
    this.settle(m.id, w);
    if (m.ok) w.resolve({ contentType: m.contentType, body: m.body });
    else w.reject(new Error(m.message));
  }

  /** A body the main thread pushed on its own. */
  setBody(contentType: string, body: string): void {
    this.last = { contentType, body };
  }

  private fromLast(id: number): void {
    const w = this.waiting.get(id);
    if (!w) return;
    w.timer = null;
    if (!this.last) return;
    this.settle(id, w);
    this.served++;
    w.resolve(this.last);
  }

  private settle(id: number, w: Waiting): void {
    if (w.timer) clearTimeout(w.timer);
    this.waiting.delete(id);
  }
}
