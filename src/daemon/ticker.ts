// The service's heartbeat: calls `tick` every `everyMs` of real time. What a tick does is decided
// from the injected clock (Service.tick), so tests call tick() themselves instead of waiting.

export interface Ticker {
  stop(): void;
}

export function startTicker(tick: () => Promise<void>, everyMs: number, onError: (e: unknown) => void): Ticker {
  const t = setInterval(() => void tick().catch(onError), everyMs);
  return { stop: () => clearInterval(t) };
}
