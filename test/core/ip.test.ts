import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv4, isIPv6 } from 'node:net';
import { isScopedIp, normalizeIp, parseHostPort, parseCidr, parseIp, IpRangeList, isLoopback } from '../../src/core/ip.js';

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

test('IPv6 syntax: parseIp accepts exactly what node:net isIPv6 accepts (its own parser, no regex compiled at start)', () => {
  // mulberry32: the same strings every run
  let seed = 0x5eed;
  const rnd = (): number => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = (s: string): string => s[Math.floor(rnd() * s.length)]!;
  const valid = [
    '::',
    '::1',
    '1::',
    '2001:db8::1',
    '1:2:3:4:5:6:7:8',
    '::ffff:1.2.3.4',
    '1:2:3:4:5:6:1.2.3.4',
    'fe80::',
    'A:b:C:d:E:f:0:1',
    '::1.2.3.4',
    '1::2:3.4.5.6',
  ];
  const cases: string[] = [...valid];
  for (const v of valid) {
    // every single-character edit of the valid forms: a deletion, a replacement, an insertion
    for (let i = 0; i <= v.length; i++) {
      cases.push(v.slice(0, i) + v.slice(i + 1));
      for (const c of ':.0fgG1 ') {
        cases.push(v.slice(0, i) + c + v.slice(i + 1));
        cases.push(v.slice(0, i) + c + v.slice(i));
      }
    }
  }
  for (let n = 0; n < 20_000; n++) {
    let s = '';
    const len = Math.floor(rnd() * 42);
    for (let i = 0; i < len; i++) s += pick('0123456789abcdefABCDEF::::::..gx');
    cases.push(s);
  }
  let v6 = 0;
  for (const s of cases) {
    if (s.length > 64 || s.includes('%') || s.startsWith('[')) continue;
    const ours = parseIp(s);
    const want = isIPv6(s) || isIPv4(s);
    assert.equal(ours !== null, want, `"${s}": parseIp ${ours === null ? 'refused' : 'accepted'} it, node:net ${want ? 'accepts' : 'refuses'} it`);
    if (want && isIPv6(s)) v6++;
  }
  assert.ok(v6 > 200, `the corpus holds ${v6} valid IPv6 forms`);
});
