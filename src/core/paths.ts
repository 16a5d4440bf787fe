// Where voipguard's shipped files (filter.d, action.d, asterisk/, jail.conf) live: the package root,
// found from this module's own location, so it works from src/ under tsx and from dist/src/ once built.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
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

/** Config dirs to search for filter.d/action.d entries: the user's dir first, then the shipped one. */
export function searchDirs(configDir: string): string[] {
  const shipped = packageRoot();
  return configDir === shipped ? [configDir] : [configDir, shipped];
}
