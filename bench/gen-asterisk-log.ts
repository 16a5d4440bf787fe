// A deterministic Asterisk log for the regex benchmark: `failureRate` of the lines are attacks of
// every kind filter.d/asterisk.conf knows (chan_sip, PJSIP old and new shapes, IAX2, AMI, dialplan,
// SecurityEvent), from a few hundred IPv4 and IPv6 attackers; the rest is the noise a busy PBX
// writes (dialplan execution, registrations, RTP, ChallengeSent/SuccessfulAuth events).
// Same seed → same bytes, so runs compare.

import { closeSync, openSync, writeSync } from 'node:fs';

export interface GeneratedLog {
  /** Lines written as attacks (each must yield exactly one failure). */
  readonly failures: number;
}

/** mulberry32: small, fast, good enough to pick words. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** Writes `count` lines to `path`, in batches, so a million lines never sit in memory at once. */
export function writeAsteriskLog(path: string, count: number, seed = 42, failureRate = 0.05): GeneratedLog {
  const fd = openSync(path, 'w');
  let failures = 0;
  try {
    const gen = asteriskLogLines(seed, failureRate);
    for (let done = 0; done < count;) {
      const batch: string[] = [];
      for (let i = 0; i < 10_000 && done < count; i++, done++) {
        const { text, attack } = gen.next().value!;
        if (attack) failures++;
        batch.push(text);
      }
      writeSync(fd, batch.join('\n') + '\n');
    }
  } finally {
    closeSync(fd);
  }
  return { failures };
}

