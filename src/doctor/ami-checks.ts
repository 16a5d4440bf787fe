// The AMI side, when voipguard's [ami] section is enabled: manager.conf turns AMI on (on loopback),
// the user exists, reads `security` and no more, only local addresses may use it, its event filter
// keeps the four failure events, and a real login with voipguard's credentials succeeds.

import { isLoopback } from '../core/ip.js';
import { DEFAULT_SECURITY_EVENTS } from '../filters/security-event.js';
import { aclAllows, eventPasses, managerGeneral, managerUser, readsSecurity, type ManagerUser } from '../asterisk/manager-config.js';
import type { DoctorAmi, DoctorContext, Finding } from './doctor-types.js';

const RELOAD = "then run: asterisk -rx 'manager reload'";
const SNIPPET = 'voipguard asterisk manager --write';
// addresses that stand for "anyone else": TEST-NET-3 and the IPv6 documentation prefix
const FOREIGN_V4 = '203.0.113.1';
const FOREIGN_V6 = '2001:db8::1';

export async function checkAmi(ctx: DoctorContext): Promise<Finding[]> {
  const ami = ctx.config.ami;
  if (ami === null) {
    return [
      {
        id: 'ami',
        status: 'skip',
        message: 'the AMI source is off ([ami] enabled = no): events lost to a log flood are not seen',
        fix: `${SNIPPET} creates the AMI user and enables [ami]`,
      },
    ];
  }
  const manager = ctx.files.manager;
  if (manager === null) {
    return [{ id: 'ami-manager', status: 'fail', message: `no manager.conf in ${ctx.files.dir}`, fix: `${SNIPPET}, paste its output into manager.conf` }];
  }
  const out: Finding[] = [];
  const general = managerGeneral(manager);
  if (!general.enabled) {
    out.push({
      id: 'ami-manager',
      status: 'fail',
      message: 'manager.conf has AMI switched off ([general] enabled is not yes)',
      fix: `set "enabled = yes" under [general], ${RELOAD}`,
    });
  } else if (!isLoopback(general.bindaddr)) {
    out.push({
      id: 'ami-manager',
      status: 'warn',
      message: `AMI listens on ${general.bindaddr}:${general.port}, not only on loopback: anyone who reaches it may try passwords`,
      fix: `set "bindaddr = 127.0.0.1" under [general] (voipguard connects locally), ${RELOAD}`,
    });
  } else {
    out.push({ id: 'ami-manager', status: 'ok', message: `AMI is on, listening on ${general.bindaddr}:${general.port}` });
  }

  const user = managerUser(manager, ami.username);
  if (user === null) {
    out.push({
      id: 'ami-user',
      status: 'fail',
      message: `manager.conf has no user [${ami.username}]`,
      fix: `${SNIPPET}, paste its output into manager.conf, ${RELOAD}`,
    });
  } else {
    out.push(userFinding(user), ...signalFindings(user, ctx), privilegeFinding(user), aclFinding(user, ami, general.bindaddr));
  }
  out.push(await loginFinding(ctx, ami));
  return out;
}

function userFinding(user: ManagerUser): Finding {
  const id = 'ami-user';
  if (!readsSecurity(user)) {
    return {
      id,
      status: 'fail',
      message: `AMI user [${user.name}] has read = ${user.read.join(',') || '(none)'}: security events are not sent to it`,
      fix: `set "read = security" in [${user.name}], ${RELOAD}`,
    };
  }
  const dropped = DEFAULT_SECURITY_EVENTS.filter((e) => eventPasses(user, e) === false);
  if (dropped.length) {
    return {
      id,
      status: 'fail',
      message: `the eventfilter of [${user.name}] drops ${dropped.join(', ')}`,
      fix: `use "eventfilter = Event: (${DEFAULT_SECURITY_EVENTS.join('|')})" in [${user.name}], ${RELOAD}`,
    };
  }
  return { id, status: 'ok', message: `AMI user [${user.name}] reads security events` };
}

/**
 * The events beyond the failures that AMI jails' keys read (challengetimeout: ChallengeSent;
 * protectregistered and the compromise alarm: SuccessfulAuth): a warning per event the eventfilter
 * drops, since the failures still pass and the jail still bans, but that rule sees nothing over AMI.
 */
