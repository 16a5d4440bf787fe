// The control thread's side of /metrics (control-thread.ts): a scrape is relayed to the main thread,
// which renders the metrics; when that answer is late (late-answers.ts), the last body the main
// thread gave is served (a scrape's, or one the main thread pushed while the daemon was busy:
// threaded-control.ts). Before the first body, a scrape waits for the main thread.

import type { Scrapable } from '../metrics/metrics-server.js';
import { LateAnswers, type Timer } from './late-answers.js';
import type { FromControlThread, ToControlThread } from './thread-messages.js';

type Body = { contentType: string; body: string };
type Scraped = Extract<ToControlThread, { type: 'scraped' }>;

export class ScrapeRelay implements Scrapable {
  private readonly answers: LateAnswers<Body>;
  private last: Body | undefined;

  constructor(
    private readonly post: (m: FromControlThread) => void,
    waitMs: number,
    timer?: Timer,
  ) {
    this.answers = new LateAnswers(waitMs, timer);
  }

  /** Scrapes answered with the last body so far. */
  get served(): number {
    return this.answers.served;
  }

  scrape(): Promise<Body> {
    return this.answers.ask(
      (id) => this.post({ type: 'scrape', id }),
      () => this.last,
    );
  }

  /** The main thread's rendering: kept as the last body, and the answer unless the last body answered first. */
  scraped(m: Scraped): void {
    if (!m.ok) return this.answers.fail(m.id, new Error(m.message));
    this.last = { contentType: m.contentType, body: m.body };
    this.answers.answer(m.id, this.last);
  }

  /** A body the main thread pushed on its own. */
  setBody(contentType: string, body: string): void {
    this.last = { contentType, body };
  }
}
