// The wire's decoder on what another node (or whoever can write to Redis) may put in a stream
// entry: the record packed as JSON (what this version publishes) against the same record as
// separate fields (older nodes), and packed texts an attacker would try.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEntry, encodeEntry, MAX_JSON, ownPrefixes, packEntry, PACKED_FIELD, startsAs, type ClusterEntry, type Decoded } from '../../src/cluster/wire.js';

const entryOf = (d: Decoded) => ('entry' in d ? d.entry : d);

const ban: ClusterEntry = {
  op: 'ban',
  node: 'pbx-a',
  jail: 'asterisk',
  ip: '203.0.113.7',
  reason: 'detected',
  banCount: 2,
  start: 1_796_300_000_000,
  until: null,
};
const unban: ClusterEntry = { op: 'unban', node: 'pbx-a', jail: 'asterisk', ip: '2001:db8::7', time: 1_796_300_000_000 };

test('a packed entry decodes to the same record as its fields apart (an older node’s entry)', () => {
  for (const e of [ban, unban]) {
    const fields = encodeEntry(e);
    assert.deepEqual(entryOf(decodeEntry(packEntry(JSON.stringify(fields)))), e);
    assert.deepEqual(entryOf(decodeEntry(Object.entries(fields).flat())), e);
  }
});

test('packed texts an attacker would write are refused as malformed, never thrown', () => {
  const good = encodeEntry(ban);
  const refused = (list: string[]) => 'refused' in decodeEntry(list) && decodeEntry(list);
  for (const text of [
    '{"v":"1","op":"ban"', // cut
    '[]',
    'null',
    '"a string"',
    '42',
    JSON.stringify({ ...good, count: 2 }), // a number where a string goes: dropped, so missing
    JSON.stringify({ ...good, ip: { toString: '203.0.113.7' } }),
    JSON.stringify({ ...good, pad: 'x'.repeat(MAX_JSON) }), // longer than the bound, whatever it holds
    JSON.stringify(Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v']))), // too many fields
    JSON.stringify({ ...good, v: '2' }),
  ]) {
    assert.ok(refused([PACKED_FIELD, text]), text.slice(0, 60));
  }
});

test('a __proto__ key in a packed entry is one more field, not the prototype of anything', () => {
  const text = JSON.stringify(encodeEntry(ban)).replace('{', '{"__proto__":{"polluted":"yes"},');
  assert.deepEqual(entryOf(decodeEntry([PACKED_FIELD, text])), ban);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  // the parsed object is read, not copied: its own __proto__ key is data, and a __proto__ that is
  // a string is never taken for a field either
  const sneaky = JSON.stringify(encodeEntry(ban)).replace('"op":"ban"', '"__proto__":"x","op":"ban"');
  assert.deepEqual(entryOf(decodeEntry([PACKED_FIELD, sneaky])), ban);
});

test('a list that merely starts with the packed field name is read as fields apart', () => {
  const fields = Object.entries(encodeEntry(ban)).flat();
  assert.ok('refused' in decodeEntry([PACKED_FIELD, JSON.stringify(encodeEntry(ban)), 'v', '1']));
  assert.deepEqual(entryOf(decodeEntry([...fields, PACKED_FIELD, 'ignored'])), ban);
});

test('a node knows its own packed entries by their first characters, and only its own', () => {
  // what this version publishes for a ban and an unban of node pbx-a (redis-bus.ts: JSON.stringify of encodeEntry)
  const packed = (e: ClusterEntry) => packEntry(JSON.stringify(encodeEntry(e)));
  const mine = ownPrefixes('pbx-a');
  assert.equal(startsAs(packed(ban), mine), true);
  assert.equal(startsAs(packed(unban), mine), true);
  // another node whose name merely begins like ours, or ends like it
  for (const node of ['pbx-a2', 'pbx', 'xpbx-a']) {
    assert.equal(startsAs(packed({ ...ban, node }), mine), false, node);
    assert.equal(startsAs(packed({ ...unban, node }), mine), false, node);
  }
  // an older node's fields apart, and a list that only starts with the packed field name, are decoded as before
  assert.equal(startsAs(Object.entries(encodeEntry(ban)).flat(), mine), false);
  assert.equal(startsAs([PACKED_FIELD, JSON.stringify(encodeEntry(ban)), 'x', 'y'], mine), false);
  assert.equal(startsAs(encodeEntry(ban), mine), false, 'an active-set record');
});

test('a decoded entry carries its address parsed, in the canonical form of its text', () => {
  for (const [given, canonical, prefix] of [
    ['203.0.113.7', '203.0.113.7', 32],
    ['2001:DB8:0::7', '2001:db8::7', 128],
    ['::ffff:203.0.113.9', '203.0.113.9', 32],
    ['198.51.100.0/24', '198.51.100.0/24', 24],
  ] as const) {
    const d = decodeEntry(packEntry(JSON.stringify({ ...encodeEntry(ban), ip: given })));
    assert.ok('entry' in d && d.target, given);
    assert.equal(d.entry.ip, canonical);
    assert.equal(d.target.text, canonical);
    assert.equal(d.target.prefix, prefix);
  }
  // an address that does not parse reaches the checks as text, with no target: refused there
  const d = decodeEntry(packEntry(JSON.stringify({ ...encodeEntry(ban), ip: '203.0.113.256' })));
  assert.ok('entry' in d);
  assert.equal(d.entry.ip, '203.0.113.256');
  assert.equal(d.target, undefined);
});
