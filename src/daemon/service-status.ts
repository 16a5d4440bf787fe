// The data behind `status`, `status <jail>` and `stats`: read from the runtimes, never stored. The
// `waiting` facts say in plain words what keeps the service from guarding anything yet, so that on
// the shipped config (every jail off, no Asterisk) `voipguard status` explains itself.

import type { BrokenJail, FileState, JailAccounts, JailStatus, ServiceStatus, StatsRow } from '../control/replies.js';
import type { GuardStatus } from '../jails/account-guard.js';
import type { LoadedConfig } from '../config/load-config.js';
import type { JailRuntime } from './jail-runtime.js';
import type { Service } from './service.js';
import { dropsAt } from '../actions/verdict.js';

export function serviceStatus(svc: Service, version: string, pid: number): ServiceStatus {
  const cfg = svc.config;
  const running = [...svc.runtimes.keys()].sort();
  const disabled = cfg.jails
    .filter((j) => !j.enabled)
    .map((j) => j.name)
    .sort();
  const waiting: string[] = [];
  const broken = brokenJails(cfg, svc.broken);
  if (running.length === 0 && broken.length === 0) {
    const first = disabled[0];
    waiting.push(`a jail to enable: no jail is enabled${first ? ` (set enabled = true for [${first}] in jail.local)` : ''}`);
  }
  for (const r of svc.runtimes.values()) {
    for (const s of r.sources) {
      const st = s.status();
      for (const p of st.waitingFor) waiting.push(`${p}: does not exist yet (jail ${r.name})`);
      for (const f of st.files) if (f.state === 'error') waiting.push(`${f.path}: cannot be read, ${f.error ?? 'error'} (jail ${r.name})`);
    }
  }
  const ami = svc.amiPort?.state() ?? null;
  if (!cfg.service.ami.enabled) {
    const wanting = cfg.jails.filter((j) => j.enabled && j.ami).map((j) => j.name);
    waiting.push(
      wanting.length
        ? `AMI: not configured, but jail${wanting.length > 1 ? 's' : ''} ${wanting.join(', ')} set ami = yes ([ami] enabled = no in voipguard.conf)`
        : 'AMI: not configured ([ami] enabled = no in voipguard.conf): security events come from log files only',
    );
  }
  return {
    version,
    pid,
    startedAt: svc.startedAt,
    configDir: svc.deps.configDir,
    dryRun: svc.deps.dryRun,
    jails: running,
    disabled,
    broken,
    waiting,
    ami,
    cluster: svc.deps.cluster?.report() ?? null,
  };
}

/** A jail file's name: jail.conf, jail.local, jail.d/*.conf|local (voipguard.conf's sections are not jails). */
const JAIL_FILE = /(^|\/)(jail\.(conf|local)|jail\.d\/[^/]+\.(conf|local))$/;

/**
 * Jails left out by a config error in their section (`maxretry = five`), one entry per jail with
 * every error joined, then jails that failed to start. Without the first kind, a jail with a typo
 * would vanish from `status`.
 */
export function brokenJails(cfg: LoadedConfig, failedToStart: readonly { jail: string; error: string }[]): BrokenJail[] {
  const byJail = new Map<string, { errors: string[]; file?: string; section?: string; key?: string }>();
  for (const e of cfg.errors) {
    const { section, file, key } = e.place;
    if (section === undefined || section === 'DEFAULT' || file === undefined || !JAIL_FILE.test(file)) continue;
    const entry = byJail.get(section) ?? { errors: [], file, section, ...(key !== undefined ? { key } : {}) };
    entry.errors.push(e.describe());
    byJail.set(section, entry);
  }
  const out: BrokenJail[] = [...byJail].map(([jail, b]) => ({
    jail,
    error: b.errors.join('; '),
    ...(b.file ? { file: b.file } : {}),
    ...(b.section ? { section: b.section } : {}),
    ...(b.key ? { key: b.key } : {}),
  }));
  for (const b of failedToStart) if (!byJail.has(b.jail)) out.push({ jail: b.jail, error: b.error });
  return out.sort((a, b) => a.jail.localeCompare(b.jail));
}

export function jailStatus(svc: Service, r: JailRuntime, now: number, short: boolean): JailStatus {
  const st = r.engine.status(now, !short);
  const sources = r.sources.map((s) => s.status());
  const fileStates: FileState[] = sources.flatMap((s) => s.files);
  const journal = sources.find((s) => s.kind === 'journal');
  const amiState = svc.amiPort?.state().state ?? 'not configured';
  return {
    jail: r.name,
    filter: {
      currentlyFailed: st.currentlyFailed,
      totalFailed: st.totalFailed,
      signalsSeen: r.counters.signals,
      attemptsCounted: r.counters.attempts,
      files: r.config.logpath,
      fileStates,
      waitingFor: sources.flatMap((s) => s.waitingFor),
      ...(journal ? { journalMatches: journal.journalMatches ?? [] } : {}),
    },
    actions: {
      currentlyBanned: st.currentlyBanned,
      totalBanned: st.totalBanned,
      bannedIps: short ? [] : st.banned.map((b) => b.ip),
      // the short form carries the count only: a flood's pending list is large (docs/flood.md)
      ...(short ? { pending: [], pendingCount: r.pendingCount() } : pendingOf(r.pending())),
      ...kernelDefence(r, st.banned),
    },
    ami: r.takesAmi
      ? {
          state: amiState,
          eventsReceived: r.counters.amiEvents,
          signalsSeen: r.counters.amiSignals,
          attemptsCounted: r.counters.amiAttempts,
          lastEventAt: r.counters.lastAmiEventAt,
        }
      : null,
    ...(r.settings.accountretry > 0 ? { accounts: accountsOf(r.engine.guardStatus(now)) } : {}),
    protectedRegistered: st.protectedRegistered.map((p) => ({ ip: p.ip, failures: p.failures, accounts: p.accounts })),
  };
}

function pendingOf(pending: readonly string[]): { pending: readonly string[]; pendingCount: number } {
  return { pending, pendingCount: pending.length };
}

/** droprepeat's DROPped addresses and subnetmaxbans' refusals, when the jail has them on. */
function kernelDefence(r: JailRuntime, banned: readonly { ip: string; banCount: number }[]): Pick<JailStatus['actions'], 'dropped' | 'subnetRefused'> {
  const { droprepeat, subnetmaxbans } = r.settings;
  return {
    ...(droprepeat > 0 ? { dropped: banned.filter((b) => dropsAt(droprepeat, b.banCount)).map((b) => b.ip) } : {}),
    ...(subnetmaxbans > 0 ? { subnetRefused: (r.engine.subnetRefusals?.() ?? []).map(({ prefix, why, address, at }) => ({ prefix, why, address, at })) } : {}),
  };
}

export function statsRows(svc: Service, now: number): StatsRow[] {
  return [...svc.runtimes.values()].map((r) => {
    const st = r.engine.status(now, false);
    const kinds = new Set(r.sources.map((s) => s.status().kind) as string[]);
    if (r.takesAmi) kinds.add('ami');
    return {
      jail: r.name,
      sources: [...kinds],
      currentlyFailed: st.currentlyFailed,
      totalFailed: st.totalFailed,
      currentlyBanned: st.currentlyBanned,
      totalBanned: st.totalBanned,
      pending: r.pendingCount(),
    };
  });
}

function accountsOf(g: GuardStatus): JailAccounts {
  return {
    underAttack: g.accountsUnderAttack,
    list: g.accounts.map((a) => ({ account: a.account, since: a.since, addresses: a.addresses, banned: a.banned })),
  };
}
