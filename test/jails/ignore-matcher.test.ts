import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IgnoreMatcher } from '../../src/jails/ignore-matcher.js';

test('loopback is never banned, even with an empty ignoreip', () => {
  const m = new IgnoreMatcher([], []);
  assert.equal(m.match('127.0.0.1'), 'loopback');
  assert.equal(m.match('127.255.3.4'), 'loopback');
  assert.equal(m.match('::1'), 'loopback');
  assert.equal(m.match('128.0.0.1'), null);
});

test("the host's own addresses, single IPs, v4 and v6 ranges", () => {
  const m = new IgnoreMatcher(['192.168.9.0/24', '198.51.100.7', '2001:db8:aa::/48', '0.0.0.0/1'], ['203.0.113.10', '2001:DB8::10']);
  assert.equal(m.match('203.0.113.10'), 'self');
  assert.equal(m.match('2001:db8::10'), 'self');
  assert.equal(m.match('192.168.9.200'), 'ignoreip');
  assert.equal(m.match('192.168.10.1'), null);
  assert.equal(m.match('198.51.100.7'), 'ignoreip');
  assert.equal(m.match('198.51.100.8'), null);
  assert.equal(m.match('2001:db8:aa:ffff::1'), 'ignoreip');
  assert.equal(m.match('2001:db8:ab::1'), null);
  assert.equal(m.match('10.1.2.3'), 'ignoreip'); // in 0.0.0.0/1
  assert.equal(m.match('200.1.2.3'), null);
});

test('entries are added and removed at run time, in canonical form', () => {
  const m = new IgnoreMatcher([], []);
  assert.equal(m.add('10.0.0.1/8'), true);
  assert.equal(m.add('10.0.0.0/8'), false);
  assert.equal(m.match('10.9.9.9'), 'ignoreip');
  assert.deepEqual(m.entries(), ['10.0.0.0/8']);
  assert.equal(m.remove('10.0.0.0/8'), true);
  assert.equal(m.match('10.9.9.9'), null);
  assert.throws(() => m.add('10.0.0.0/33'), RangeError);
});

test('single addresses match by value, a few of them or many, as they are added and removed', () => {
  for (const n of [1, 8, 9, 40]) {
    const singles = Array.from({ length: n }, (_, i) => `198.51.100.${i + 1}`);
    const selves = Array.from({ length: n }, (_, i) => `203.0.113.${i + 1}`);
    const m = new IgnoreMatcher(singles, selves);
    // strings made afresh (as a filter cuts them out of a line), not the ones given
    const fresh = (ip: string) => ` ${ip}`.slice(1);
    for (const ip of singles) assert.equal(m.match(fresh(ip)), 'ignoreip', `${n}: ${ip}`);
    for (const ip of selves) assert.equal(m.match(fresh(ip)), 'self', `${n}: ${ip}`);
    assert.equal(m.match(`198.51.100.${n + 1}`), null);
    assert.equal(m.match(`203.0.113.${n + 1}`), null);
    m.remove(singles[0]!);
    assert.equal(m.match(fresh(singles[0]!)), null, `${n}: removed`);
    m.add('192.0.2.77');
    assert.equal(m.match(fresh('192.0.2.77')), 'ignoreip', `${n}: added`);
  }
});
