// A config directory laid out like /etc/voipguard (or /etc/fail2ban): voipguard.conf (+ .local,
// voipguard.d/) and jail.conf, jail.d/*.conf, jail.local, jail.d/*.local, read in fail2ban's order.
// Pure checks only: nothing here opens log files, filter.d or action.d (their stages do, after).
// Every error is collected; a broken jail is left out and the others load.

import { join } from 'node:path';
import { VoipguardError } from '../core/errors.js';
import { parseMetricsListen } from './metrics-listen.js';
import { ConfigSet, diskReader, type ConfigFileReader } from './config-set.js';
import { FAIL2BAN_SERVICE_SECTIONS, fail2banOnly } from './fail2ban-keys.js';
import { deepFreeze, describePlace, readSchema, type Schema } from './fields.js';
import type { JailConfig } from './jail-schema.js';
import { parseIni } from './ini-file.js';
import { loadJails, type Diagnostics } from './load-jails.js';
import { loadFeeds } from './load-feeds.js';
import type { FeedConfig } from './feed-schema.js';
import { AMI_FIELDS, DEFINITION_FIELDS, METRICS_FIELDS, SERVICE_SECTIONS, type ServiceConfig } from './service-schema.js';
import { CLUSTER_FIELDS } from './cluster-schema.js';

export type { JailConfig } from './jail-schema.js';
export type { ServiceConfig } from './service-schema.js';

export interface LoadedConfig {
  readonly service: ServiceConfig;
  readonly jails: readonly JailConfig[];
  /** feed.d/*.conf (docs/feeds.md); absent when built by hand (tests). */
  readonly feeds?: readonly FeedConfig[];
  readonly errors: readonly VoipguardError[];
  readonly warnings: readonly string[];
}

export interface LoadConfigOptions {
  readonly reader?: ConfigFileReader;
}

export function loadConfig(dir: string, opts: LoadConfigOptions = {}): LoadedConfig {
  const reader = opts.reader ?? diskReader;
  const errors: VoipguardError[] = [];
  const warnings = new Set<string>();
  const diag: Diagnostics = { errors, warn: (m) => warnings.add(m) };

  const service = loadService(loadUnit(join(dir, 'voipguard'), reader, diag), join(dir, 'voipguard.conf'), diag);
  const jailUnit = join(dir, 'jail');
  const jailSet = loadUnit(jailUnit, reader, diag);
  let jails: JailConfig[] = [];
  if (jailSet === 'absent') {
    errors.push(new VoipguardError('VG_CONFIG_MISSING', `no jail.conf, jail.local or jail.d/*.conf in ${dir}`, { file: `${jailUnit}.conf` }));
  } else if (jailSet !== null) {
    jails = loadJails(jailSet, diag);
  }
  const feeds = loadFeeds(dir, reader, diag);
  for (const f of feeds) {
    for (const j of f.jails)
      if (!jails.some((x) => x.name === j)) warnings.add(`${f.configFile} [Definition] jails: no jail named ${j}; the feed does not follow it`);
  }
  for (const j of jails) {
    if (j.enabled && j.ami && !service.ami.enabled) {
      warnings.add(`[${j.name}] ami = yes, but [ami] enabled = no in voipguard.conf: the jail gets no AMI events`);
    }
  }
  const unique = new Map<string, VoipguardError>();
  for (const e of errors) if (!unique.has(e.describe())) unique.set(e.describe(), e);
  return Object.freeze({
    service: deepFreeze(service),
    jails: Object.freeze(jails),
    feeds: Object.freeze(feeds),
    errors: Object.freeze([...unique.values()]),
    warnings: Object.freeze([...warnings]),
  });
}

/**
 * The layered files of a unit, or 'absent' when there are none, or null when a file cannot be read
 * or parsed. Every file is parsed on its own first, so all syntax errors are reported together.
 */
