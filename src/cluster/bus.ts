// The port between the fleet logic and Redis. RedisBus (redis-bus.ts) is the only file that knows
// the client library; MemoryBus (test/fakes/memory-bus.ts) is its twin for unit tests. Everything a
// bus returns is attacker input (another node, or whoever can write to Redis): raw fields, decoded
// and checked by the caller.

/** One stream entry as Redis returns it: its ID and its raw field list. */
export interface RawStreamEntry {
  readonly id: string;
  readonly fields: readonly string[];
}

/** The active shared bans and the stream position they are current at, read in one transaction. */
export interface Snapshot {
  /** The last entry of the stream when the set was read ('0-0' for an empty stream). */
  readonly lastId: string;
  /** One raw record per active ban (the wire fields, as JSON text). */
  readonly bans: readonly string[];
}

export type BusState = 'connecting' | 'connected' | 'disconnected';

export interface PublishItem {
  /** The wire fields of the stream entry. */
  readonly fields: Readonly<Record<string, string>>;
  /** The active-set change: a ban is added with its end (null permanent), an unban removed. */
  readonly key: string;
  readonly until: number | null;
  readonly op: 'ban' | 'unban';
}

/** A node whose heartbeat (every 10 s) falls within this window counts as seen: in `status` and
 *  in `voipguard doctor`. */
export const SEEN_MS = 60_000;

export interface ClusterBus {
  /** Connects (and keeps reconnecting with backoff); `onState` hears every change. */
  start(onState: (s: BusState, err?: Error) => void): void;
  state(): BusState;
  /** Appends the items to the stream (approximate MAXLEN) and updates the active set, in one round trip. Rejects when Redis is not there. */
  publish(items: readonly PublishItem[]): Promise<void>;
  /** Entries after `afterId`, at most `count`, waiting up to `blockMs` for the first one. */
  read(afterId: string, count: number, blockMs: number): Promise<RawStreamEntry[]>;
  /** The ID of the oldest entry still in the stream (null: no stream). */
  firstId(): Promise<string | null>;
  /** The active set with the stream's last ID, atomically; expired entries are dropped from Redis first. */
  snapshot(now: number): Promise<Snapshot>;
  /** Says this node is alive, and returns the nodes seen since `since`. */
  heartbeat(node: string, now: number, since: number): Promise<string[]>;
  stop(): Promise<void>;
}