export function* asteriskLogLines(seed = 42, failureRate = 0.05): Generator<{ text: string; attack: boolean }, never> {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const int = (n: number): number => Math.floor(r() * n);
  const hex = (n: number): string => Array.from({ length: n }, () => '0123456789abcdef'[int(16)]).join('');

  const attackers: string[] = [];
  for (let i = 0; i < 300; i++) attackers.push(`${pick(['198.51.100', '203.0.113', '192.0.2'])}.${1 + int(254)}`);
  for (let i = 0; i < 100; i++) attackers.push(`2001:db8:${hex(4)}::${hex(3)}`);
  const users = ['100', '101', '1000', 'admin', 'sipuser', '2001', 'test', 'asterisk', '0044'];
  const exts = ['00972599580679', '011441772285411', '9011', '+441772285407', '5555', 's', '100'];

  let t = Date.UTC(2026, 2, 1, 0, 0, 0);
  const stamp = (): string => {
    t += int(40);
    const d = new Date(t);
    return `[${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}]`;
  };
  const tid = (): string => `[${1000 + int(30000)}]`;
  const cid = (): string => (r() < 0.5 ? `[C-${hex(8)}]` : '');
  const port = (): number => 1024 + int(60000);
  const hp = (ip: string): string => (ip.includes(':') ? `[${ip}]:${port()}` : `${ip}:${port()}`);
  const fam = (ip: string): string => (ip.includes(':') ? 'IPV6' : 'IPV4');
  const tv = (): string => new Date(t).toISOString().replace('Z', '+0000');

  const attacks: ((ip: string) => string)[] = [
    (ip) =>
      `${stamp()} NOTICE${tid()}${cid()} chan_sip.c: Registration from '"${pick(users)}" <sip:${pick(users)}@198.51.100.10>' failed for '${hp(ip)}' - ${pick(['Wrong password', 'No matching peer found', 'Username/auth name mismatch', 'Device does not match ACL'])}`,
    (ip) =>
      `${stamp()} NOTICE${tid()}${cid()} chan_sip.c: Call from '' (${hp(ip)}) to extension '${pick(exts)}' rejected because extension not found in context 'from-sip-external'.`,
    (ip) =>
      `${stamp()} NOTICE${tid()} res_pjsip/pjsip_distributor.c: Request '${pick(['REGISTER', 'INVITE', 'OPTIONS'])}' from '"${pick(users)}" <sip:${pick(users)}@198.51.100.10>' failed for '${hp(ip)}' (callid: ${hex(16)}) - ${pick(['No matching endpoint found', 'Failed to authenticate', 'Not match Endpoint ACL'])}`,
    (ip) =>
      `${stamp()} NOTICE${tid()} res_pjsip/pjsip_distributor.c: Request 'REGISTER' from '<sip:${pick(users)}@198.51.100.10>' failed for '${hp(ip)}' (callid: ${hex(12)}@${ip.includes(':') ? 'x' : ip}) - No matching endpoint found after ${1 + int(9)} tries in ${int(5000)}.${pad(int(1000), 3)} ms`,
    (ip) =>
      `${stamp()} NOTICE${tid()}${cid()} res_pjsip_session.c:  anonymous: Call (UDP:${hp(ip)}) to extension '${pick(exts)}' rejected because extension not found in context 'public'.`,
    (ip) =>
      `${stamp()} NOTICE${tid()}${cid()} res_pjsip_session.c: Call from 'anonymous' (UDP:${hp(ip)}) to extension '${pick(exts)}' rejected because extension not found in context 'public'.`,
    (ip) => `${stamp()} NOTICE${tid()} chan_iax2.c: Host ${ip} failed MD5 authentication for '${pick(users)}' (${hex(32)} != ${hex(32)})`,
    (ip) => `${stamp()} NOTICE${tid()} chan_iax2.c: No registration for peer '${pick(users)}' (from ${ip})`,
    (ip) =>
      `${stamp()} NOTICE${tid()} manager.c: ${ip} ${pick(['tried to authenticate with nonexistent user', 'failed to authenticate as', 'failed to pass IP ACL as'])} '${pick(users)}'`,
    (ip) => `${stamp()} NOTICE${tid()}${cid()} Ext. ${pick(exts)}: Incoming SIP connection from unknown peer failed for ${ip} - Unknown connection from peer`,
    (ip) => `${stamp()} WARNING${tid()}${cid()} Ext. s: "Rejecting unknown SIP connection from ${hp(ip)}"`,
    (ip) =>
      `${stamp()} SECURITY${tid()} res_security_log.c: SecurityEvent="${pick(['InvalidAccountID', 'ChallengeResponseFailed'])}",EventTV="${tv()}",Severity="Error",Service="PJSIP",EventVersion="1",AccountID="${pick(users)}",SessionID="${hex(20)}",LocalAddress="IPV4/UDP/198.51.100.10/5060",RemoteAddress="${fam(ip)}/UDP/${ip}/${port()}"`,
    (ip) =>
      `${stamp()} SECURITY${tid()} res_security_log.c: SecurityEvent="${pick(['FailedACL', 'InvalidPassword', 'InvalidAccountID'])}",EventTV="${tv()}",Severity="Error",Service="AMI",EventVersion="1",AccountID="${pick(users)}",SessionID="0x7f${hex(10)}",LocalAddress="IPV4/TCP/0.0.0.0/5038",RemoteAddress="${fam(ip)}/TCP/${ip}/${port()}",SessionTV="1970-01-01T00:00:00.000+0000"`,
    (ip) =>
      `${stamp()} SECURITY${tid()} res_security_log.c: SecurityEvent="InvalidPassword",EventTV="${Math.floor(t / 1000)}-${int(999999)}",Severity="Error",Service="AMI",EventVersion="2",AccountID="${pick(users)}",SessionID="0x${hex(7)}",LocalAddress="IPV4/TCP/198.51.100.10/5038",RemoteAddress="${fam(ip)}/TCP/${ip}/${port()}"`,
  ];

  const peers = ['alice', 'bob', 'reception', 'trunk-provider', '2001', '2002', 'fax'];
  const noise: (() => string)[] = [
    () =>
      `${stamp()} VERBOSE${tid()}${cid()} pbx.c: Executing [${pick(exts)}@from-internal:${1 + int(9)}] Dial("PJSIP/${pick(peers)}-0000${hex(4)}", "PJSIP/${pick(peers)},30,tT") in new stack`,
    () =>
      `${stamp()} VERBOSE${tid()}${cid()} pbx.c: Executing [s@macro-dial:${1 + int(9)}] Set("PJSIP/${pick(peers)}-0000${hex(4)}", "DIALSTATUS=ANSWER") in new stack`,
    () => `${stamp()} VERBOSE${tid()}${cid()} app_dial.c: PJSIP/${pick(peers)}-0000${hex(4)} answered PJSIP/${pick(peers)}-0000${hex(4)}`,
    () =>
      `${stamp()} VERBOSE${tid()}${cid()} bridge_channel.c: Channel PJSIP/${pick(peers)}-0000${hex(4)} joined 'simple_bridge' basic-bridge <${hex(8)}-${hex(4)}-${hex(4)}-${hex(12)}>`,
    () =>
      `${stamp()} VERBOSE${tid()} res_pjsip_registrar.c: Added contact 'sip:${pick(peers)}@192.168.1.${int(254)}:5060;transport=UDP;rinstance=${hex(16)}' to AOR '${pick(peers)}' with expiration of 3600 seconds`,
    () =>
      `${stamp()} VERBOSE${tid()} res_pjsip/pjsip_options.c: Contact ${pick(peers)}/sip:${pick(peers)}@192.168.1.${int(254)}:5060 is now Reachable.  RTT: ${int(90)}.${pad(int(1000), 3)} msec`,
    () => `${stamp()} NOTICE${tid()} chan_sip.c: Peer '${pick(peers)}' is now Reachable. (${int(90)}ms / 2000ms)`,
    () =>
      `${stamp()} WARNING${tid()}${cid()} chan_sip.c: Retransmission timeout reached on transmission ${hex(32)}@192.168.1.${int(254)} for seqno 102 (Critical Request) -- See https://wiki.asterisk.org/wiki/display/AST/SIP+Retransmissions`,
    () => `${stamp()} WARNING${tid()}${cid()} res_rtp_asterisk.c: ${pick(peers)}: RTP Read too short`,
    () => `${stamp()} DEBUG${tid()}${cid()} res_pjsip_session.c: Method is INVITE, Response is 200 OK`,
    () => `${stamp()} VERBOSE${tid()} manager.c: Manager 'fop2' logged on from 127.0.0.1`,
    () =>
      `${stamp()} SECURITY${tid()} res_security_log.c: SecurityEvent="ChallengeSent",EventTV="${tv()}",Severity="Informational",Service="PJSIP",EventVersion="1",AccountID="${pick(peers)}",SessionID="${hex(20)}",LocalAddress="IPV4/UDP/198.51.100.10/5060",RemoteAddress="IPV4/UDP/192.168.1.${int(254)}/5060",Challenge="${hex(32)}"`,
  ];

  for (let n = 0; ;) {
    if (r() < failureRate) yield { text: attacks[n++ % attacks.length]!(pick(attackers)), attack: true };
    else yield { text: noise[int(noise.length)]!(), attack: false };
  }
}
