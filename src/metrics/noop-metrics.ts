// The twin for tests and tools (`voipguard regex`) that run stages without exporting anything.

import type { Metrics } from './metrics.js';

const nothing = (): void => {};

export class NoopMetrics implements Metrics {
  linesRead = nothing;
  candidateLines = nothing;
  failure = nothing;
  signalSeen = nothing;
  attemptCounted = nothing;
  ban = nothing;
  unban = nothing;
  activeBans = nothing;
  firewallCommand = nothing;
  pendingBans = nothing;
  amiState = nothing;
  amiInUse = nothing;
  jailStarted = nothing;
  jailStopped = nothing;
  amiReconnect = nothing;
  timestampClamped = nothing;
  guardNotice = nothing;
  banInKernel = nothing;
  notification = nothing;
}
