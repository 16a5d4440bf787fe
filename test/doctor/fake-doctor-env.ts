// A DoctorEnv made of fakes: Asterisk's files come from the fixture dirs on disk (through the same
// reader the real env uses), everything else (log files, commands, interfaces, AMI, database) is
// scripted per test.

import type { NetworkInterfaceInfo } from 'node:os';
import { diskReader, type ConfigFileReader } from '../../src/config/config-set.js';
import { MemoryRunner } from '../fakes/memory-runner.js';
import type { AmiLoginOutcome, AmiLoginRequest, DatabaseProbe, DoctorEnv, FileAccess } from '../../src/doctor/doctor-types.js';
import type { ClusterConfig } from '../../src/config/cluster-schema.js';
import type { ClusterProbeOutcome } from '../../src/cluster/cluster-probe.js';

export const NOW = new Date(2026, 2, 1, 10, 15, 30, 123).getTime(); // local time, as Asterisk logs

export const FIXTURES = new URL('../../fixtures/asterisk-configs/', import.meta.url).pathname;
export const VOIPGUARD_DIR = `${FIXTURES}voipguard`;
export const GOOD_SECRET = 'c2VjcmV0LWZvci10ZXN0cy1vbmx5LTEyMzQ';

function iface(address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo {
  return family === 'IPv4'
    ? { address, family, internal, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: null }
    : { address, family, internal, netmask: 'ffff:ffff:ffff:ffff::', mac: '00:00:00:00:00:00', cidr: null, scopeid: 0 };
}

export const HOST_INTERFACES: NodeJS.Dict<NetworkInterfaceInfo[]> = {
  lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
  eth0: [iface('192.0.2.10', 'IPv4'), iface('2001:db8::10', 'IPv6'), iface('fe80::1%eth0', 'IPv6')],
};

/** INPUT as voipguard leaves it: its jumps first, then the usual ESTABLISHED accept. */
export function inputChain(order: 'jumps-first' | 'established-first' | 'no-jumps'): string {
  const jumps = ['-A INPUT -p tcp -m multiport --dports 5060,5061 -j f2b-asterisk-tcp', '-A INPUT -p udp -m multiport --dports 5060,5061 -j f2b-asterisk-udp'];
  const est = '-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT';
  const body = order === 'jumps-first' ? [...jumps, est] : order === 'established-first' ? [est, ...jumps] : [est];
  return ['-P INPUT ACCEPT', ...body, '-A INPUT -i lo -j ACCEPT', ''].join('\n');
}

export interface FakeEnvOptions {
  readonly logFiles?: Readonly<Record<string, FileAccess>>;
  readonly files?: Readonly<Record<string, string>>;
  readonly amiUsers?: Readonly<Record<string, string>>;
  readonly amiOutcome?: AmiLoginOutcome;
  readonly database?: DatabaseProbe;
  /** What the fleet's Redis answers (default: two nodes, three bans). */
  readonly cluster?: ClusterProbeOutcome;
  readonly interfaces?: NodeJS.Dict<NetworkInterfaceInfo[]>;
}

export interface FakeEnv extends DoctorEnv {
  readonly runner: MemoryRunner;
  readonly amiCalls: AmiLoginRequest[];
  readonly clusterCalls: { readonly cfg: ClusterConfig; readonly timeoutMs: number }[];
}

export function fakeEnv(opts: FakeEnvOptions = {}): FakeEnv {
  const logFiles: Record<string, FileAccess> = {
    '/var/log/asterisk/security.log': 'readable',
    '/var/log/asterisk/messages.log': 'readable',
    ...opts.logFiles,
  };
  const extra = opts.files ?? {};
  const reader: ConfigFileReader = {
    read: (p) => extra[p] ?? diskReader.read(p),
    list: (d) => diskReader.list(d),
  };
  const runner = new MemoryRunner()
    .when('iptables -w -S INPUT', { stdout: inputChain('jumps-first') })
    .when('ip6tables -w -S INPUT', { stdout: inputChain('jumps-first') });
  const amiCalls: AmiLoginRequest[] = [];
  const clusterCalls: { cfg: ClusterConfig; timeoutMs: number }[] = [];
  const users = opts.amiUsers ?? { voipguard: GOOD_SECRET };
  return {
    reader,
    runner,
    amiCalls,
    clusterCalls,
    fileAccess: (p) => logFiles[p] ?? 'missing',
    networkInterfaces: () => opts.interfaces ?? HOST_INTERFACES,
    hostname: () => 'pbx1',
    now: () => NOW,
    async amiLogin(req) {
      amiCalls.push(req);
      if (opts.amiOutcome) return opts.amiOutcome;
      return users[req.username] === req.secret
        ? { ok: true, banner: 'Asterisk Call Manager/11.0.0' }
        : { ok: false, reason: 'refused', message: 'Authentication failed' };
    },
    async clusterProbe(cfg, timeoutMs) {
      clusterCalls.push({ cfg, timeoutMs });
      return opts.cluster ?? { ok: true, nodes: ['pbx1', 'pbx2'], activeBans: 3, streamLength: 7 };
    },
    probeDatabase: async () => opts.database ?? { ok: true },
  };
}
