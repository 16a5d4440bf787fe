// The doctor reads a sample line through the daemon's own `asterisk` filter, so "the dateformat
// parses" means exactly what the daemon will do with Asterisk's lines. The sample is the line the
// voipguard dialplan context writes, which that filter matches.

import { loadFilter } from '../filters/load-filter.js';
import type { LineFilter } from '../filters/filter.js';
import type { LogTimeProbe } from './doctor-types.js';

export function filterTimeProbe(configDir: string, filterName = 'asterisk'): LogTimeProbe {
  let filter: LineFilter | null = null;
  return (text, readAt) => {
    filter ??= loadFilter(filterName, { configDir });
    return filter.match({ source: 'voipguard doctor', text, readAt }).failure?.time ?? null;
  };
}
