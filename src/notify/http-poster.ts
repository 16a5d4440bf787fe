// POSTs a JSON body to a webhook URL over node:http / node:https, with a hard timeout, no redirects
// followed and no keep-alive (a notification every few minutes gains nothing from a pooled socket,
// and an idle one would hold the daemon open at stop).

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { VoipguardError } from '../core/errors.js';

export interface HttpPoster {
  /** Resolves with the status of a 2xx answer; rejects (VG_NOTIFY_SEND) on anything else. */
  post(url: URL, json: string, timeoutMs: number): Promise<number>;
}

export const nodeHttpPoster: HttpPoster = {
  post(url, json, timeoutMs) {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<number>((resolve, reject) => {
      const fail = (why: string, cause?: unknown): void =>
        reject(new VoipguardError('VG_NOTIFY_SEND', `webhook ${url.host}: ${why}`, {}, cause === undefined ? undefined : { cause }));
      const body = Buffer.from(json, 'utf8');
      const req = request(
        url,
        {
          method: 'POST',
          agent: false,
          headers: { 'content-type': 'application/json', 'content-length': body.length, 'user-agent': 'voipguard' },
        },
        (res) => {
          res.resume(); // the answer's body is not needed; drain it so the socket closes
          const status = res.statusCode ?? 0;
          res.on('end', () => (status >= 200 && status < 300 ? resolve(status) : fail(`HTTP ${status}`)));
          res.on('error', (e) => fail(e.message, e));
        },
      );
      // one deadline for the whole exchange: a receiver that accepts and never answers is a failure
      const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
      req.on('close', () => clearTimeout(timer));
      req.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message, e));
      req.end(body);
    });
  },
};