function signalFindings(user: ManagerUser, ctx: DoctorContext): Finding[] {
  const needs = new Map<string, string[]>();
  for (const j of ctx.config.jails) {
    if (!j.ami || !readsSecurity(user)) continue;
    for (const s of j.amiSignals ?? []) needs.set(s.event, [...(needs.get(s.event) ?? []), `${j.name} (${s.key})`]);
  }
  if (needs.size === 0) return [];
  const dropped = [...needs].filter(([event]) => eventPasses(user, event) === false);
  if (dropped.length === 0)
    return [{ id: 'ami-signals', status: 'ok', message: `the eventfilter of [${user.name}] lets ${[...needs.keys()].join(', ')} through` }];
  const events = [...DEFAULT_SECURITY_EVENTS, ...needs.keys()];
  return [
    {
      id: 'ami-signals',
      status: 'warn',
      message: `the eventfilter of [${user.name}] drops ${dropped.map(([e, jails]) => `${e}, which ${jails.join(', ')} reads`).join('; ')}`,
      fix: `use "eventfilter = Event: (${[...new Set(events)].join('|')})" in [${user.name}], ${RELOAD}`,
    },
  ];
}

function privilegeFinding(user: ManagerUser): Finding {
  const id = 'ami-privileges';
  const extraRead = user.read.filter((c) => c !== 'security');
  if (user.write.length || extraRead.length) {
    const what = [extraRead.length ? `read = ${user.read.join(',')}` : '', user.write.length ? `write = ${user.write.join(',')}` : '']
      .filter(Boolean)
      .join(' and ');
    return {
      id,
      status: 'warn',
      message: `AMI user [${user.name}] has ${what}: more than it needs, and its secret sits in voipguard's config`,
      fix: `in [${user.name}]: "read = security" and an empty "write =", ${RELOAD}`,
    };
  }
  return { id, status: 'ok', message: `AMI user [${user.name}] reads security only and writes nothing` };
}

function aclFinding(user: ManagerUser, ami: DoctorAmi, bindaddr: string): Finding {
  const id = 'ami-acl';
  const fix = `in [${user.name}]: "deny = 0.0.0.0/0.0.0.0" then "permit = 127.0.0.1/255.255.255.255", ${RELOAD}`;
  if (user.namedAcls.length) {
    return { id, status: 'ok', message: `AMI user [${user.name}] uses named ACL ${user.namedAcls.join(', ')} (acl.conf, not checked here)` };
  }
  if (!aclAllows(user.acl, ami.host)) {
    return { id, status: 'fail', message: `permit/deny of [${user.name}] refuse ${ami.host}, where voipguard connects from`, fix };
  }
  const foreign = [FOREIGN_V4, ...(bindaddr.includes(':') ? [FOREIGN_V6] : [])].filter((a) => aclAllows(user.acl, a));
  if (foreign.length) {
    return { id, status: 'warn', message: `AMI user [${user.name}] may log in from any address (no deny/permit limits it to this host)`, fix };
  }
  return { id, status: 'ok', message: `AMI user [${user.name}] may log in from this host only` };
}

async function loginFinding(ctx: DoctorContext, ami: DoctorAmi): Promise<Finding> {
  const id = 'ami-login';
  let secret = ami.secret;
  if (secret === undefined && ami.secretfile !== undefined) {
    const text = ctx.env.reader.read(ami.secretfile);
    if (text === null) return { id, status: 'fail', message: `secretfile ${ami.secretfile} cannot be read`, fix: `${SNIPPET} --secret-file ${ami.secretfile}` };
    secret = text.trim();
  }
  if (secret === undefined || secret === '') {
    return { id, status: 'fail', message: '[ami] has neither secret nor secretfile', fix: SNIPPET };
  }
  const r = await ctx.env.amiLogin({ host: ami.host, port: ami.port, username: ami.username, secret, timeoutMs: ctx.amiTimeoutMs });
  const where = `${ami.host}:${ami.port}`;
  if (r.ok) return { id, status: 'ok', message: `logged in to AMI at ${where} as ${ami.username} (${r.banner})` };
  const fixes: Record<typeof r.reason, string> = {
    refused: `the secret in voipguard's [ami] and in manager.conf [${ami.username}] must match: ${SNIPPET}`,
    unreachable: `is Asterisk running, with AMI enabled on ${where}? check host/port in [ami] and bindaddr/port in manager.conf`,
    timeout: `something at ${where} accepts connections but does not answer as AMI: check host/port in [ami]`,
    protocol: `${where} is not an Asterisk manager port: check host/port in [ami]`,
  };
  return { id, status: 'fail', message: `AMI login as ${ami.username} at ${where} failed: ${r.message}`, fix: fixes[r.reason] };
}
