// Getting a feed's bytes: over HTTP(S) with Node's fetch, or from a local file. Behind an interface
// so unit tests use an in-memory twin (test/fakes/memory-feed-fetcher.ts).
//
// What a download may do, whoever serves it: take at most `timeoutMs` (connection and body), bring at
// most `maxBytes` (the body is streamed and the transfer stopped at the cap; a larger
// Content-Length is refused before reading), verify TLS certificates (Node's default, never turned
// off), and follow a redirect only to the same scheme (https never becomes http, nor http https),
// at most MAX_REDIRECTS times. Everything else is a coded VoipguardError.

import { open } from 'node:fs/promises';
import { VoipguardError } from '../core/errors.js';

export interface FetchLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

export interface FeedResponse {
  readonly status: number;
  readonly body: string;
}

export interface FeedFetcher {
  /** GET `url`; any status is returned (the caller decides), failures throw VG_FEED_FETCH / VG_FEED_TIMEOUT / VG_FEED_TOO_LARGE. */
  get(url: string, limits: FetchLimits): Promise<FeedResponse>;
  /** A local list, with the same size cap. */
  read(path: string, limits: FetchLimits): Promise<string>;
}

export const MAX_REDIRECTS = 3;

/** The URL as logs and status show it: an APIBan key (or any path) is not printed. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(bad url)';
  }
}

function tooLarge(what: string, maxBytes: number): VoipguardError {
  return new VoipguardError('VG_FEED_TOO_LARGE', `${what} is larger than ${maxBytes} bytes (maxsize); the last good list stays`);
}

export class NodeFeedFetcher implements FeedFetcher {
  async get(url: string, limits: FetchLimits): Promise<FeedResponse> {
    const signal = AbortSignal.timeout(limits.timeoutMs);
    let current = url;
    try {
      for (let hop = 0; ; hop++) {
        const res = await fetch(current, { redirect: 'manual', signal, headers: { accept: 'text/plain, application/json, text/csv, */*' } });
        if (res.status >= 300 && res.status < 400 && res.headers.has('location')) {
          await res.body?.cancel();
          const next = new URL(res.headers.get('location')!, current);
          if (next.protocol !== new URL(current).protocol) {
            throw new VoipguardError('VG_FEED_FETCH', `${redactUrl(current)} redirects to ${next.protocol} (another scheme): refused`);
          }
          if (hop >= MAX_REDIRECTS) throw new VoipguardError('VG_FEED_FETCH', `${redactUrl(url)}: more than ${MAX_REDIRECTS} redirects`);
          current = next.toString();
          continue;
        }
        const declared = Number(res.headers.get('content-length') ?? NaN);
        if (declared > limits.maxBytes) {
          await res.body?.cancel();
          throw tooLarge(`${redactUrl(url)} (Content-Length ${declared})`, limits.maxBytes);
        }
        return { status: res.status, body: await readCapped(res, limits.maxBytes, url) };
      }
    } catch (e) {
      if (e instanceof VoipguardError) throw e;
      if (signal.aborted) {
        throw new VoipguardError(
          'VG_FEED_TIMEOUT',
          `${redactUrl(url)} did not answer within ${limits.timeoutMs} ms; the last good list stays`,
          {},
          { cause: e },
        );
      }
      const cause = (e as Error & { cause?: Error & { code?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e as Error).message;
      throw new VoipguardError('VG_FEED_FETCH', `${redactUrl(url)}: ${why}; the last good list stays`, {}, { cause: e });
    }
  }

  async read(path: string, limits: FetchLimits): Promise<string> {
    let fh;
    try {
      fh = await open(path, 'r');
      const st = await fh.stat();
      if (!st.isFile()) throw new VoipguardError('VG_FEED_FETCH', `${path} is not a file`);
      if (st.size > limits.maxBytes) throw tooLarge(path, limits.maxBytes);
      return await fh.readFile('utf8');
    } catch (e) {
      if (e instanceof VoipguardError) throw e;
      throw new VoipguardError('VG_FEED_FETCH', `${path}: ${(e as Error).message}; the last good list stays`, {}, { cause: e });
    } finally {
      await fh?.close();
    }
  }
}

async function readCapped(res: Response, maxBytes: number, url: string): Promise<string> {
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge(redactUrl(url), maxBytes);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
