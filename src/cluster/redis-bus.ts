// The Redis side of the fleet, on ioredis (docs/cluster.md, "Why ioredis"). The only file that
// imports the client. Two connections: one for commands (publish, snapshot, heartbeat), one for the
// blocking stream read, so a read waiting for news never holds a publish back. Neither queues
// commands while disconnected (enableOfflineQueue off): a call fails at once and the caller retries
// with its own backoff, so nothing piles up unseen inside the client.
//
// Keys, under the configured prefix: `<p>:stream` (the entries), `<p>:bans` (hash: `jail ip` → the
// ban's wire fields as JSON), `<p>:ends` (sorted set: `jail ip` scored by its end, +inf permanent),
// `<p>:nodes` (sorted set: node scored by its last heartbeat).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Redis, RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config/cluster-schema.js';
import { backoffDelay, DEFAULT_BACKOFF } from '../core/backoff.js';
import { GuardedConnector } from './redis-connector.js';
import type { BusState, ClusterBus, PublishItem, RawStreamEntry, Snapshot } from './bus.js';
import { packEntry, PACKED_FIELD } from './wire.js';

export interface RedisBusOptions {
  readonly target: RedisTarget;
  /** From redis.password or redis.passwordfile (a password in the URL is used when neither is set). */
  readonly password: string | null;
  readonly prefix: string;
  /** Approximate length the stream is trimmed to on every append. */
  readonly maxLen: number;
  /** rediss://: the PEM text of the CA to trust (null: the system CAs). */
  readonly ca: string | null;
  /** A command that takes longer fails (slow Redis): the publisher retries it later. */
  readonly commandTimeoutMs: number;
  /** Told once when Redis refuses the script that appends a batch (see APPEND_SCRIPT): publishing goes on one XADD per entry. */
  readonly onScriptRefused?: (err: Error) => void;
}

export const DEFAULT_STREAM_MAXLEN = 200_000;
/** Active-set entries per HSCAN page of a snapshot. */
const SNAPSHOT_PAGE = 5_000;

/**
 * Appends a batch to the stream in one command: KEYS[1] the stream, ARGV[1] MAXLEN, ARGV[2] the
 * field name, then one packed record per entry. One XADD per entry costs the publishing node about
 * twice the CPU (ioredis builds, writes and answers each one: docs/cluster.md, sixteenth session).
 * It needs EVAL in the node's ACL; without it, RedisBus goes back to one XADD per entry.
 */
const APPEND_SCRIPT = "for i = 3, #ARGV do redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', ARGV[2], ARGV[i]) end return #ARGV - 2";

let RedisClass: typeof Redis | null = null;

/**
 * ioredis, loaded when a bus is made rather than with the daemon: its modules were the largest part
 * of the start of a daemon without [cluster] (docs/flood.md).
 */
function loadRedis(): typeof Redis {
  return (RedisClass ??= (createRequire(import.meta.url)('ioredis') as typeof import('ioredis')).Redis);
}

export class RedisBus implements ClusterBus {
  private readonly cmd: Redis;
  private readonly reader: Redis;
  private current: BusState = 'connecting';
  /** Batches go to the stream through APPEND_SCRIPT until Redis refuses it once. */
  private scripted = true;
  private readonly keys: { stream: string; bans: string; ends: string; nodes: string };

  constructor(private readonly opts: RedisBusOptions) {
    const p = opts.prefix;
    this.keys = { stream: `${p}:stream`, bans: `${p}:bans`, ends: `${p}:ends`, nodes: `${p}:nodes` };
    const Redis = loadRedis();
    this.cmd = new Redis(clientOptions(opts, opts.commandTimeoutMs));
    // the blocking read waits up to its BLOCK time on top of the usual answer time
    this.reader = new Redis(clientOptions(opts, opts.commandTimeoutMs + 5_000));
  }

