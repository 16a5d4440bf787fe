// The in-memory twin of nodeHttpPoster: keeps the posts and answers with a chosen status.

import { VoipguardError } from '../../src/core/errors.js';
import type { HttpPoster } from '../../src/notify/http-poster.js';

export class MemoryPoster implements HttpPoster {
  readonly posts: { url: string; body: unknown }[] = [];
  constructor(private status = 200) {}
  setStatus(s: number): void {
    this.status = s;
  }
  async post(url: URL, json: string): Promise<number> {
    this.posts.push({ url: url.toString(), body: JSON.parse(json) as unknown });
    if (this.status < 200 || this.status >= 300) throw new VoipguardError('VG_NOTIFY_SEND', `webhook ${url.host}: HTTP ${this.status}`);
    return this.status;
  }
}
