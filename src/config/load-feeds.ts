// feed.d/NAME.conf (+ NAME.d/*.conf, NAME.local, NAME.d/*.local) → validated, frozen FeedConfigs, one
// per NAME, read in fail2ban's order with the same dialect reader as the jails. Keys live in
// [Definition]; [DEFAULT] values are seen there too. A feed with an error is left out (its errors are
// reported) and the others load.

import { basename, join } from 'node:path';
import { VoipguardError, type ErrorPlace } from '../core/errors.js';
import { ConfigSet, type ConfigFileReader } from './config-set.js';
import { FEED_FIELDS, FEED_NAME_RE, type FeedConfig } from './feed-schema.js';
import { deepFreeze, readSchema } from './fields.js';
import { parseIni } from './ini-file.js';
import type { Diagnostics } from './load-jails.js';

const KNOWN_SECTIONS = new Set(['Definition', 'DEFAULT']);

export function loadFeeds(dir: string, reader: ConfigFileReader, diag: Diagnostics): FeedConfig[] {
  const feedDir = join(dir, 'feed.d');
  const names = new Set<string>();
  for (const f of reader.list(feedDir) ?? []) {
    const m = /^(.+)\.(conf|local)$/.exec(f);
    if (m) names.add(m[1]!);
  }
  const out: FeedConfig[] = [];
  for (const name of [...names].sort()) {
    const unit = join(feedDir, name);
    const errors: VoipguardError[] = [];
    const feed = readFeed(unit, name, reader, diag, errors);
    if (errors.length > 0 || feed === null) diag.errors.push(...errors);
    else out.push(deepFreeze(feed));
  }
  return out;
}

function readFeed(unit: string, name: string, reader: ConfigFileReader, diag: Diagnostics, errors: VoipguardError[]): FeedConfig | null {
  const files = ConfigSet.unitFiles(unit, reader);
  const first = files[0] ?? `${unit}.conf`;
  if (!FEED_NAME_RE.test(name)) {
    errors.push(
      new VoipguardError('VG_CONFIG_TYPE', `feed name "${basename(unit)}" must be 1 to 20 letters, digits, _ or - (it names the kernel set f2b-feed-NAME)`, {
        file: first,
      }),
    );
    return null;
  }
  let set: ConfigSet;
  try {
    for (const f of files) parseIni(reader.read(f) ?? '', f);
    set = ConfigSet.load(unit, reader);
  } catch (e) {
    if (!(e instanceof VoipguardError)) throw e;
    errors.push(e);
    return null;
  }
  const placeOf = (section: string, key: string): ErrorPlace => {
    const e = set.entry(section, key);
    return e ? { file: e.file, section: e.section, key, line: e.line } : { file: first, section, key };
  };
  for (const section of set.sections()) {
    if (KNOWN_SECTIONS.has(section)) continue;
    errors.push(new VoipguardError('VG_CONFIG_UNKNOWN_KEY', `unknown section [${section}] in a feed (its keys go in [Definition])`, { file: first, section }));
  }
  for (const key of set.ownKeys('Definition')) {
    if (Object.prototype.hasOwnProperty.call(FEED_FIELDS, key)) continue;
    errors.push(
      new VoipguardError('VG_CONFIG_UNKNOWN_KEY', `unknown feed key "${key}" (known: ${Object.keys(FEED_FIELDS).join(', ')})`, placeOf('Definition', key)),
    );
  }
  const lookup = (key: string) => {
    if (set.entry('Definition', key) === undefined) return undefined;
    try {
      return { raw: set.get('Definition', key)!, place: placeOf('Definition', key) };
    } catch (e) {
      if (!(e instanceof VoipguardError)) throw e;
      errors.push(e);
      return undefined;
    }
  };
  const v = readSchema(FEED_FIELDS, lookup, { file: first, section: 'Definition' }, (m) => diag.warn(m), errors);
  if (errors.length > 0) return null;
  const missing = (key: string, message: string) => errors.push(new VoipguardError('VG_CONFIG_MISSING', message, placeOf('Definition', key)));
  if (v.url === null && v.path === null) missing('url', `feed ${name} needs url or file`);
  if (v.url !== null && v.path !== null) errors.push(new VoipguardError('VG_CONFIG_TYPE', 'set url or file, not both', placeOf('Definition', 'file')));
  if (v.format === 'csv-column' && v.column === null) missing('column', 'format = csv-column needs column (a 1-based number or a header name)');
  if (v.format === 'apiban' && v.url === null) missing('url', 'format = apiban needs url (https://apiban.org/api/KEY/banned)');
  if (v.column !== null && v.format !== 'csv-column') diag.warn(`${first} [Definition] column: only format = csv-column reads it`);
  if (errors.length > 0) return null;
  return { name, configFile: first, ...v };
}