  start(onState: (s: BusState, err?: Error) => void): void {
    let lastErr: Error | undefined;
    const update = (): void => {
      const both = this.cmd.status === 'ready' && this.reader.status === 'ready';
      const next: BusState = both ? 'connected' : this.cmd.status === 'end' ? 'disconnected' : this.current === 'connected' ? 'disconnected' : this.current;
      if (next !== this.current) {
        this.current = next;
        onState(next, next === 'connected' ? undefined : lastErr);
      }
    };
    for (const c of [this.cmd, this.reader]) {
      c.on('ready', update);
      c.on('close', update);
      c.on('end', update);
      c.on('error', (e: Error) => {
        lastErr = e;
        if (this.current === 'connecting') {
          this.current = 'disconnected';
          onState('disconnected', e);
        }
      });
      void c.connect().catch(() => undefined); // failures arrive as 'error' events; ioredis retries
    }
  }

  state(): BusState {
    return this.current;
  }

  async publish(items: readonly PublishItem[]): Promise<void> {
    if (!this.scripted) return this.append(items, false);
    try {
      await this.append(items, true);
    } catch (e) {
      if (!refusedScript(e)) throw e;
      // the transaction was discarded whole (EXECABORT): nothing of this batch is in Redis yet
      this.scripted = false;
      this.opts.onScriptRefused?.(e as Error);
      await this.append(items, false);
    }
  }

  /** One transaction: the entries appended to the stream (by the script, or one XADD each), then the active set. */
  private async append(items: readonly PublishItem[], scripted: boolean): Promise<void> {
    const k = this.keys;
    const m = this.cmd.multi();
    // the stream gets every entry, in order; the active set only each key's last state in the
    // batch, in one HSET and one ZADD (and one HDEL, ZREM): a catch-up of 10,000 news was 30,000
    // commands, now about 10,000
    // the entry's record packed as JSON (wire.ts, PACKED_FIELD), the same text as its active-set value
    const last = new Map<string, { readonly it: PublishItem; readonly json: string }>();
    const maxLen = String(this.opts.maxLen);
    const records: string[] = [];
    for (const it of items) {
      const json = JSON.stringify(it.fields);
      if (scripted) records.push(json);
      else m.call('XADD', k.stream, 'MAXLEN', '~', maxLen, '*', ...packEntry(json));
      last.delete(it.key);
      last.set(it.key, { it, json });
    }
    if (records.length) m.call('EVAL', APPEND_SCRIPT, '1', k.stream, maxLen, PACKED_FIELD, ...records);
    const set: string[] = [];
    const ends: string[] = [];
    const gone: string[] = [];
    for (const [key, { it, json }] of last) {
      if (it.op === 'ban') {
        set.push(key, json);
        ends.push(it.until === null ? '+inf' : String(it.until), key);
      } else gone.push(key);
    }
    if (gone.length) m.call('HDEL', k.bans, ...gone).call('ZREM', k.ends, ...gone);
    if (set.length) m.call('HSET', k.bans, ...set).call('ZADD', k.ends, ...ends);
    const res = await m.exec();
    const failed = res?.find(([e]) => e !== null);
    if (res === null) throw new Error('the transaction was aborted');
    if (failed) throw failed[0] as Error;
  }

  async read(afterId: string, count: number, blockMs: number): Promise<RawStreamEntry[]> {
    const res = await this.reader.call('XREAD', 'COUNT', String(count), 'BLOCK', String(blockMs), 'STREAMS', this.keys.stream, afterId);
    return streamEntries(res);
  }

  async firstId(): Promise<string | null> {
    const res = await this.cmd.call('XRANGE', this.keys.stream, '-', '+', 'COUNT', '1');
    return streamEntries([[this.keys.stream, res]])[0]?.id ?? null;
  }

