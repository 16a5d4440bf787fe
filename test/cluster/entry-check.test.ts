// The checks of another node's entry with the protected lists parsed once per batch
// (ParsedProtection): the lists are read once however many entries a batch holds, and the verdicts
// are those of the per-entry parse: attacker cases first.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkEntry, ParsedProtection, type CheckContext } from '../../src/cluster/entry-check.js';
import type { ClusterEntry } from '../../src/cluster/wire.js';

const HOUR = 3_600_000;
const NOW = 1_800_000_000_000;

function context(): { ctx: CheckContext; calls: { host: number; ignore: Record<string, number> } } {
  const calls = { host: 0, ignore: {} as Record<string, number> };
  const lists = {
    host: {
      addresses: () => {
        calls.host++;
        return ['192.0.2.10', 'fe80::1%eth0', 'not an address', '2001:db8::10'];
      },
    },
    ignoreip: (jail: string) => {
      calls.ignore[jail] = (calls.ignore[jail] ?? 0) + 1;
      return jail === 'asterisk' ? ['198.51.100.0/24', '2001:db8:1::/48'] : [];
    },
  };
  const ctx: CheckContext = {
    self: 'me',
    jails: new Set(['asterisk', 'sip']),
    accept: new Set(['detected', 'subnet']),
    maxBanTime: 24 * HOUR,
    ...lists,
    registrations: { isRegistered: (ip) => ip === '192.0.2.77', isRegisteredFor: () => false, addresses: () => ['192.0.2.77'] },
    parsed: new ParsedProtection(lists),
  };
  return { ctx, calls };
}

const entry = (ip: string, over: Partial<Extract<ClusterEntry, { op: 'ban' }>> = {}): ClusterEntry => ({
  op: 'ban',
  node: 'other',
  jail: 'asterisk',
  ip,
  reason: 'detected',
  banCount: 1,
  start: NOW,
  until: NOW + HOUR,
  ...over,
});

test('protected addresses are still refused with the lists parsed once per batch', () => {
  const { ctx } = context();
  const verdict = (e: ClusterEntry) => {
    const c = checkEntry(e, ctx, NOW);
    return c.ok ? 'ok' : 'refused' in c ? c.refused : c.skip;
  };
  assert.equal(verdict(entry('192.0.2.10')), 'protected'); // the host's own address
  assert.equal(verdict(entry('2001:db8::10')), 'protected'); // the host's own IPv6 address
  assert.equal(verdict(entry('198.51.100.7')), 'protected'); // ignoreip range
  assert.equal(verdict(entry('2001:db8:1::5')), 'protected'); // ignoreip IPv6 range
  assert.equal(verdict(entry('198.51.0.0/16', { reason: 'subnet' })), 'protected'); // a range covering ignoreip
  assert.equal(verdict(entry('192.0.2.77')), 'protected'); // a live registration
  assert.equal(verdict(entry('127.0.0.2')), 'protected'); // loopback
  assert.equal(verdict(entry('::1')), 'protected'); // loopback
  // the same address is not protected in a jail without that ignoreip
  assert.equal(verdict(entry('198.51.100.7', { jail: 'sip' })), 'ok');
  assert.equal(verdict(entry('203.0.113.9')), 'ok');
});

test('a batch of 10,000 entries reads and parses the host addresses once and each jail ignoreip once', () => {
  const { ctx, calls } = context();
  let ok = 0;
  for (let i = 0; i < 10_000; i++) {
    const c = checkEntry(entry(`100.64.${i >> 8}.${i & 255}`, { jail: i % 2 ? 'asterisk' : 'sip' }), ctx, NOW);
    if (c.ok) ok++;
  }
  assert.equal(ok, 10_000);
  assert.equal(calls.host, 1);
  assert.deepEqual(calls.ignore, { asterisk: 1, sip: 1 });
});
