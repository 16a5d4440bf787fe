// Config fixtures as /etc/voipguard: the shipped voipguard.conf and jail.conf from the repository
// root, with a fixture folder (fixtures/config/<name>) laid over them, all read from memory.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { memoryReader, type ConfigFileReader } from '../../src/config/config-set.js';
import { packageRoot } from '../../src/core/paths.js';

export const CONFIG_DIR = '/etc/voipguard';

export function shippedFiles(): Record<string, string> {
  const root = packageRoot();
  const out: Record<string, string> = {};
  for (const f of ['voipguard.conf', 'jail.conf']) out[join(CONFIG_DIR, f)] = readFileSync(join(root, f), 'utf8');
  return out;
}

function walk(dir: string, base: string, out: Record<string, string>): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, base, out);
    else out[join(CONFIG_DIR, relative(base, p))] = readFileSync(p, 'utf8');
  }
}

/**
 * The shipped files, a fixture folder over them, then `extra` files (path relative to the dir). A
 * bare name is a folder of fixtures/config; an absolute path is used as it is.
 */
export function fixtureReader(fixture: string | null, extra: Record<string, string> = {}): ConfigFileReader {
  const files = shippedFiles();
  if (fixture !== null) {
    const dir = isAbsolute(fixture) ? fixture : join(packageRoot(), 'fixtures', 'config', fixture);
    walk(dir, dir, files);
  }
  for (const [k, v] of Object.entries(extra)) files[join(CONFIG_DIR, k)] = v;
  return memoryReader(files);
}
