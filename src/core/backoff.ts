// Retry schedules (AMI reconnects, journalctl restarts, firewall and notification retries), shaped
// for the AMI reconnect. asterisk-manager waits a flat 10 s before the first retry (events are
// lost meanwhile) and then grows linearly without jitter; we retry almost at once (Asterisk restarts
// are quick), then back off exponentially to a cap, with jitter so that several guards do not hammer
// one Asterisk in step.

export interface BackoffOptions {
  /** Delay before the first retry after a working connection drops. */
  readonly firstMs: number;
  /** Delay of the second retry; each later one multiplies by `factor`. */
  readonly baseMs: number;
  readonly factor: number;
  readonly capMs: number;
  /** 0..1: the delay is drawn from [d·(1−jitter), d]. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({
  firstMs: 200,
  baseMs: 1000,
  factor: 2,
  capMs: 60_000,
  jitter: 0.3,
});

/**
 * Delay before retry number `attempt` (0 = the first retry after a failure). `rng` returns [0, 1)
 * and is injected so tests know the schedule exactly.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, rng: () => number): number {
  const nominal = attempt <= 0 ? opts.firstMs : Math.min(opts.capMs, opts.baseMs * Math.pow(opts.factor, attempt - 1));
  const j = Math.min(1, Math.max(0, opts.jitter));
  const r = Math.min(1, Math.max(0, rng()));
  return Math.max(0, Math.round(nominal * (1 - j * r)));
}
