// The jails' own index (key-index.ts) and its keyed hash (string-hasher.ts): the index (with its
// keys in an array by record number, as the windows keep them) against a Map under random
// operations, with a hash so weak that every key lands in a few runs (the backward shift of a
// removal, the wrap at the end, the growth); the hash against the inputs an
// attacker controls (names that differ only in one character, only in a high byte, lone
// surrogates, long names); and the seed deciding the hash.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rng } from './jail-kit.js';
import { StringHasher } from '../../src/jails/string-hasher.js';
import { KeyIndex, type KeyHasher } from '../../src/jails/key-index.js';

/** A KeyIndex with its keys by record number, as a window table keeps them: numbers reused. */
class Table {
  readonly index: KeyIndex;
  readonly names: string[] = [];
  private readonly free: number[] = [];
  constructor(hasher: KeyHasher) {
    this.index = new KeyIndex(hasher);
  }
  get(key: string): number | undefined {
    const r = this.index.find(this.index.hash(key), { same: (n) => this.names[n] === key });
    return r < 0 ? undefined : r;
  }
  /** Adds key (absent) under a free number; returns the number. */
  add(key: string): number {
    const r = this.free.pop() ?? this.names.push('') - 1;
    this.names[r] = key;
    this.index.insert(this.index.hash(key), r);
    return r;
  }
  delete(key: string): boolean {
    const r = this.get(key);
    if (r === undefined) return false;
    assert.ok(this.index.remove(this.index.hash(key), r));
    assert.equal(this.index.remove(this.index.hash(key), r), false, 'removed once only');
    this.names[r] = '';
    this.free.push(r);
    return true;
  }
}

function differential(hasher: KeyHasher, keys: number, ops: number, seed: number): void {
  const table = new Table(hasher);
  const map = new Map<string, number>();
  const r = rng(seed);
  for (let i = 0; i < ops; i++) {
    const key = `k${Math.floor(r() * keys)}`;
    const op = r();
    if (op < 0.45) {
      if (!map.has(key)) map.set(key, table.add(key));
    } else if (op < 0.8) assert.equal(table.delete(key), map.delete(key), `delete ${key} at op ${i}`);
    else assert.equal(table.get(key), map.get(key), `get ${key} at op ${i}`);
    assert.equal(table.index.size, map.size);
  }
  for (const [k, v] of map) assert.equal(table.get(k), v, `${k} kept`);
  for (let k = 0; k < keys; k++) if (!map.has(`k${k}`)) assert.equal(table.get(`k${k}`), undefined, `k${k} gone`);
}

test('the index agrees with a Map through inserts, replacements, deletes and growth (the keyed hash)', () => {
  differential(new StringHasher(7), 5000, 60_000, 1);
});

test('the index agrees with a Map when the hash piles keys into a few runs (deletes shift the run back, runs wrap)', () => {
  // eight hash values, all near the top of the range: every run crosses the end of the slots
  const weak: KeyHasher = { hash: (k) => 0x3ffffff0 | (k.charCodeAt(k.length - 1) & 7) | 0 };
  differential(weak, 300, 20_000, 2);
  // one hash value for every key: a single run holding the whole table
  differential({ hash: () => 0 }, 200, 10_000, 3);
});

test('the hash depends on the seed, and only on the seed and the string', () => {
  const a = new StringHasher(1);
  const b = new StringHasher(1);
  const c = new StringHasher(2);
  const names = ['1001', '203.0.113.5', 'x'.repeat(128), 'sip:éàü', '2001:db8::1'];
  for (const n of names) assert.equal(a.hash(n), b.hash(n), n);
  assert.ok(names.filter((n) => a.hash(n) !== c.hash(n)).length >= 4, 'another seed, other hashes');
});

/** Distinct hashes among `names` (each hashed twice: the same string gives the same hash). */
function distinct(h: StringHasher, names: readonly string[]): number {
  // the same hash for a copy, whatever was hashed before it (the buffer holds the last string's bytes)
  const noise = 'z'.repeat(301);
  for (const n of names) {
    const first = h.hash(n);
    h.hash(noise);
    assert.equal(h.hash(n.split('').join('')), first, 'a copy of the string hashes the same');
  }
  return new Set(names.map((n) => h.hash(n))).size;
}

test('names an attacker would choose do not pile up: one character apart, a high byte apart, lone surrogates, long names', () => {
  const h = new StringHasher(0x5eed);
  const n = 4000;
  // 128-character names differing in their last characters (the bench's names)
  const tail = Array.from({ length: n }, (_, i) => `${'x'.repeat(124)}${String(i).padStart(4, '0')}`);
  // the same low byte everywhere, different high bytes (a hash of the low bytes alone collides on all)
  const high = Array.from(
    { length: n },
    (_, i) => `${'a'.repeat(40)}${String.fromCharCode(0x100 * (1 + (i % 200)) + 0x41)}${String.fromCharCode(0x100 * (1 + Math.floor(i / 200)) + 0x41)}`,
  );
  // lone surrogates (never from a decoded log line, but a string may hold them): hashed by units
  const lone = Array.from(
    { length: n },
    (_, i) => `${'b'.repeat(40)}${String.fromCharCode(0xd800 + (i % 1024))}${String.fromCharCode(0xdc00 + Math.floor(i / 1024))}z`,
  );
  // longer than the byte buffer takes: hashed by units
  const long = Array.from({ length: 200 }, (_, i) => `${'y'.repeat(3000)}${i}`);
  // short ones (addresses), hashed by units
  const short = Array.from({ length: n }, (_, i) => `198.51.${i >> 8}.${i & 255}`);
  for (const [what, names] of [
    ['tail', tail],
    ['high', high],
    ['lone', lone],
    ['long', long],
    ['short', short],
  ] as const) {
    // 32-bit hashes of a few thousand strings: a collision or two at most by chance, never a pile
    assert.ok(distinct(h, names) >= names.length - 2, `${what}: ${distinct(h, names)} of ${names.length}`);
  }
});

