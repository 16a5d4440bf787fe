// `voipguard doctor`'s look at the fleet: with the [cluster] settings the daemon would use (the
// password file read, the CA file read), connect to Redis once, read who is there (the nodes seen in
// the last minute, the active shared bans, the stream's length), disconnect. Read only: it writes no
// heartbeat and no entry, so it can run beside the daemon, or before the daemon ever started.

import type { ClusterConfig } from '../config/cluster-schema.js';
import { SEEN_MS } from './bus.js';
import { clientError } from './client-error.js';
import { DEFAULT_STREAM_MAXLEN, readClusterSecrets, RedisBus } from './redis-bus.js';

export type ClusterProbeOutcome =
  | { readonly ok: true; readonly nodes: readonly string[]; readonly activeBans: number; readonly streamLength: number }
  | { readonly ok: false; readonly stage: 'files' | 'connect' | 'read'; readonly message: string };

export async function probeCluster(cfg: ClusterConfig, timeoutMs: number, now: number): Promise<ClusterProbeOutcome> {
  let secrets: ReturnType<typeof readClusterSecrets>;
  try {
    secrets = readClusterSecrets(cfg);
  } catch (e) {
    return { ok: false, stage: 'files', message: clientError(e) };
  }
  const bus = new RedisBus({ target: cfg.redis, ...secrets, prefix: cfg.prefix, maxLen: DEFAULT_STREAM_MAXLEN, commandTimeoutMs: timeoutMs });
  try {
    const connected = await new Promise<Error | null>((resolve) => {
      const timer = setTimeout(() => resolve(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      bus.start((s, err) => {
        if (s === 'connecting') return;
        clearTimeout(timer);
        resolve(s === 'connected' ? null : (err ?? new Error('disconnected')));
      });
    });
    if (connected !== null) return { ok: false, stage: 'connect', message: clientError(connected) };
    try {
      const c = await bus.census(now - SEEN_MS);
      // the names are what the nodes wrote (or whoever holds the password): shown, so cleaned
      return { ok: true, nodes: c.nodes.map(clientError), activeBans: c.activeBans, streamLength: c.streamLength };
    } catch (e) {
      return { ok: false, stage: 'read', message: clientError(e) };
    }
  } finally {
    await bus.stop();
  }
}