  async snapshot(now: number): Promise<Snapshot> {
    const k = this.keys;
    // expired bans leave the set first, so a new node never loads what has already ended
    const gone = await this.cmd.call('ZRANGEBYSCORE', k.ends, '-inf', `(${now}`, 'LIMIT', '0', '100000');
    if (Array.isArray(gone) && gone.length) {
      const names = gone.filter((x): x is string => typeof x === 'string');
      await this.cmd
        .multi()
        .call('HDEL', k.bans, ...names)
        .call('ZREM', k.ends, ...names)
        .exec();
    }
    // the stream's last ID first, then the set in HSCAN pages: one HVALS of 100,000 bans outlasted
    // the command timeout on a Redis busy with the other nodes' reads (bench:cluster), and the
    // node started without them. A ban or unban published during the scan is after lastId: the
    // stream replays it (a ban already made is no new decision), so the pages need not be atomic
    const last = await this.cmd.call('XREVRANGE', k.stream, '+', '-', 'COUNT', '1');
    const lastId = streamEntries([[k.stream, last]])[0]?.id ?? '0-0';
    const bans = new Map<string, string>(); // HSCAN may return a field twice
    let cursor = '0';
    do {
      const page = await this.cmd.call('HSCAN', k.bans, cursor, 'COUNT', String(SNAPSHOT_PAGE));
      if (!Array.isArray(page) || typeof page[0] !== 'string' || !Array.isArray(page[1])) throw new Error('HSCAN answered an unexpected shape');
      cursor = page[0];
      const flat = page[1] as unknown[];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const f = flat[i];
        const v = flat[i + 1];
        if (typeof f === 'string' && typeof v === 'string') bans.set(f, v);
      }
    } while (cursor !== '0');
    return { lastId, bans: [...bans.values()] };
  }

  async heartbeat(node: string, now: number, since: number): Promise<string[]> {
    const k = this.keys.nodes;
    const res = await this.cmd
      .multi()
      .call('ZADD', k, String(now), node)
      .call('ZREMRANGEBYSCORE', k, '-inf', `(${now - 86_400_000}`)
      .call('ZRANGEBYSCORE', k, String(since), '+inf')
      .exec();
    return strings(res?.[2]?.[1]);
  }

  /** What the fleet looks like, read only (`voipguard doctor`): the nodes seen since `since`, the
   *  active shared bans and the stream's length. Writes nothing, not even a heartbeat. */
  async census(since: number): Promise<{ readonly nodes: string[]; readonly activeBans: number; readonly streamLength: number }> {
    const k = this.keys;
    const res = await this.cmd.multi().call('ZRANGEBYSCORE', k.nodes, String(since), '+inf').call('HLEN', k.bans).call('XLEN', k.stream).exec();
    return {
      nodes: strings(res?.[0]?.[1]),
      activeBans: Number(res?.[1]?.[1] ?? 0),
      streamLength: Number(res?.[2]?.[1] ?? 0),
    };
  }

  async stop(): Promise<void> {
    this.reader.disconnect();
    try {
      await this.cmd.quit();
    } catch {
      this.cmd.disconnect();
    }
  }
}

/**
 * The longest wait between two reconnect attempts to Redis (350 to 500 ms with the jitter). After
 * an outage, each node notices Redis is back within this, and the fleet converges only once the
 * publishing node and the others have reconnected: at 2 s, that wait was about 1 s of the
 * convergence on average (bench:cluster, section 3; docs/cluster.md, eleventh session). Two connect
 * attempts a second per node are no load for a Redis, down or coming back.
 */
export const REDIS_RECONNECT_CAP_MS = 500;

/**
 * While Redis loads its data after a restart (the AOF of a fleet holding 100,000 bans: about a
 * second), it takes connections and answers the client's ready check with `loading:1`. ioredis
 * then waits the server's `loading_eta_seconds` (1 s when there is none; by default up to 10 s) before asking
 * again: one node of the fleet connected 7.2 s after Redis returned, the others within 0.7 to 3.2 s
 * (docs/cluster.md, thirteenth session). It asks again every this many ms instead.
 */
export const REDIS_LOADING_RECHECK_MS = 200;