test('the hash of a short string (an address) and of bytes is NH over its 16-bit words under the keys, computed plainly', () => {
  // the bytes' loop reads a 32-bit word at a time and each key once: it must give the sums written
  // out plainly, two units (or two bytes' words) per product, the second sum's keys shifted by two
  const h = new StringHasher(0xabcdef);
  const { keys, mult, mult2 } = h as unknown as { keys: Int32Array; mult: number; mult2: number };
  const LEN = 2048 + 2;
  const finish = (a: number, b: number): number => {
    let x = Math.imul(a ^ (a >>> 16), mult) ^ Math.imul(b ^ (b >>> 15), mult2);
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
    return (x ^ (x >>> 16)) >>> 2;
  };
  const sums = (w: readonly number[], a: number, b: number): number => {
    for (let i = 0; i < w.length; i += 2) {
      const x = w[i]!;
      const y = w[i + 1] ?? 0;
      a = (a + Math.imul((x + keys[i]!) & 0xffff, (y + keys[i + 1]!) & 0xffff)) | 0;
      b = (b + Math.imul((x + keys[i + 2]!) & 0xffff, (y + keys[i + 3]!) & 0xffff)) | 0;
    }
    return finish(a, b);
  };
  const random = rng(5);
  for (let n = 0; n <= 32; n++) {
    const s = Array.from({ length: n }, () => String.fromCharCode(Math.floor(random() * 0x10000))).join('');
    const units = Array.from({ length: n }, (_, i) => s.charCodeAt(i)); // by units, not code points
    const plain = sums(units, Math.imul(n, keys[LEN]!) ^ keys[LEN + 2]!, Math.imul(n, keys[LEN + 1]!) ^ keys[LEN + 3]!);
    assert.equal(h.hash(s), plain, `${n} units`);
  }
  for (const n of [33, 34, 35, 100, 127, 128, 129, 300, 4096]) {
    const s = Array.from({ length: n }, (_, i) => String.fromCharCode(0x21 + ((i * 7 + n) % 90))).join('');
    const bytes = [...new TextEncoder().encode(s)];
    const words = Array.from({ length: Math.ceil(bytes.length / 2) }, (_, i) => bytes[2 * i]! | ((bytes[2 * i + 1] ?? 0) << 8));
    const plain = sums(words, Math.imul(bytes.length, keys[LEN]!), Math.imul(bytes.length, keys[LEN + 1]!));
    if (n <= 1365) assert.equal(h.hash(s), plain, `${n} bytes`);
  }
});

test('50,000 crafted names spread over the table: no home slot holds more than 12 of them, and every one is found', () => {
  const h = new StringHasher(0xbeef);
  const t = new Table(h);
  const names = Array.from({ length: 50_000 }, (_, i) => `${'\u0100'.repeat(60)}${String.fromCharCode(0x100 + (i % 256), 0x100 + (i >> 8))}`);
  names.forEach((name) => t.add(name));
  // the slots' homes: with a load of at most one half, runs of linear probing stay short
  let worst = 0;
  const bits = Math.ceil(Math.log2(names.length * 2));
  const homes = new Map<number, number>();
  for (const name of names) {
    const home = h.hash(name) >>> (30 - bits);
    homes.set(home, (homes.get(home) ?? 0) + 1);
  }
  for (const c of homes.values()) worst = Math.max(worst, c);
  assert.ok(worst <= 12, `the fullest home slot holds ${worst} names`);
  names.forEach((name, i) => assert.equal(t.get(name), i));
});

test('addresses one apart spread over the slots for every seed (linear probing stays short: about 1.5 probes a key)', () => {
  // 100,000 consecutive IPv4 addresses at the load the table keeps (one half); the probes a lookup of
  // each takes, as the table's own loop would count them
  const keys = Array.from({ length: 100_000 }, (_, i) => {
    const n = 0x0b000000 + i;
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  });
  const bits = 18;
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    const h = new StringHasher(seed);
    const used = new Uint8Array(1 << bits);
    let probes = 0;
    for (const k of keys) {
      let i = h.hash(k) >>> (30 - bits);
      probes++;
      while (used[i] === 1) {
        i = (i + 1) & ((1 << bits) - 1);
        probes++;
      }
      used[i] = 1;
    }
    const mean = probes / keys.length;
    assert.ok(mean < 2, `seed ${seed}: ${mean.toFixed(2)} probes a key`);
  }
});
