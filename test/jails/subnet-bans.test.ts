// Subnet bans: K distinct banned addresses of one prefix within subnetfindtime ban the prefix, with
// the jail's ban time and increments, unless the prefix holds an address that must keep working.
// The attacker's cases first: a prefix that hides a registered phone, the host, an ignoreip range.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Jail, type JailDeps } from '../../src/jails/jail.js';
import { requireRanges, SubnetBans, type SubnetSettings } from '../../src/jails/subnet-bans.js';
import { OsHostAddresses } from '../../src/daemon/host-addresses.js';
import type { VoipguardError } from '../../src/core/errors.js';
import { NO_REGISTRATIONS, type HostAddresses, type LiveRegistrations } from '../../src/core/protection.js';
import type { Decision } from '../../src/core/types.js';
import { failure, MIN, settings, T0 } from './jail-kit.js';

const HOUR = 60 * MIN;
const SUBNET: SubnetSettings = { maxBans: 3, prefix4: 24, prefix6: 64, findtime: HOUR };
const NO_HOST: HostAddresses = { addresses: () => [] };

function registered(...ips: string[]): LiveRegistrations {
  return {
    isRegistered: (ip) => ips.includes(ip),
    isRegisteredFor: (ip) => ips.includes(ip),
    addresses: () => ips,
  };
}

function jail(opts: { subnet?: Partial<SubnetSettings>; host?: HostAddresses; regs?: LiveRegistrations; ignoreip?: string[]; deps?: JailDeps } = {}) {
  const subnets = new SubnetBans({ ...SUBNET, ...opts.subnet }, opts.host ?? NO_HOST, opts.regs ?? NO_REGISTRATIONS);
  const cfg = settings({ maxretry: 1, ...(opts.ignoreip ? { ignoreip: ['127.0.0.1/8', '::1', ...opts.ignoreip] } : {}) });
  return new Jail(cfg, { ...opts.deps, subnets });
}

const bans = (ds: readonly Decision[]) => ds.filter((d) => d.type === 'ban').map((d) => `${d.ip}:${d.type === 'ban' ? d.reason : ''}`);

test('three banned addresses of one /24 within the window ban the /24 as one entry, reason subnet, the jail ban time', () => {
  const j = jail();
  assert.deepEqual(bans(j.failure(failure('203.0.113.1', T0), T0)), ['203.0.113.1:detected']);
  assert.deepEqual(bans(j.failure(failure('203.0.113.2', T0 + MIN), T0 + MIN)), ['203.0.113.2:detected']);
  const d = j.failure(failure('203.0.113.77', T0 + 2 * MIN), T0 + 2 * MIN);
  assert.deepEqual(bans(d), ['203.0.113.77:detected', '203.0.113.0/24:subnet']);
  const subnet = d[1]!;
  assert.ok(subnet.type === 'ban');
  assert.equal(subnet.until, T0 + 2 * MIN + 10 * MIN, 'the jail bantime');
  assert.equal(subnet.failures, 3, 'the addresses that made it due');
  assert.ok(j.isBanned('203.0.113.0/24'));
  // another address of the prefix is not counted again: the prefix holds it
  assert.deepEqual(j.failure(failure('203.0.113.200', T0 + 3 * MIN), T0 + 3 * MIN), []);
  // a neighbouring prefix is its own count
  assert.deepEqual(bans(j.failure(failure('203.0.114.1', T0 + 3 * MIN), T0 + 3 * MIN)), ['203.0.114.1:detected']);
});

test('addresses banned further apart than subnetfindtime do not add up; IPv6 counts per /64', () => {
  const j = jail();
  j.failure(failure('198.51.100.1', T0), T0);
  j.failure(failure('198.51.100.2', T0 + 30 * MIN), T0 + 30 * MIN);
  // the first is out of the hour: two in the window, no subnet ban
  assert.deepEqual(bans(j.failure(failure('198.51.100.3', T0 + 61 * MIN), T0 + 61 * MIN)), ['198.51.100.3:detected']);
  assert.deepEqual(bans(j.failure(failure('198.51.100.4', T0 + 62 * MIN), T0 + 62 * MIN)), ['198.51.100.4:detected', '198.51.100.0/24:subnet']);
  const v6 = jail();
  v6.failure(failure('2001:db8:1:2::1', T0), T0);
  v6.failure(failure('2001:db8:1:2::2', T0), T0);
  v6.failure(failure('2001:db8:1:3::3', T0), T0); // another /64
  assert.deepEqual(bans(v6.failure(failure('2001:db8:1:2:ffff::9', T0), T0)), ['2001:db8:1:2:ffff::9:detected', '2001:db8:1:2::/64:subnet']);
});

