// The in-memory twin of NodeFeedFetcher (sources/feed-fetch.ts): answers from a table of URLs and
// paths, records what was asked, applies the size cap the same way.

import { VoipguardError } from '../../src/core/errors.js';
import type { FeedFetcher, FeedResponse, FetchLimits } from '../../src/sources/feed-fetch.js';

export class MemoryFeedFetcher implements FeedFetcher {
  readonly urls = new Map<string, FeedResponse | Error>();
  readonly files = new Map<string, string>();
  readonly asked: string[] = [];

  async get(url: string, limits: FetchLimits): Promise<FeedResponse> {
    this.asked.push(url);
    const r = this.urls.get(url);
    if (r === undefined) throw new VoipguardError('VG_FEED_FETCH', `${url}: ECONNREFUSED`);
    if (r instanceof Error) throw r;
    if (Buffer.byteLength(r.body) > limits.maxBytes) throw new VoipguardError('VG_FEED_TOO_LARGE', `${url} is larger than ${limits.maxBytes} bytes`);
    return r;
  }

  async read(path: string, limits: FetchLimits): Promise<string> {
    this.asked.push(path);
    const t = this.files.get(path);
    if (t === undefined) throw new VoipguardError('VG_FEED_FETCH', `${path}: ENOENT`);
    if (Buffer.byteLength(t) > limits.maxBytes) throw new VoipguardError('VG_FEED_TOO_LARGE', `${path} is larger than ${limits.maxBytes} bytes`);
    return t;
  }
}
