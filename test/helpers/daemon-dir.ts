// A config dir for a daemon started in the test's own process (startDaemon, --dry-run): the shipped
// jail.conf and voipguard.conf, a [Definition] pointing the log, socket, pidfile and database into
// the dir, an empty security log, and `jail.local` enabling the asterisk jail on it.

import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';

export interface DaemonDir {
  readonly dir: string;
  readonly socket: string;
  readonly log: string;
  /** The daemon's own log file. */
  readonly daemonLog: string;
  /** The [Definition] section; voipguard.local is this plus `more`. */
  readonly definition: string;
}

/** `more`: sections after [Definition] in voipguard.local; `maxretry`: the asterisk jail's. */
export function daemonDir(prefix: string, more = '', maxretry = 3): DaemonDir {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const socket = join(dir, 'run', 'vg.sock');
  const log = join(dir, 'asterisk', 'security.log');
  const daemonLog = join(dir, 'vg.log');
  copyFileSync(join(packageRoot(), 'jail.conf'), join(dir, 'jail.conf'));
  copyFileSync(join(packageRoot(), 'voipguard.conf'), join(dir, 'voipguard.conf'));
  mkdirSync(join(dir, 'asterisk'));
  writeFileSync(log, '');
  const definition = `[Definition]\nlogtarget = ${daemonLog}\nsocket = ${socket}\npidfile = ${join(dir, 'run', 'vg.pid')}\ndbfile = ${join(dir, 'vg.sqlite3')}\n`;
  writeFileSync(join(dir, 'voipguard.local'), more ? `${definition}\n${more}` : definition);
  writeFileSync(join(dir, 'jail.local'), `[asterisk]\nenabled = true\nmaxretry = ${maxretry}\nlogpath = ${log}\n`);
  return { dir, socket, log, daemonLog, definition };
}