/** ioredis' retryStrategy: the wait before reconnect attempt `times` (1 = the first). */
export function reconnectDelay(times: number, rng: () => number): number {
  return backoffDelay(times - 1, { ...DEFAULT_BACKOFF, capMs: REDIS_RECONNECT_CAP_MS }, rng);
}

function clientOptions(opts: RedisBusOptions, commandTimeout: number): RedisOptions {
  const t = opts.target;
  const password = opts.password ?? t.password ?? undefined;
  const common: RedisOptions = {
    lazyConnect: true,
    Connector: GuardedConnector,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 5_000,
    commandTimeout,
    db: t.db,
    ...(password !== undefined ? { password } : {}),
    ...(t.username ? { username: t.username } : {}),
    // reconnect attempts at most REDIS_RECONNECT_CAP_MS apart: a node catches up soon after Redis
    // returns (the fleet's target: converged within 5 s)
    retryStrategy: (times: number) => reconnectDelay(times, Math.random),
    maxLoadingRetryTime: REDIS_LOADING_RECHECK_MS,
    // AUTH answers that fail (a wrong password) keep being retried: the operator may fix Redis' side
    reconnectOnError: () => false,
  };
  if (t.kind === 'unix') return { ...common, path: t.path };
  return { ...common, host: t.host, port: t.port, ...(t.tls ? { tls: opts.ca !== null ? { ca: opts.ca } : {} } : {}) };
}

/**
 * Redis refused the append script: the user's ACL lacks EVAL (NOPERM), or scripting is renamed away
 * (unknown command). In a transaction the refusal comes at queue time, and EXEC then discards the
 * whole transaction (EXECABORT, the refusal among its previous errors).
 */
function refusedScript(e: unknown): boolean {
  const errs = [e, ...((e as { previousErrors?: unknown[] } | null)?.previousErrors ?? [])];
  return errs.some((x) => x instanceof Error && /^(NOPERM|ERR unknown command)/.test(x.message) && /eval/i.test(x.message));
}

/** XREAD's `[[key, [[id, [k, v…]]…]]]` (or XRANGE's list in its place), checked piece by piece. */
function streamEntries(res: unknown): RawStreamEntry[] {
  if (!Array.isArray(res)) return [];
  // RESP3 answers XREAD with a map, which the client hands over flat: [key, items, key, items…]
  const streams: unknown[] = typeof res[0] === 'string' ? pairs(res) : res;
  const out: RawStreamEntry[] = [];
  for (const stream of streams) {
    const items: unknown = Array.isArray(stream) ? stream[1] : null;
    if (!Array.isArray(items)) continue;
    for (const it of items) {
      if (!Array.isArray(it) || typeof it[0] !== 'string') continue;
      const fields = strings(it[1]);
      out.push({ id: it[0], fields });
    }
  }
  return out;
}

function pairs(flat: readonly unknown[]): unknown[][] {
  const out: unknown[][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

/** The strings of a reply that should be a list of them (anything else: none). */
function strings(reply: unknown): string[] {
  return Array.isArray(reply) ? reply.filter((x): x is string => typeof x === 'string') : [];
}

/** The password from redis.passwordfile (first line, trimmed). Throws with the path in the message. */
function readPasswordFile(path: string): string {
  return readFileSync(path, 'utf8').split('\n')[0]!.trim();
}

/** The secret and the CA a node uses, from [cluster]: redis.passwordfile read (else redis.password,
 *  or null: the URL's), redis.cafile read (else null: the system CAs). Throws when a file cannot be read. */
export function readClusterSecrets(cfg: { readonly password: string | null; readonly passwordfile: string | null; readonly cafile: string | null }): {
  readonly password: string | null;
  readonly ca: string | null;
} {
  return {
    password: cfg.passwordfile !== null ? readPasswordFile(cfg.passwordfile) : cfg.password,
    ca: cfg.cafile !== null ? readFileSync(cfg.cafile, 'utf8') : null,
  };
}
