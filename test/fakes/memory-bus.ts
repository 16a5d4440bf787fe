// The in-memory twin of RedisBus: one shared MemoryRedis (a stream, the active hash with its ends,
// the node heartbeats) and a bus per node on it. `down()` makes every call fail as a dead Redis
// would; `inject()` writes raw fields to the stream, as anyone with Redis' password could.

import type { BusState, ClusterBus, PublishItem, RawStreamEntry, Snapshot } from '../../src/cluster/bus.js';
import { compareIds } from '../../src/cluster/wire.js';

export class MemoryRedis {
  stream: RawStreamEntry[] = [];
  readonly bans = new Map<string, string>();
  readonly ends = new Map<string, number>();
  readonly nodes = new Map<string, number>();
  private seq = 0;
  private ms = 1_000;
  up = true;
  readonly buses = new Set<MemoryBus>();
  private readonly waiters = new Set<() => void>();

  nextId(): string {
    return `${this.ms}-${this.seq++}`;
  }

  /** Appends raw fields (forged entries included). */
  inject(fields: readonly string[]): string {
    const id = this.nextId();
    this.stream.push({ id, fields: [...fields] });
    for (const w of [...this.waiters]) w();
    return id;
  }

  /** Drops all but the last `keep` entries (MAXLEN). */
  trim(keep: number): void {
    this.stream = this.stream.slice(Math.max(0, this.stream.length - keep));
  }

  /** `err`: what each bus tells its node, as a real client's error would. */
  down(err?: Error): void {
    this.up = false;
    for (const b of this.buses) b.setState('disconnected', err);
    for (const w of [...this.waiters]) w();
  }

  restore(): void {
    this.up = true;
    for (const b of this.buses) b.setState('connected');
  }

  wakeAll(): void {
    for (const w of [...this.waiters]) w();
  }

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }
}

export class MemoryBus implements ClusterBus {
  private current: BusState = 'connecting';
  private listener: (s: BusState, err?: Error) => void = () => undefined;
  publishCalls = 0;

  constructor(readonly redis: MemoryRedis) {}

  start(onState: (s: BusState, err?: Error) => void): void {
    this.listener = onState;
    this.redis.buses.add(this);
    queueMicrotask(() => this.setState(this.redis.up ? 'connected' : 'disconnected'));
  }

  setState(s: BusState, err?: Error): void {
    if (s === this.current) return;
    this.current = s;
    this.listener(s, err);
  }

  state(): BusState {
    return this.current;
  }

  private check(): void {
    if (!this.redis.up || this.current === 'connecting') throw new Error('Connection is closed.');
  }

  async publish(items: readonly PublishItem[]): Promise<void> {
    this.publishCalls++;
    await null;
    this.check();
    for (const it of items) {
      this.redis.inject(Object.entries(it.fields).flat());
      if (it.op === 'ban') {
        this.redis.bans.set(it.key, JSON.stringify(it.fields));
        this.redis.ends.set(it.key, it.until ?? Infinity);
      } else {
        this.redis.bans.delete(it.key);
        this.redis.ends.delete(it.key);
      }
    }
  }

  async read(afterId: string, count: number, blockMs: number): Promise<RawStreamEntry[]> {
    this.check();
    const after = (): RawStreamEntry[] => this.redis.stream.filter((e) => compareIds(e.id, afterId) > 0).slice(0, count);
    let out = after();
    if (out.length === 0) {
      await this.redis.wait(blockMs);
      this.check();
      out = after();
    }
    return out;
  }

  async firstId(): Promise<string | null> {
    this.check();
    return this.redis.stream[0]?.id ?? null;
  }

  async snapshot(now: number): Promise<Snapshot> {
    this.check();
    for (const [k, end] of this.redis.ends) {
      if (end < now) {
        this.redis.ends.delete(k);
        this.redis.bans.delete(k);
      }
    }
    return { lastId: this.redis.stream[this.redis.stream.length - 1]?.id ?? '0-0', bans: [...this.redis.bans.values()] };
  }

  async heartbeat(node: string, now: number, since: number): Promise<string[]> {
    this.check();
    this.redis.nodes.set(node, now);
    return [...this.redis.nodes].filter(([, t]) => t >= since).map(([n]) => n);
  }

  async stop(): Promise<void> {
    this.redis.buses.delete(this);
    this.current = 'disconnected';
    this.redis.wakeAll();
  }
}
