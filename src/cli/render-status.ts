// `voipguard status` and `voipguard status <jail> [short]` as fail2ban-client prints them, plus what
// voipguard knows beyond fail2ban: jails that are disabled or broken, files and AMI it waits for,
// AMI state of a jail that takes AMI events, bans still pending in the firewall. The extra lines
// only appear when they have something to say, so a plain setup prints fail2ban's exact text.

import type { AmiState, JailAccounts, JailAmi, JailStatus, ServiceStatus } from '../control/replies.js';
import { renderTree, type TreeItem } from './render-tree.js';
import { formatLocalTime } from './render-time.js';
import { describeCluster } from './render-cluster.js';

export function renderServiceStatus(s: ServiceStatus): string {
  const items: TreeItem[] = [
    { label: 'Number of jail', value: String(s.jails.length) },
    { label: 'Jail list', value: [...s.jails].sort().join(', ') },
  ];
  if (s.disabled.length) items.push({ label: 'Disabled jails', value: [...s.disabled].sort().join(', ') });
  if (s.broken.length) {
    items.push({ label: 'Jails not started', children: s.broken.map((b) => ({ label: b.jail, value: b.error })) });
  }
  if (s.ami) items.push({ label: 'AMI', value: describeAmi(s.ami) });
  if (s.cluster) items.push({ label: 'Cluster', value: describeCluster(s.cluster) });
  if (s.dryRun) items.push({ label: 'Mode', value: 'dry run (memory firewall: nothing reaches the kernel)' });
  if (s.waiting.length) items.push({ label: 'Waiting for', children: s.waiting.map((w) => ({ label: w })) });
  return renderTree('Status', items);
}

export function renderJailStatus(j: JailStatus, short: boolean): string {
  const filter: TreeItem[] = [
    { label: 'Currently failed', value: String(j.filter.currentlyFailed) },
    { label: 'Total failed', value: String(j.filter.totalFailed) },
  ];
  if (j.filter.journalMatches) filter.push({ label: 'Journal matches', value: j.filter.journalMatches.join(' + ') });
  else {
    const reading = j.filter.fileStates.filter((f) => f.state === 'reading').map((f) => f.path);
    filter.push({ label: 'File list', value: reading.join(' ') });
    if (j.filter.waitingFor.length) filter.push({ label: 'Waiting for', value: j.filter.waitingFor.join(' ') });
    for (const f of j.filter.fileStates) {
      if (f.state === 'error') filter.push({ label: 'Unreadable', value: `${f.path} (${f.error ?? 'error'})` });
    }
  }
  if (j.ami) filter.push({ label: 'AMI', value: describeJailAmi(j.ami) });
  // after fail2ban's own lines, and only when correlation merged something: one attempt that reached
  // us as several lines or events counts once toward maxretry (docs/ami.md)
  if (j.filter.signalsSeen !== j.filter.attemptsCounted) {
    filter.push({ label: 'Signals seen', value: `${j.filter.signalsSeen} (${j.filter.attemptsCounted} attempts counted)` });
    // fail2ban users compare Total failed and maxretry with fail2ban's: say why they differ, once
    filter.push({ label: 'Note', value: 'maxretry counts attempts, not lines (docs/moving-from-fail2ban.md); correlate = no counts lines' });
  }
  // failures of registered addresses against their own account: counted, never toward a ban
  if (j.protectedRegistered?.length) filter.push({ label: 'Protected (registered)', value: describeProtected(j.protectedRegistered) });
  const actions: TreeItem[] = [
    { label: 'Currently banned', value: String(j.actions.currentlyBanned) },
    { label: 'Total banned', value: String(j.actions.totalBanned) },
  ];
  const pendingCount = j.actions.pendingCount ?? j.actions.pending.length;
  if (pendingCount) actions.push({ label: 'Pending bans', value: short ? String(pendingCount) : j.actions.pending.join(' ') });
  if (!short) actions.push({ label: 'Banned IP list', value: j.actions.bannedIps.join(' ') });
  if (j.accounts) actions.push({ label: 'Accounts under attack', value: describeAccounts(j.accounts) });
  if (j.actions.dropped && !short) actions.push({ label: 'Dropped (repeat offenders)', value: j.actions.dropped.join(' ') });
  if (j.actions.subnetRefused?.length) {
    const refused = j.actions.subnetRefused.map((r) => ({ label: r.prefix, value: `holds ${r.address} (${r.why}), ${formatLocalTime(r.at)}` }));
    actions.push({ label: 'Subnet bans refused', children: refused });
  }
  return renderTree(`Status for the jail: ${j.jail}`, [
    { label: 'Filter', children: filter },
    { label: 'Actions', children: actions },
  ]);
}

/** `2: "100" (37 addresses, 35 banned), "alice"`: names JSON-quoted, so quotes and newlines stay on the line. */
function describeAccounts(a: JailAccounts): string {
  if (a.underAttack === 0) return '0';
  const names = a.list.map((x) => `${JSON.stringify(x.account)} (${x.addresses} addresses, ${x.banned} banned)`);
  const more = a.underAttack > a.list.length ? `, … ${a.underAttack - a.list.length} more` : '';
  return `${a.underAttack}: ${names.join(', ')}${more}`;
}

/** `203.0.113.7 (3 failures: 1001)`; account names are attacker-written: printable ASCII only. */
function describeProtected(list: NonNullable<JailStatus['protectedRegistered']>): string {
  const shown = list.slice(0, 20).map((p) => {
    const accounts = p.accounts
      .map((a) =>
        JSON.stringify(a)
          .slice(1, -1)
          .replace(/[^\x20-\x7e]/g, '?'),
      )
      .join(', ');
    return `${p.ip} (${p.failures} failure${p.failures === 1 ? '' : 's'}${accounts ? `: ${accounts}` : ''})`;
  });
  return list.length > 20 ? `${shown.join(' ')} and ${list.length - 20} more` : shown.join(' ');
}

function describeAmi(a: AmiState): string {
  const parts = [`${a.state} (${a.address})`];
  if (a.lastEventAt !== null) parts.push(`last event ${formatLocalTime(a.lastEventAt)}`);
  if (a.reconnects) parts.push(`${a.reconnects} reconnects`);
  if (a.lastError) parts.push(`last error: ${a.lastError}`);
  return parts.join(', ');
}

function describeJailAmi(a: JailAmi): string {
  const last = a.lastEventAt === null ? 'no event yet' : `last event ${formatLocalTime(a.lastEventAt)}`;
  // AMI's share only: the jail-wide figures are Total failed and Signals seen above
  return `${a.state}, ${last}, ${a.eventsReceived} events received, ${a.signalsSeen} signals seen, ${a.attemptsCounted} attempts counted`;
}
