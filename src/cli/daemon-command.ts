// `voipguard daemon [-c DIR] [--dry-run] [-f] [--flush]`: the service, in the foreground
// (systemd runs it so; -f is accepted for fail2ban-server's habit). Logs go to the config's
// logtarget; config errors are printed here first, with file, section and key.

import { VoipguardError } from '../core/errors.js';
import { DEFAULT_CONFIG_DIR } from '../core/paths.js';
import type { CliIo } from './io.js';

export const DAEMON_HELP = `Usage: voipguard daemon [-c DIR] [--dry-run] [--flush] [-f]

Runs the service in the foreground until SIGTERM (systemd: voipguard.service).
  -c DIR, --conf DIR   config directory (default /etc/voipguard)
  --dry-run            memory firewall: decisions are logged, nothing reaches the kernel
  --flush              remove the firewall rules when stopping, as fail2ban does. By default they
                       stay in the kernel so that a restart (or a crash) never lets a banned address
                       through; the next start reconciles them (docs/restart.md). \`voipguard stop
                       --flush\` asks for it at one stop. --keep-rules, the default, is accepted.
  -f, --foreground     accepted for fail2ban compatibility (always in the foreground)
Signals: SIGTERM/SIGINT stop, SIGHUP reloads the config, SIGUSR1 reopens the log file.
`;

export interface DaemonArgs {
  readonly configDir: string;
  readonly dryRun: boolean;
  readonly keepRules: boolean;
  readonly help: boolean;
}

export function parseDaemonArgs(argv: readonly string[]): DaemonArgs {
  let configDir = DEFAULT_CONFIG_DIR;
  let dryRun = false;
  let keepRules = true;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-c' || a === '--conf') {
      const v = argv[++i];
      if (v === undefined) throw new VoipguardError('VG_USAGE', `${a} needs a directory`);
      configDir = v;
    } else if (a === '--dry-run') dryRun = true;
    else if (a === '--keep-rules') keepRules = true;
    else if (a === '--flush') keepRules = false;
    else if (a === '-f' || a === '--foreground') continue;
    else if (a === '-h' || a === '--help') help = true;
    else throw new VoipguardError('VG_USAGE', `daemon does not take ${a}; see \`voipguard daemon -h\``);
  }
  return { configDir, dryRun, keepRules, help };
}

export async function runDaemon(argv: string[], io: CliIo): Promise<number> {
  const args = parseDaemonArgs(argv);
  if (args.help) {
    io.out(DAEMON_HELP);
    return 0;
  }
  const { startDaemon } = await import('../app.js');
  return startDaemon({ configDir: args.configDir, dryRun: args.dryRun, keepRules: args.keepRules, tty: io.isTTY, err: (s) => io.err(s) });
}
