// `voipguard daemon [-c DIR] [--dry-run] [-f] [--flush]`: the service, in the foreground
// (systemd runs it so; -f is accepted for fail2ban-server's habit). Logs go to the config's
// logtarget; config errors are printed here first, with file, section and key.

import { VoipguardError } from '../core/errors.js';
import { DEFAULT_CONFIG_DIR } from '../core/paths.js';
import { scanArgs, type ArgOptions } from './args.js';
import type { CliIo } from './io.js';
import { V8HeapPolicy } from './v8-heap-policy.js';

export const DAEMON_HELP = `Usage: voipguard daemon [-c DIR] [-s SOCKET] [-p PIDFILE] [--dry-run] [--flush] [-f]

Runs the service in the foreground until SIGTERM (systemd: voipguard.service).
  -c DIR, --conf DIR   config directory (default /etc/voipguard)
  -s SOCKET            control socket path, over the config's \`socket\` (fail2ban-server's -s)
  -p PIDFILE           pid file path, over the config's \`pidfile\` (fail2ban-server's -p)
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
  readonly socket?: string;
  readonly pidfile?: string;
}

const DAEMON_OPTIONS: ArgOptions = {
  conf: { type: 'string', short: 'c' },
  socket: { type: 'string', short: 's' },
  pidfile: { type: 'string', short: 'p' },
  'dry-run': { type: 'boolean' },
  'keep-rules': { type: 'boolean' },
  flush: { type: 'boolean' },
  foreground: { type: 'boolean', short: 'f' },
  help: { type: 'boolean', short: 'h' },
};

export function parseDaemonArgs(argv: readonly string[]): DaemonArgs {
  let configDir = DEFAULT_CONFIG_DIR;
  let dryRun = false;
  let keepRules = true;
  let help = false;
  const paths: { socket?: string; pidfile?: string } = {};
  const refuse = (a: string) => new VoipguardError('VG_USAGE', `daemon does not take ${a}; see \`voipguard daemon -h\``);
  const tokens = scanArgs(argv, DAEMON_OPTIONS, {
    needsValue: (a) => new VoipguardError('VG_USAGE', `${a} needs a ${/^-(c|-conf)/.test(a) ? 'directory' : 'path'}`),
    takesNoValue: refuse,
  });
  for (const t of tokens) {
    if (t.kind === 'positional') throw refuse(t.value);
    if (t.kind === 'unknown') throw refuse(t.rawName);
    if (t.name === 'conf') configDir = t.value!;
    else if (t.name === 'socket' || t.name === 'pidfile') paths[t.name] = t.value!;
    else if (t.name === 'dry-run') dryRun = true;
    else if (t.name === 'keep-rules') keepRules = true;
    else if (t.name === 'flush') keepRules = false;
    else if (t.name === 'help') help = true;
    // --foreground: accepted, always so
  }
  return { configDir, dryRun, keepRules, help, ...paths };
}

export async function runDaemon(argv: string[], io: CliIo): Promise<number> {
  const args = parseDaemonArgs(argv);
  if (args.help) {
    io.out(DAEMON_HELP);
    return 0;
  }
  const { startDaemon } = await import('../app.js');
  return startDaemon({
    // V8's memory-saving heap policy once ready, relaxed while a fleet catch-up runs (core/heap-policy.ts)
    heap: new V8HeapPolicy(),
    configDir: args.configDir,
    dryRun: args.dryRun,
    keepRules: args.keepRules,
    tty: io.isTTY,
    err: (s) => io.err(s),
    ...(args.socket !== undefined ? { socket: args.socket } : {}),
    ...(args.pidfile !== undefined ? { pidfile: args.pidfile } : {}),
  });
}
