// The account names the account windows keep (account-names.ts): their memory does not depend on
// the line a name was cut from. A name cut out of a log line is, in V8, a view into the whole line;
// a table that kept the cut kept the line, and an attacker writes the line's other fields (a
// Call-ID, a hash) as long as Asterisk lets them. Also: names compare and come back exactly, the
// longest and the non-ASCII ones included.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Failure } from '../../src/core/types.js';
import { AccountNames } from '../../src/jails/account-names.js';
import { ChallengeTable } from '../../src/jails/challenge-table.js';
import { ACCOUNT_NAME_MAX, AccountWindows } from '../../src/jails/account-windows.js';
import { StringHasher } from '../../src/jails/string-hasher.js';
import { Jail } from '../../src/jails/jail.js';
import { settings, T0 } from './jail-kit.js';
import { settledMemory } from '../helpers/settled-memory.js';

const on = { accountretry: 20, accountminfailures: 2 };

/** The account cut out of a security line padded to `pad` characters by a field the caller writes. */
function cutFromLine(i: number, pad: number): string {
  const account = `user-${String(i).padStart(8, '0')}`;
  const line = `SecurityEvent="InvalidAccountID",AccountID="${account}",SessionID="${'c'.repeat(pad)}",RemoteAddress="IPV4/UDP/198.51.100.1/5060"`;
  const at = line.indexOf('AccountID="') + 11;
  return line.slice(at, at + account.length);
}

test('10,000 accounts each cut out of a 20 KB line: the jail keeps the names, not the lines (under 2 KB an account, all in)', () => {
  const n = 10_000;
  const feed = (j: Jail): void => {
    for (let i = 0; i < n; i++) {
      const f: Failure = {
        ip: `198.18.${i >> 8}.${i & 255}`,
        time: T0 + i,
        kind: 'InvalidAccountID',
        origin: 'log',
        source: 's',
        account: cutFromLine(i, 20_000),
      };
      j.failure(f, T0 + i);
    }
    j.takeWindowChanges();
  };
  const before = settledMemory();
  const j = new Jail(settings({ maxretry: 5, ...on }));
  feed(j);
  const perAccount = (settledMemory() - before) / n;
  assert.equal(j.guardStatus(T0 + n).trackedAccounts, n);
  // a kept cut held its 20 KB line: about 20,000 bytes an account
  assert.ok(perAccount < 2048, `${Math.round(perAccount)} bytes per account`);
});

test('names come back as they were written, compared exactly: non-ASCII, the cap, past the cap, one byte apart', () => {
  const w = new AccountWindows({ retry: 2, findtime: 600_000, minFailures: 1 });
  const names = [
    '1001',
    'sip:alice@example.com',
    'Zoë',
    '内线分机',
    'é'.repeat(30), // past the short names kept as units: 60 bytes of UTF-8 in the slot
    'x'.repeat(24), // the longest kept as units
    'x'.repeat(25), // the shortest kept as UTF-8
    '😀'.repeat(64), // 128 units, 256 bytes
    'é'.repeat(ACCOUNT_NAME_MAX), // 128 units, 256 bytes
    '\u0800'.repeat(ACCOUNT_NAME_MAX), // 128 units, 384 bytes
    'x'.repeat(ACCOUNT_NAME_MAX - 1) + 'a',
    'x'.repeat(ACCOUNT_NAME_MAX - 1) + 'b',
    'x'.repeat(ACCOUNT_NAME_MAX) + 'tail past the cap',
  ];
  let t = T0;
  // two failures each from two addresses: every account under attack, listed by its name
  for (const name of names) {
    w.add(name, '198.51.100.1', (t += 10));
    w.add(name, '198.51.100.2', (t += 10));
  }
  const listed = w.attacked(t, 100).list.map((a) => a.account);
  const cut = names.map((s) => s.slice(0, ACCOUNT_NAME_MAX));
  assert.deepEqual([...listed].sort(), [...new Set(cut)].sort());
  assert.equal(w.size, new Set(cut).size);
  for (const name of cut) assert.ok(w.underAttack(name, t), name);
  assert.deepEqual(
    w.counts(t).map((c) => c.account),
    [...new Set(cut)],
  );
});

test('names an attacker would choose get distinct hashes in both forms: one character apart, a high byte apart, at the form boundary', () => {
  const names = new AccountNames(new StringHasher(0x5eed), ACCOUNT_NAME_MAX);
  const sets = {
    short: Array.from({ length: 4000 }, (_, i) => `${String(i).padStart(8, '0')}`),
    high: Array.from({ length: 4000 }, (_, i) => `ab${String.fromCharCode(0x100 * (1 + (i % 200)) + 0x41, 0x100 * (1 + Math.floor(i / 200)) + 0x41)}`),
    boundary: Array.from({ length: 4000 }, (_, i) => `${'y'.repeat(20)}${String(i).padStart(4 + (i % 2), '0')}`),
    long: Array.from({ length: 4000 }, (_, i) => `${'x'.repeat(124)}${String(i).padStart(4, '0')}`),
  };
  for (const [what, list] of Object.entries(sets)) {
    const hashes = new Set(list.map((n) => names.load(n)));
    assert.ok(hashes.size >= list.length - 2, `${what}: ${hashes.size} of ${list.length}`);
  }
});

test('10,000 pending challenges whose AccountIDs are cut out of 20 KB lines keep the names, not the lines', () => {
  const n = 10_000;
  const before = settledMemory();
  const table = new ChallengeTable(10_000);
  for (let i = 0; i < n; i++) {
    table.challenge({ ip: `198.18.${i >> 8}.${i & 255}`, time: T0 + i, sessionId: `s${i}`, origin: 'log', source: 's', account: cutFromLine(i, 20_000) });
  }
  const perChallenge = (settledMemory() - before) / n;
  assert.equal(table.size, n);
  assert.ok(perChallenge < 2048, `${Math.round(perChallenge)} bytes per challenge`);
  // the account comes back whole with the unanswered challenge's failure
  const failures = table.settle(T0 + n + 10_000);
  assert.equal(failures.length, n);
  assert.equal(failures[7]!.account, 'user-00000007');
});
