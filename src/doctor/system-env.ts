// The doctor's real side effects: disk, commands (argv through execa, never a shell), the host's
// network interfaces, one AMI login, one read of the fleet's Redis, and a write probe of the database. Tests use fakes instead.

import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { hostname, networkInterfaces } from 'node:os';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { diskReader } from '../config/config-set.js';
import type { Clock } from '../core/clock.js';
import { probeAmiLogin } from './ami-login-probe.js';
import { probeCluster } from '../cluster/cluster-probe.js';
import { ExecaRunner } from '../exec/execa-runner.js';
import type { DatabaseProbe, DoctorEnv, FileAccess } from './doctor-types.js';
import { readsWithCaps } from './unit-caps.js';

export function systemDoctorEnv(clock: Clock): DoctorEnv {
  const runner = new ExecaRunner({ timeoutMs: 10_000 });
  return {
    reader: diskReader,
    fileAccess,
    readsAsService: (path) => readsWithCaps(runner, path),
    runner,
    networkInterfaces: () => networkInterfaces(),
    hostname: () => hostname(),
    now: () => clock.now(),
    amiLogin: probeAmiLogin,
    clusterProbe: (cfg, timeoutMs) => probeCluster(cfg, timeoutMs, clock.now()),
    probeDatabase: async (path) => probeDatabase(path),
  };
}

export function fileAccess(path: string): FileAccess {
  try {
    if (!statSync(path).isFile()) return 'not-a-file';
    accessSync(path, constants.R_OK);
    return 'readable';
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'unreadable';
  }
}

/**
 * Opens an existing database and takes (then drops) a write lock. For a new one, checks that the
 * nearest existing directory on its path is writable (voipguard or systemd creates the rest).
 */
export function probeDatabase(path: string): DatabaseProbe {
  try {
    if (!existsSync(path)) {
      let dir = dirname(path);
      while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
      if (!statSync(dir).isDirectory()) return { ok: false, message: `${dir} is not a directory` };
      accessSync(dir, constants.W_OK);
      return { ok: true };
    }
    const db = new Database(path, { fileMustExist: true, timeout: 2000 });
    let bans: Record<string, number> | undefined;
    try {
      db.exec('BEGIN IMMEDIATE');
      db.exec('ROLLBACK');
      const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'bans'").get();
      if (table !== undefined) {
        bans = {};
        for (const r of db.prepare('SELECT jail, COUNT(*) AS n FROM bans GROUP BY jail').all() as { jail: string; n: number }[]) bans[r.jail] = r.n;
      }
    } finally {
      db.close();
    }
    return bans === undefined ? { ok: true } : { ok: true, bans };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}
