// Where voipguard's shipped files (filter.d, action.d, asterisk/, jail.conf) live: the package root,
// found from this module's own location, so it works from src/ under tsx and from dist/src/ once built.

import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function packageRoot(): string {
  if (cached !== undefined) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'voipguard') return (cached = dir);
      } catch {
        /* keep walking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('voipguard package root not found');
    dir = up;
  }
}

export const DEFAULT_CONFIG_DIR = '/etc/voipguard';

/**
 * For a shipped file that another shipped file includes, the user's .local of the same name in the
 * config dir (shipped filter.d/asterisk-common.conf → /etc/voipguard/filter.d/asterisk-common.local),
 * as fail2ban reads it where both live in one dir.
 */
export function userLocalsFor(configDir: string): (included: string) => string[] {
  const shipped = packageRoot();
  if (resolve(configDir) === shipped) return () => [];
  return (included) => {
    const rel = relative(shipped, resolve(included));
    if (rel.startsWith('..') || isAbsolute(rel) || !rel.endsWith('.conf')) return [];
    return [join(configDir, rel.slice(0, -'.conf'.length) + '.local')];
  };
}

/** Config dirs to search for filter.d/action.d entries: the user's dir first, then the shipped one. */
export function searchDirs(configDir: string): string[] {
  const shipped = packageRoot();
  return configDir === shipped ? [configDir] : [configDir, shipped];
}

/**
 * For an included filter.d/action.d .conf missing beside the file that includes it (a user's
 * filter with `before = common.conf` in /etc/voipguard/filter.d, or in /etc/fail2ban/filter.d), the
 * shipped file of that name, as fail2ban finds it in its one folder.
 */
export function shippedInclude(missing: string): string | null {
  const kind = basename(dirname(missing));
  if (kind !== 'filter.d' && kind !== 'action.d') return null;
  const shipped = join(packageRoot(), kind, basename(missing));
  return resolve(shipped) === resolve(missing) ? null : shipped;
}
