// The bus of a fleet that is configured but cannot run: [cluster] is on and a file it names
// (redis.passwordfile, redis.cafile) could not be read at start. It never connects and says why,
// so `voipguard status` shows the node NOT connected with that reason, instead of no fleet at all;
// every call fails with the same error, and the node bans on its own as with Redis away.

import type { BusState, ClusterBus, PublishItem, RawStreamEntry, Snapshot } from './bus.js';

export class UnusableBus implements ClusterBus {
  constructor(private readonly why: Error) {}

  start(onState: (s: BusState, err?: Error) => void): void {
    queueMicrotask(() => onState('disconnected', this.why));
  }

  state(): BusState {
    return 'disconnected';
  }

  publish(_items: readonly PublishItem[]): Promise<void> {
    return Promise.reject(this.why);
  }

  read(_afterId: string, _count: number, _blockMs: number): Promise<RawStreamEntry[]> {
    return Promise.reject(this.why);
  }

  firstId(): Promise<string | null> {
    return Promise.reject(this.why);
  }

  snapshot(_now: number): Promise<Snapshot> {
    return Promise.reject(this.why);
  }

  heartbeat(_node: string, _now: number, _since: number): Promise<string[]> {
    return Promise.reject(this.why);
  }

  async stop(): Promise<void> {}
}
