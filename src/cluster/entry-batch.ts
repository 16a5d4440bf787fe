// One batch of other nodes' entries (a stream read, or the active set at a first start) checked in
// order and turned into decisions in the jails. The single path and the bulk path (a snapshot, or a
// read of BULK_ENTRIES or more, stream-applier.ts) run the same code: the same checks (entry-check.ts), the same
// refusals counted by reason (refusals.ts); bulk only logs each ban at debug, for the caller's
// summary line. Nothing is committed here: the caller commits the decisions, one call per jail.

import { VoipguardError } from '../core/errors.js';
import type { HostAddresses, LiveRegistrations } from '../core/protection.js';
import type { Decision } from '../core/types.js';
import type { Logger } from '../log/logger.js';
import { checkEntry, ParsedProtection, type CheckContext } from './entry-check.js';
import type { ClusterJails, ClusterReport, ClusterSettings } from './ports.js';
import type { Refusals } from './refusals.js';
import { banKey, decodeEntry, ownPrefixes, startsAs, type RawFields } from './wire.js';
import type { Origins } from './origins.js';

export type RawEntry = { readonly id: string | null; readonly fields: RawFields | null };

export interface BatchContext {
  readonly jails: ClusterJails;
  /** The running jails this node shares. */
  readonly shared: readonly string[];
  readonly settings: ClusterSettings;
  readonly host: HostAddresses;
  readonly registrations: LiveRegistrations;
  /** `jail ip` → origin node of the bans the fleet made here (updated). */
  readonly origins: Pick<Origins, 'has' | 'set'>;
  readonly refusals: Refusals;
  readonly log: Logger;
}

export interface BatchDecisions {
  readonly made: number;
  readonly unbans: number;
  readonly lastApplied: ClusterReport['lastApplied'];
  readonly byJail: ReadonlyMap<string, Decision[]>;
}

export function decideBatch(b: BatchContext, entries: readonly RawEntry[], now: number, bulk: boolean): BatchDecisions {
  const { jails } = b;
  const ignore = new Map<string, readonly string[]>();
  let hostList: readonly string[] | undefined;
  const lists = {
    ignoreip: (j: string) => {
      let l = ignore.get(j);
      if (!l) ignore.set(j, (l = jails.ignoreip(j)));
      return l;
    },
    // read once per batch: a snapshot of 100,000 entries must not list the interfaces 100,000 times
    host: { addresses: () => (hostList ??= b.host.addresses()) },
  };
  const ctx: CheckContext = {
    self: b.settings.node,
    jails: new Set(b.shared),
    accept: new Set(b.settings.accept),
    maxBanTime: b.settings.maxBanTime,
    ...lists,
    registrations: b.registrations,
    // and parsed once per batch, not once per entry
    parsed: new ParsedProtection(lists),
  };
  // bulk: each ban at debug, and its object made only when debug is on (100,000 of them at a first start)
  const note = !bulk ? b.log.info.bind(b.log) : b.log.isLevelEnabled('debug') ? b.log.debug.bind(b.log) : null;
  const byJail = new Map<string, Decision[]>();
  let made = 0;
  let unbans = 0;
  let lastApplied: ClusterReport['lastApplied'] = null;
  // this node's own entries (it reads back all it publishes) are skipped unparsed
  const own = ownPrefixes(b.settings.node);
  for (const raw of entries) {
    if (raw.fields !== null && startsAs(raw.fields, own)) continue;
    const decoded = raw.fields === null ? ({ refused: 'malformed', why: 'not JSON' } as const) : decodeEntry(raw.fields);
    if ('refused' in decoded) {
      b.refusals.refuse('malformed', decoded.why, raw.id, null, now);
      continue;
    }
    const e = decoded.entry;
    const c = checkEntry(e, ctx, now, decoded.target);
    if (!c.ok) {
      if ('refused' in c) b.refusals.refuse(c.refused, c.why, raw.id, e, now);
      continue;
    }
    const key = banKey(e.jail, c.ip);
    let ds: readonly Decision[] = [];
    if (e.op === 'unban') {
      // another node lifts only what the fleet put here, never this node's own bans
      if (b.origins.has(key)) ds = jails.unban(e.jail, c.ip, now);
      if (ds.length) unbans++;
    } else {
      try {
        ds = jails.ban(e.jail, c.ip, now, e.until! - now);
      } catch (err) {
        if (err instanceof VoipguardError) {
          b.refusals.refuse('protected', err.message, raw.id, e, now);
          continue;
        }
        throw err;
      }
      if (ds.length) {
        b.origins.set(key, e.node);
        made++;
        lastApplied = { id: raw.id, at: now, node: e.node, jail: e.jail, ip: c.ip };
        note?.({ event: 'cluster-ban', jail: e.jail, ip: c.ip, origin: e.node, originReason: e.reason, until: e.until, id: raw.id });
      }
    }
    if (ds.length) {
      let list = byJail.get(e.jail);
      if (!list) byJail.set(e.jail, (list = []));
      list.push(...ds);
    }
  }
  return { made, unbans, lastApplied, byJail };
}