test('a prefix holding a registered phone is never banned: refused once, with why, kept for status', () => {
  const j = jail({ regs: registered('203.0.113.50') });
  for (const [i, ip] of ['203.0.113.1', '203.0.113.2', '203.0.113.3'].entries()) j.failure(failure(ip, T0 + i), T0 + i);
  assert.equal(j.isBanned('203.0.113.0/24'), false);
  const refused = j.takeSubnetRefusals();
  assert.deepEqual(
    refused.map((r) => [r.prefix, r.why, r.address, r.addresses.length]),
    [['203.0.113.0/24', 'registered', '203.0.113.50', 3]],
  );
  // a fourth ban in the same window: still refused, not logged again
  assert.deepEqual(bans(j.failure(failure('203.0.113.4', T0 + MIN), T0 + MIN)), ['203.0.113.4:detected']);
  assert.deepEqual(j.takeSubnetRefusals(), []);
  assert.equal(j.subnetRefusals().length, 1);
  // the phone registered elsewhere: another prefix is banned as usual
  for (const ip of ['192.0.2.1', '192.0.2.2']) j.failure(failure(ip, T0 + MIN), T0 + MIN);
  assert.deepEqual(bans(j.failure(failure('192.0.2.3', T0 + MIN), T0 + MIN)), ['192.0.2.3:detected', '192.0.2.0/24:subnet']);
});

test('a prefix holding an ignoreip range or address, or one of the host addresses, is refused with why', () => {
  const ign = jail({ ignoreip: ['203.0.113.128/25'] });
  for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) ign.failure(failure(ip, T0), T0);
  assert.equal(ign.isBanned('203.0.113.0/24'), false);
  assert.deepEqual(
    ign.takeSubnetRefusals().map((r) => [r.why, r.address]),
    [['ignoreip', '203.0.113.128/25']],
  );
  const host = jail({ host: { addresses: () => ['10.0.0.1', '203.0.113.254', 'fe80::1'] } });
  for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) host.failure(failure(ip, T0), T0);
  assert.equal(host.isBanned('203.0.113.0/24'), false);
  assert.deepEqual(
    host.takeSubnetRefusals().map((r) => [r.why, r.address]),
    [['host', '203.0.113.254']],
  );
  // the host address is read when a prefix falls due (an address added since start counts)
  let addrs: string[] = [];
  const later = jail({ host: { addresses: () => addrs } });
  later.failure(failure('198.51.100.1', T0), T0);
  later.failure(failure('198.51.100.2', T0), T0);
  addrs = ['198.51.100.9'];
  later.failure(failure('198.51.100.3', T0), T0);
  assert.equal(later.isBanned('198.51.100.0/24'), false);
});

test('the subnet ban has its own increments: an earlier ban of the prefix doubles it', () => {
  const history = (ip: string) => (ip === '203.0.113.0/24' ? 1 : 0);
  const subnets = new SubnetBans(SUBNET, NO_HOST, NO_REGISTRATIONS);
  const cfg = settings({ maxretry: 1, increment: { enabled: true, factor: 1, multipliers: [], maxtime: null, rndtime: null, overalljails: false } });
  const j = new Jail(cfg, { history, subnets });
  let last: readonly Decision[] = [];
  for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3']) last = j.failure(failure(ip, T0), T0);
  const s = last.find((d) => d.type === 'ban' && d.reason === 'subnet');
  assert.ok(s && s.type === 'ban');
  assert.equal(s.banCount, 2);
  assert.equal(s.until, T0 + 20 * MIN);
});

test('off by default (subnetmaxbans = 0), and memory stays bounded under a spread of prefixes', () => {
  const off = jail({ subnet: { maxBans: 0 } });
  for (const ip of ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4']) off.failure(failure(ip, T0), T0);
  assert.equal(off.isBanned('203.0.113.0/24'), false);
  const s = new SubnetBans(SUBNET, NO_HOST, NO_REGISTRATIONS, 100);
  const none = () => null;
  for (let i = 0; i < 5000; i++) s.observe(`10.${(i >> 8) & 255}.${i & 255}.1`, T0 + i, none);
  assert.equal(s.trackedPrefixes, 100);
  // the most recently touched prefixes are the ones kept
  s.observe(`10.19.135.2`, T0 + 5000, none);
  assert.deepEqual(s.observe(`10.19.135.3`, T0 + 5001, none), {
    kind: 'ban',
    prefix: '10.19.135.0/24',
    addresses: ['10.19.135.1', '10.19.135.2', '10.19.135.3'],
  });
});

test('subnetmaxbans with an action that holds single addresses only (nftables) is a config error naming file, section and key', () => {
  const cfg = { name: 'asterisk', file: '/etc/voipguard/jail.local', subnetmaxbans: 5 };
  assert.throws(
    () => requireRanges(cfg, ['nftables[asterisk-udp]']),
    (e: VoipguardError) =>
      e.code === 'VG_CONFIG_ARGS' &&
      e.place.key === 'subnetmaxbans' &&
      e.place.section === 'asterisk' &&
      e.place.file === '/etc/voipguard/jail.local' &&
      /nftables\[asterisk-udp\] holds single addresses only/.test(e.message),
  );
  requireRanges(cfg, []);
  requireRanges({ ...cfg, subnetmaxbans: 0 }, ['nftables[asterisk-udp]']);
});

test("the host's addresses come from every interface, canonical and once each (a scoped link-local without its zone)", () => {
  const host = new OsHostAddresses(
    () =>
      ({
        lo: [{ address: '127.0.0.1' }, { address: '::1' }],
        eth0: [{ address: '203.0.113.254' }, { address: 'fe80::1%eth0' }, { address: '2001:DB8::0:1' }],
        eth1: [{ address: '203.0.113.254' }],
      }) as unknown as ReturnType<typeof import('node:os').networkInterfaces>,
  );
  assert.deepEqual([...host.addresses()].sort(), ['127.0.0.1', '2001:db8::1', '203.0.113.254', '::1', 'fe80::1'].sort());
});
