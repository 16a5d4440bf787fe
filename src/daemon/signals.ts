// Signals as fail2ban and systemd use them: SIGTERM/SIGINT stop gracefully, SIGHUP reloads the
// config, SIGUSR1 reopens the log file (logrotate). A second SIGTERM/SIGINT while stopping is
// logged and ignored: the stop in progress saves state and must not be cut short.

export interface SignalHandlers {
  readonly stop: (signal: string) => void;
  readonly reload: () => void;
  readonly reopenLog: () => void;
}

type SignalTarget = Pick<NodeJS.Process, 'on' | 'off'>;

/** Installs the handlers; returns a function that removes them. */
export function installSignals(proc: SignalTarget, h: SignalHandlers): () => void {
  const table: [NodeJS.Signals, () => void][] = [
    ['SIGTERM', () => h.stop('SIGTERM')],
    ['SIGINT', () => h.stop('SIGINT')],
    ['SIGHUP', h.reload],
    ['SIGUSR1', h.reopenLog],
  ];
  for (const [sig, fn] of table) proc.on(sig, fn);
  return () => {
    for (const [sig, fn] of table) proc.off(sig, fn);
  };
}
