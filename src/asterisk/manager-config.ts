// manager.conf as Asterisk applies it (docs/asterisk-facts.md §1.8; main/manager.c, main/acl.c):
// [general] enabled/bindaddr, a user's read/write classes, permit/deny rules and event filters.

import { cidrContains, parseCidr, parseIp, type Cidr } from '../core/ip.js';
import type { AsteriskConfig, AstCategory } from './asterisk-config.js';
import { isTrue } from './logger-config.js';

export interface AclRule {
  readonly permit: boolean;
  readonly range: Cidr;
}

export interface ManagerUser {
  readonly name: string;
  readonly read: readonly string[];
  readonly write: readonly string[];
  readonly acl: readonly AclRule[];
  /** `acl = name` entries: rules kept in acl.conf, which the doctor does not evaluate. */
  readonly namedAcls: readonly string[];
  readonly eventfilters: readonly { readonly key: string; readonly value: string }[];
  readonly secret: string | undefined;
}

export interface ManagerGeneral {
  readonly enabled: boolean;
  readonly bindaddr: string;
  readonly port: number;
}

export function managerGeneral(cfg: AsteriskConfig): ManagerGeneral {
  const port = Number(cfg.retrieve('general', 'port') ?? '5038');
  return {
    enabled: isTrue(cfg.retrieve('general', 'enabled')),
    bindaddr: cfg.retrieve('general', 'bindaddr') ?? '0.0.0.0',
    port: Number.isInteger(port) ? port : 5038,
  };
}

/** The user section (names compare case-insensitively, as manager.c does). */
export function managerUser(cfg: AsteriskConfig, name: string): ManagerUser | null {
  if (name.toLowerCase() === 'general') return null;
  const cat = cfg.named(name)[0];
  return cat === undefined ? null : userOf(cat);
}

function classes(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

function userOf(cat: AstCategory): ManagerUser {
  const acl: AclRule[] = [];
  const namedAcls: string[] = [];
  const eventfilters: { key: string; value: string }[] = [];
  let read: string | undefined;
  let write: string | undefined;
  let secret: string | undefined;
  for (const v of cat.variables) {
    const key = v.name.toLowerCase();
    if (key === 'permit' || key === 'deny') {
      const rule = parseAclRule(key === 'permit', v.value);
      if (rule) acl.push(rule);
    } else if (key === 'acl') namedAcls.push(v.value);
    else if (key === 'read') read = v.value;
    else if (key === 'write') write = v.value;
    else if (key === 'secret') secret = v.value;
    else if (key.startsWith('eventfilter')) eventfilters.push({ key: v.name, value: v.value });
  }
  return { name: cat.name, read: classes(read), write: classes(write), acl, namedAcls, eventfilters, secret };
}

/** `addr[/mask]`, mask dotted (255.255.255.0) or a prefix length; a leading `!` inverts the rule. */
function parseAclRule(permit: boolean, text: string): AclRule | null {
  let s = text.trim();
  let sense = permit;
  if (s.startsWith('!')) {
    sense = !sense;
    s = s.slice(1);
  }
  const slash = s.indexOf('/');
  if (slash < 0) {
    const range = parseCidr(s);
    return range ? { permit: sense, range } : null;
  }
  const addr = s.slice(0, slash);
  const mask = s.slice(slash + 1);
  const m = parseIp(mask);
  let prefix = mask;
  if (m !== null && m.family === 4 && mask.includes('.')) {
    let bits = 0;
    for (const b of m.bytes) for (let i = 7; i >= 0; i--) if (b & (1 << i)) bits++;
    prefix = String(bits);
  }
  const range = parseCidr(`${addr}/${prefix}`);
  return range ? { permit: sense, range } : null;
}

/** ast_apply_ha: allowed unless a rule matches; the last matching rule decides. */
export function aclAllows(rules: readonly AclRule[], address: string): boolean {
  const ip = parseIp(address);
  if (ip === null) return false;
  let allowed = true;
  for (const r of rules) if (cidrContains(r.range, ip)) allowed = r.permit;
  return allowed;
}

export function readsSecurity(user: ManagerUser): boolean {
  return user.read.includes('security') || user.read.includes('all');
}

/**
 * Whether the user's event filters let an event named `event` through. Legacy filters are regular
 * expressions over the whole message (`!` excludes); the advanced form is judged on name() and
 * action() only. Returns null when a filter cannot be judged here.
 */
export function eventPasses(user: ManagerUser, event: string): boolean | null {
  const message = `Event: ${event}\r\nPrivilege: security,all\r\nSeverity: Error\r\n`;
  const includes: boolean[] = [];
  const excludes: boolean[] = [];
  for (const f of user.eventfilters) {
    const adv = /^eventfilter\((.*)\)$/i.exec(f.key.trim());
    if (adv) {
      const crit = adv[1]!;
      if (/\b(header|method)\(/i.test(crit) || f.value.trim() !== '') return null;
      const name = /name\(([^)]*)\)/i.exec(crit)?.[1];
      const exclude = /action\(\s*exclude\s*\)/i.test(crit);
      (exclude ? excludes : includes).push(name === undefined || name === event);
      continue;
    }
    const exclude = f.value.startsWith('!');
    let re: RegExp;
    try {
      re = new RegExp(exclude ? f.value.slice(1) : f.value);
    } catch {
      return null;
    }
    (exclude ? excludes : includes).push(re.test(message));
  }
  if (includes.length && !includes.includes(true)) return false;
  return !excludes.includes(true);
}
