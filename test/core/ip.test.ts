import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isScopedIp, normalizeIp, parseHostPort, parseCidr, IpRangeList, isLoopback } from '../../src/core/ip.js';

test('IPv4 is kept, leading zeros and junk are refused', () => {
  assert.equal(normalizeIp('203.0.113.5'), '203.0.113.5');
  assert.equal(normalizeIp('203.000.113.5'), null);
  assert.equal(normalizeIp('256.1.1.1'), null);
  assert.equal(normalizeIp('1.2.3'), null);
  assert.equal(normalizeIp('1.2.3.4 '), null);
  assert.equal(normalizeIp('1.2.3.4;rm -rf /'), null);
  assert.equal(normalizeIp(''), null);
});

test('IPv6 is normalised to RFC 5952, brackets removed', () => {
  assert.equal(normalizeIp('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
  assert.equal(normalizeIp('[2001:db8::1]'), '2001:db8::1');
  assert.equal(normalizeIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(normalizeIp('::'), '::');
  assert.equal(normalizeIp('::1'), '::1');
  assert.equal(normalizeIp('2001:db8::g'), null);
  assert.equal(normalizeIp('fe80::1%eth0;ls'), null);
});

test('a scoped address is refused for bans (fe80::1 on another link is another host); ignoreip may drop the zone', () => {
  for (const text of ['fe80::1%eth0', '[fe80::1%eth0]', 'fe80::1%2', 'FE80::1%lo']) {
    assert.equal(normalizeIp(text), null, text);
    assert.equal(isScopedIp(text), true, text);
  }
  assert.equal(parseHostPort('[fe80::1%eth0]:5060'), null, 'as Asterisk prints a scoped peer: not a failure address');
  assert.equal(parseCidr('fe80::1%eth0/64'), null);
  assert.equal(normalizeIp('fe80::1%eth0', true), 'fe80::1');
  assert.equal(parseCidr('fe80::%eth0/10', true)?.text, 'fe80::/10');
  assert.equal(isScopedIp('fe80::1'), false);
  assert.equal(isScopedIp('fe80::1%eth0;ls'), false);
});

test('IPv4-mapped IPv6 becomes IPv4', () => {
  assert.equal(normalizeIp('::ffff:198.51.100.7'), '198.51.100.7');
  assert.equal(normalizeIp('::FFFF:c633:6407'), '198.51.100.7');
});

test('host:port forms as Asterisk prints them', () => {
  assert.deepEqual(parseHostPort('203.0.113.5:5060'), { ip: '203.0.113.5', port: 5060 });
  assert.deepEqual(parseHostPort('[2001:db8::1]:5060'), { ip: '2001:db8::1', port: 5060 });
  assert.deepEqual(parseHostPort('2001:db8::1'), { ip: '2001:db8::1', port: null });
  assert.deepEqual(parseHostPort('203.0.113.5'), { ip: '203.0.113.5', port: null });
  assert.equal(parseHostPort('203.0.113.5:99999'), null);
  assert.equal(parseHostPort('[2001:db8::1]x'), null);
  assert.equal(parseHostPort('host.example:5060'), null);
});

test('CIDR ranges contain what they should and nothing else', () => {
  const l = new IpRangeList([parseCidr('10.0.0.0/8')!, parseCidr('2001:db8::/32')!, parseCidr('192.0.2.7')!]);
  assert.ok(l.contains('10.200.3.4'));
  assert.ok(!l.contains('11.0.0.1'));
  assert.ok(l.contains('2001:db8:ffff::1'));
  assert.ok(!l.contains('2001:db9::1'));
  assert.ok(l.contains('192.0.2.7'));
  assert.ok(!l.contains('192.0.2.8'));
  assert.ok(l.contains('::ffff:10.1.1.1'));
  assert.equal(parseCidr('10.0.0.0/33'), null);
  assert.equal(parseCidr('10.0.0.0/x'), null);
  assert.equal(parseCidr('10.1.2.3/8')!.text, '10.0.0.0/8');
  assert.equal(parseCidr('::ffff:10.0.0.0/104')!.text, '10.0.0.0/8');
});

test('loopback is recognised for v4 and v6', () => {
  assert.ok(isLoopback('127.0.0.1'));
  assert.ok(isLoopback('127.8.9.10'));
  assert.ok(isLoopback('::1'));
  assert.ok(isLoopback('::ffff:127.0.0.1'));
  assert.ok(!isLoopback('128.0.0.1'));
});
