// Runs every check in a fixed order and collects the findings. A check that throws does not stop the
// others: it becomes a `fail` line naming the check (the doctor must still report the rest).

import { checkAmi } from './ami-checks.js';
import { checkCluster } from './cluster-checks.js';
import { loadAsteriskFiles } from './asterisk-files.js';
import { checkEstablished, checkFirewallTools } from './firewall-checks.js';
import { checkIgnoreip, checkLogpaths, checkLogpathsAsService } from './jail-checks.js';
import { checkLoggerDateformat, checkLoggerNotice, checkLoggerSecurity } from './logger-checks.js';
import { checkAsteriskFiles, checkConfig, checkDatabase } from './service-checks.js';
import { checkChanSip, checkPjsipIdentify, checkSecurityEvents } from './sip-checks.js';
import type { Check, CheckStatus, DoctorConfig, DoctorContext, DoctorEnv, Finding, LogTimeProbe } from './doctor-types.js';

export const CHECKS: readonly (readonly [name: string, check: Check])[] = Object.freeze([
  ['config', checkConfig],
  ['asterisk-config', checkAsteriskFiles],
  ['logger-security', checkLoggerSecurity],
  ['logger-notice', checkLoggerNotice],
  ['logger-dateformat', checkLoggerDateformat],
  ['security-events', checkSecurityEvents],
  ['logpath', checkLogpaths],
  ['logpath-service', checkLogpathsAsService],
  ['ignoreip', checkIgnoreip],
  ['ami', checkAmi],
  ['firewall-tools', checkFirewallTools],
  ['established', checkEstablished],
  ['chan-sip', checkChanSip],
  ['pjsip-identify', checkPjsipIdentify],
  ['database', checkDatabase],
  ['cluster', checkCluster],
]);

export interface DoctorRequest {
  readonly asteriskDir: string;
  readonly config: DoctorConfig;
  readonly env: DoctorEnv;
  readonly timeProbe: LogTimeProbe;
  readonly amiTimeoutMs?: number;
}

export interface DoctorReport {
  readonly asteriskDir: string;
  readonly configDir: string;
  readonly checks: readonly Finding[];
  readonly summary: Readonly<Record<CheckStatus, number>>;
}

export async function runDoctorChecks(req: DoctorRequest): Promise<DoctorReport> {
  const ctx: DoctorContext = {
    config: req.config,
    files: loadAsteriskFiles(req.asteriskDir, req.env.reader),
    env: req.env,
    timeProbe: req.timeProbe,
    amiTimeoutMs: req.amiTimeoutMs ?? 5000,
  };
  const checks: Finding[] = [];
  for (const [name, check] of CHECKS) {
    try {
      checks.push(...(await check(ctx)));
    } catch (e) {
      checks.push({ id: name, status: 'fail', message: `the check itself failed: ${(e as Error).message}`, fix: 'please report this with the message' });
    }
  }
  const summary: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0, skip: 0 };
  for (const f of checks) summary[f.status]++;
  return { asteriskDir: req.asteriskDir, configDir: req.config.configDir, checks, summary };
}
