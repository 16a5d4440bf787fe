// Jail logpaths may be globs (`/var/log/asterisk/messages*`), as in fail2ban. The doctor needs to
// know whether a file Asterisk writes is covered by a jail, and which files a logpath names now.

import { basename, dirname, join } from 'node:path';
import type { ConfigFileReader } from '../config/config-set.js';
import type { DoctorJail } from './doctor-types.js';

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const c of glob) {
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function isGlob(path: string): boolean {
  return /[*?]/.test(path);
}

export function logpathCovers(pattern: string, path: string): boolean {
  return isGlob(pattern) ? globToRegExp(pattern).test(path) : pattern === path;
}

/** Names of the jails reading `path` through their logpath. */
export function jailsReading(jails: readonly DoctorJail[], path: string): string[] {
  return jails.filter((j) => j.logpaths.some((p) => logpathCovers(p, path))).map((j) => j.name);
}

/** The files a logpath names now (a glob in the file name part only, as fail2ban users write them). */
export function expandLogpath(pattern: string, reader: ConfigFileReader): string[] {
  if (!isGlob(pattern)) return [pattern];
  const dir = dirname(pattern);
  if (isGlob(dir)) return [];
  const re = globToRegExp(basename(pattern));
  return (reader.list(dir) ?? []).filter((f) => re.test(f)).map((f) => join(dir, f));
}
