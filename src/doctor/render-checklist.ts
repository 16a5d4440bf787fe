// The doctor's checklist for a terminal: one line per check (status, id, what was found), the fix
// indented below it, and a count at the end.

import type { DoctorReport } from './run-doctor.js';

export function renderChecklist(report: DoctorReport): string {
  const width = Math.max(0, ...report.checks.map((c) => c.id.length));
  const lines = [`voipguard doctor: Asterisk config ${report.asteriskDir}, voipguard config ${report.configDir}`, ''];
  for (const c of report.checks) {
    lines.push(`${c.status.padEnd(4)}  ${c.id.padEnd(width)}  ${c.message}`);
    if (c.fix !== undefined && c.status !== 'ok') lines.push(`${' '.repeat(width + 8)}fix: ${c.fix}`);
  }
  const s = report.summary;
  lines.push('', `${s.ok} ok, ${s.warn} warn, ${s.fail} fail, ${s.skip} skipped`);
  return lines.join('\n') + '\n';
}