function loadUnit(unit: string, reader: ConfigFileReader, diag: Diagnostics): ConfigSet | 'absent' | null {
  try {
    const files = ConfigSet.unitFiles(unit, reader);
    if (files.length === 0) return 'absent';
    let ok = true;
    for (const f of files) {
      try {
        parseIni(reader.read(f) ?? '', f);
      } catch (e) {
        if (!(e instanceof VoipguardError)) throw e;
        diag.errors.push(e);
        ok = false;
      }
    }
    return ok ? ConfigSet.load(unit, reader) : null;
  } catch (e) {
    if (!(e instanceof VoipguardError)) throw e;
    diag.errors.push(e);
    return null;
  }
}

function loadService(set: ConfigSet | 'absent' | null, defaultFile: string, diag: Diagnostics): ServiceConfig {
  const have = set !== null && set !== 'absent' ? set : null;
  for (const section of have?.sections() ?? []) {
    const schema: Schema | undefined = (SERVICE_SECTIONS as Record<string, Schema>)[section];
    if (schema !== undefined) {
      checkServiceKeys(have!, section, schema, diag);
    } else if (FAIL2BAN_SERVICE_SECTIONS.has(section)) {
      diag.warn(
        `${describePlace({ file: have!.entry(section, have!.ownKeys(section)[0] ?? '')?.file, section })}: only fail2ban uses this section; voipguard ignores it`,
      );
    } else {
      const first = have!.entry(section, have!.ownKeys(section)[0] ?? '');
      diag.errors.push(
        new VoipguardError('VG_CONFIG_UNKNOWN_KEY', `unknown section [${section}] (known: Definition, ami, metrics, cluster)`, { file: first?.file, section }),
      );
    }
  }
  const read = <S extends Schema>(section: string, schema: S) =>
    readSchema(
      schema,
      (key) => {
        const e = have?.entry(section, key);
        return e && have ? { raw: have.get(section, key)!, place: { file: e.file, section: e.section, key, line: e.line } } : undefined;
      },
      { section },
      (m) => diag.warn(m),
      diag.errors,
    );
  const definition = read('Definition', DEFINITION_FIELDS);
  const ami = read('ami', AMI_FIELDS);
  const metrics = read('metrics', METRICS_FIELDS);
  const cluster = read('cluster', CLUSTER_FIELDS);

  // a missing key is reported where its section (or, failing that, voipguard.conf) is
  const placeOf = (section: string, key: string) => {
    const e = have?.entry(section, key) ?? have?.entry(section, have.ownKeys(section)[0] ?? '');
    return e ? { file: e.file, section, key, ...(e.key === key ? { line: e.line } : {}) } : { file: defaultFile, section, key };
  };
  if (ami.enabled && ami.secret === null && ami.secretfile === null) {
    diag.errors.push(new VoipguardError('VG_CONFIG_MISSING', '[ami] enabled = yes needs secret or secretfile', placeOf('ami', 'secret')));
  }
  if (ami.secret !== null && ami.secretfile !== null) {
    diag.errors.push(new VoipguardError('VG_CONFIG_TYPE', 'set secret or secretfile, not both', placeOf('ami', 'secretfile')));
  }
  if (cluster.password !== null && cluster.passwordfile !== null) {
    diag.errors.push(new VoipguardError('VG_CONFIG_TYPE', 'set redis.password or redis.passwordfile, not both', placeOf('cluster', 'redis.passwordfile')));
  }
  let listen = null;
  try {
    listen = parseMetricsListen(metrics.listen, metrics.allowRemote, placeOf('metrics', 'listen'));
  } catch (e) {
    if (!(e instanceof VoipguardError)) throw e;
    diag.errors.push(e);
  }
  return { ...definition, ami, metrics: { listen }, cluster };
}

function checkServiceKeys(set: ConfigSet, section: string, schema: Schema, diag: Diagnostics): void {
  for (const key of set.ownKeys(section)) {
    if (Object.prototype.hasOwnProperty.call(schema, key)) continue;
    const e = set.entry(section, key)!;
    const place = { file: e.file, section, key, line: e.line };
    const why = fail2banOnly(key);
    if (why !== null) diag.warn(`${describePlace({ file: e.file, section, key })}: only fail2ban uses this key (${why}); voipguard ignores it`);
    else diag.errors.push(new VoipguardError('VG_CONFIG_UNKNOWN_KEY', `unknown key "${key}" in [${section}]`, place));
  }
}
