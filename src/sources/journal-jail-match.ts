// Which journal entries a `backend = systemd` jail reads: its own journalmatch, else the one its
// filter declares in [Init] (where fail2ban keeps it: filter.d/sshd.conf), with the jail's filter
// arguments applied. An empty match would hand every program's messages to a filter that reads
// bare messages (journal lines have no "sshd[pid]:" prefix to check), so that is a config error
// and the jail is skipped.

import { join } from 'node:path';
import { ConfigSet, diskReader, type ConfigFileReader } from '../config/config-set.js';
import { VoipguardError } from '../core/errors.js';
import { searchDirs } from '../core/paths.js';
import { parseJournalMatch } from '../config/journal-match.js';

export interface JournalJail {
  readonly name: string;
  readonly journalmatch: readonly string[];
  readonly filter: { readonly name: string; readonly args: Readonly<Record<string, string>> } | null;
  readonly file?: string;
}

export function jailJournalMatch(jail: JournalJail, configDir: string, reader: ConfigFileReader = diskReader): string[] {
  if (jail.journalmatch.length > 0) return [...jail.journalmatch];
  const place = { ...(jail.file !== undefined ? { file: jail.file } : {}), section: jail.name, key: 'journalmatch' };
  if (jail.filter !== null) {
    const files = filterFiles(jail.filter.name, configDir, reader);
    if (files.length > 0) {
      const set = new ConfigSet();
      for (const f of files) set.addFile(f, reader);
      const value = jail.filter.args['journalmatch'] ?? (set.hasSection('Init') ? set.get('Init', 'journalmatch', { ...jail.filter.args }) : undefined);
      const terms = parseJournalMatch(value ?? '', { file: files[0]!, section: 'Init', key: 'journalmatch' });
      if (terms.length > 0) return terms;
    }
  }
  throw new VoipguardError(
    'VG_JOURNAL_MATCH',
    "backend = systemd needs a journalmatch (in the jail, or in its filter's [Init]), e.g. _SYSTEMD_UNIT=asterisk.service",
    place,
  );
}

/** As load-filter.ts finds a filter: the first dir holding NAME.conf is the base; .local and
 *  NAME.d files of the dirs searched before it (the user's) layer on top. */
function filterFiles(name: string, configDir: string, reader: ConfigFileReader): string[] {
  const units = searchDirs(configDir).map((d) => join(d, 'filter.d', name));
  const base = units.findIndex((u) => reader.read(`${u}.conf`) !== null);
  if (base < 0) return [];
  const files = ConfigSet.unitFiles(units[base]!, reader);
  for (let i = base - 1; i >= 0; i--) files.push(...ConfigSet.unitFiles(units[i]!, reader));
  return files;
}
