// An address's one failure against an account kept with the address's record (single-failures.ts),
// not as a pair: the attacker's cases first (a record or an account number reused must never hand
// one address's failure to another), then that it changes nothing while the address stays tracked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Decision, Failure } from '../../src/core/types.js';
import { Jail } from '../../src/jails/jail.js';
import { AccountWindows } from '../../src/jails/account-windows.js';
import { AccountModel } from './account-model.js';
import { MIN, rng, settings, T0 } from './jail-kit.js';

const SEC = 1000;

function against(account: string, ip: string, time: number): Failure {
  return { ip, time, kind: 'InvalidPassword', origin: 'log', source: '/var/log/asterisk/security', service: 'PJSIP', account };
}

function addr(i: number): string {
  return `198.18.${i >> 8}.${i & 255}`;
}

function ips(ds: readonly Decision[]): string[] {
  return ds.map((d) => d.ip);
}

/** A jail whose account '100' is under attack (accountretry 4, 2 failures ban): addr(0) failed
 *  once (the account's first address, kept in the account), addr(5) three times (banned). */
function attacked(maxTracked: number): { j: Jail; t: number } {
  const j = new Jail(settings({ maxretry: 10, accountretry: 4, accountminfailures: 2 }), { maxTracked });
  let t = T0;
  j.failure(against('100', addr(0), (t += SEC)), t);
  j.failure(against('100', addr(5), (t += SEC)), t);
  j.failure(against('100', addr(5), (t += SEC)), t);
  assert.deepEqual(ips(j.failure(against('100', addr(5), (t += SEC)), t)), [addr(5)]);
  assert.equal(j.guardStatus(t).accountsUnderAttack, 1);
  return { j, t };
}

test('an address whose record goes takes its single failure along: the next address given that record starts from nothing', () => {
  // the failure windows track 2 addresses: a third evicts the least recently seen, and its record
  // number goes to the newcomer
  const { j, t: t0 } = attacked(2);
  let t = t0;
  assert.deepEqual(j.failure(against('100', addr(1), (t += SEC)), t), []); // one failure: kept with addr(1)'s record
  j.failure(against('999', addr(2), (t += SEC)), t);
  j.failure(against('999', addr(3), (t += SEC)), t); // addr(1) evicted; addr(3) has its record
  // addr(3) failing against '100' once is its first failure there: never a second one that
  // addr(1) left in the record
  assert.deepEqual(j.failure(against('100', addr(3), (t += SEC)), t), []);
  assert.deepEqual(ips(j.failure(against('100', addr(3), (t += SEC)), t)), [addr(3)]);
  // addr(1), back with a record of its own, starts from one: its first failure went with its record
  assert.deepEqual(j.failure(against('100', addr(1), (t += SEC)), t), []);
  assert.deepEqual(ips(j.failure(against('100', addr(1), (t += SEC)), t)), [addr(1)]);
});

test('a record that goes while it holds a single failure moves nothing to the newcomer, and the account stops counting it', () => {
  const { j, t: t0 } = attacked(2);
  let t = t0;
  j.failure(against('100', addr(1), (t += SEC)), t); // single failure of addr(1) against '100'
  const status = () => j.guardStatus(t).accounts.find((a) => a.account === '100')!.addresses;
  assert.equal(status(), 3); // addr(0), addr(1), addr(5) (banned)
  j.failure(against('999', addr(2), (t += SEC)), t);
  j.failure(against('999', addr(3), (t += SEC)), t); // addr(1) evicted with its single failure
  assert.equal(status(), 2);
  // addr(3) on the old record fails against '300': the record's old single failure ('100',
  // addr(1)) is not moved to a pair as addr(3)'s
  j.failure(against('300', addr(4), (t += SEC)), t);
  j.failure(against('300', addr(3), (t += SEC)), t);
  assert.deepEqual(j.failure(against('100', addr(3), (t += SEC)), t), []);
  assert.equal(status(), 3); // addr(0), addr(3), addr(5)
});

test('an account number reused for another name does not take the single failures kept for the one dropped', () => {
  // one account tracked at a time: each new name drops the last and takes its number
  const w = new AccountWindows({ retry: 3, findtime: 10 * MIN, minFailures: 2, singles: true }, { accounts: 1 });
  const rec = 7; // addr(1)'s record in the caller's failure windows, never gone here
  w.add('A', addr(9), T0, -1, 9);
  w.add('A', addr(1), T0 + 1, -1, rec); // single failure of addr(1) against A, in record 7
  w.add('B', addr(9), T0 + 2, -1, 9); // A dropped; B has its number
  w.add('B', addr(8), T0 + 3, -1, 8);
  w.add('B', addr(9), T0 + 4, -1, 9); // 3 failures: B under attack
  assert.ok(w.underAttack('B', T0 + 4));
  // addr(1)'s failure against A is not one against B
  assert.deepEqual(w.add('B', addr(1), T0 + 5, -1, rec).ban, []);
  assert.deepEqual(w.add('B', addr(1), T0 + 6, -1, rec).ban, [addr(1)]);
});

test('an address that fails against A, then B, then A again has two failures against A', () => {
  const w = new AccountWindows({ retry: 3, findtime: 10 * MIN, minFailures: 2, singles: true });
  w.add('A', addr(9), T0, -1, 9); // A's first address
  w.add('A', addr(1), T0 + 1, -1, 1); // single against A
  w.add('B', addr(8), T0 + 2, -1, 8);
  w.add('B', addr(1), T0 + 3, -1, 1); // single against B; the one against A moves to a pair
  w.add('A', addr(9), T0 + 4, -1, 9); // A's third failure: under attack, addr(9) has 2
  assert.ok(w.underAttack('A', T0 + 4));
  assert.deepEqual(w.add('A', addr(1), T0 + 5, -1, 1).ban, [addr(1)]);
  assert.deepEqual(
    w.counts(T0 + 5).map((c) => [c.account, c.addresses]),
    [
      ['B', 2],
      ['A', 2],
    ],
  );
});

test('a second failure against the same account past the window leaves one failure, still kept with the address', () => {
  const w = new AccountWindows({ retry: 3, findtime: MIN, minFailures: 2, singles: true });
  w.add('A', addr(9), T0, -1, 9);
  w.add('A', addr(1), T0 + 1, -1, 1);
  // past the window: the second failure is the only one inside it
  assert.deepEqual(w.add('A', addr(1), T0 + 2 * MIN, -1, 1), { ban: [], started: null });
  w.add('A', addr(9), T0 + 2 * MIN + 1, -1, 9);
  w.add('A', addr(9), T0 + 2 * MIN + 2, -1, 9); // 3 inside the window: under attack
  assert.ok(w.underAttack('A', T0 + 2 * MIN + 2));
  assert.deepEqual(w.add('A', addr(1), T0 + 2 * MIN + 3, -1, 1).ban, [addr(1)]);
});

test('with a cap of one address per account, a new address replaces the first at once, as without single failures', () => {
  const w = new AccountWindows({ retry: 4, findtime: 10 * MIN, minFailures: 2, singles: true }, { addressesPerAccount: 1 });
  w.add('A', addr(9), T0, -1, 9); // the first address
  w.add('A', addr(1), T0 + 1, -1, 1); // replaces it (not kept apart as a single failure)
  assert.equal(w.counts(T0 + 1)[0]!.addresses, 1);
  w.add('A', addr(1), T0 + 2, -1, 1);
  // the fourth failure starts the attack: addr(1), with three, is banned; addr(9) is no longer known
  assert.deepEqual(w.add('A', addr(1), T0 + 3, -1, 1).ban, [addr(1)]);
  w.addressGone(1); // nothing kept in addr(1)'s record: the count is unchanged
  assert.equal(w.counts(T0 + 3)[0]!.addresses, 1); // addr(1), banned
});

test('the account counts an address kept as a single failure until its record goes', () => {
  const w = new AccountWindows({ retry: 50, findtime: 10 * MIN, minFailures: 2, singles: true });
  for (let i = 0; i < 10; i++) w.add('A', addr(i), T0 + i, -1, i);
  assert.equal(w.counts(T0 + 10)[0]!.addresses, 10);
  w.addressGone(3);
  w.addressGone(3); // told twice: counted once
  w.addressGone(0); // the first address is kept in the account, not in its record
  w.addressGone(42); // a record that held nothing
  assert.equal(w.counts(T0 + 10)[0]!.addresses, 9);
});

test('an address banned for maxretry loses its single failure with its record', () => {
  const j = new Jail(settings({ maxretry: 3, accountretry: 3, accountminfailures: 2 }));
  let t = T0;
  j.failure(against('A', addr(9), (t += SEC)), t); // A's first address
  j.failure(against('A', addr(8), (t += SEC)), t); // a single failure
  j.failure(against('B', addr(1), (t += SEC)), t);
  j.failure(against('C', addr(1), (t += SEC)), t);
  // addr(1)'s third failure: banned for maxretry; A's third: under attack, with three addresses
  const d = j.failure(against('A', addr(1), (t += SEC)), t);
  assert.deepEqual(
    d.map((x) => [x.ip, x.reason]),
    [[addr(1), 'detected']],
  );
  const n = j.takeNotices();
  assert.equal(n.length === 1 && n[0]!.event === 'account-attack' && n[0]!.addresses, 3);
  // its record went with the ban, and its single failure with it
  assert.equal(j.guardStatus(t).accounts[0]!.addresses, 2);
});

test('with accountfindtime longer than findtime, failures are kept as pairs: one older than findtime still counts', () => {
  const j = new Jail(settings({ maxretry: 10, findtime: MIN, accountretry: 3, accountminfailures: 2, accountfindtime: 30 * MIN }));
  let t = T0;
  j.failure(against('A', addr(9), (t += SEC)), t);
  j.failure(against('A', addr(1), (t += SEC)), t);
  t += 5 * MIN;
  j.tick(t); // addr(1)'s record is pruned: its failure is findtime old
  j.failure(against('A', addr(9), (t += SEC)), t); // under attack: addr(9) has 2
  assert.deepEqual(ips(j.failure(against('A', addr(1), (t += SEC)), t)), [addr(1)]);
});

test('while every address stays tracked, single failures change nothing: the same bans, attacks and counts as pairs alone', () => {
  for (const seed of [1, 2, 3, 4]) {
    const limits = { retry: 6, findtime: 5 * MIN, minFailures: seed === 4 ? 3 : 2 };
    // a small account cap: accounts are dropped and their numbers reused under the single failures
    const caps = { accounts: seed === 3 ? 8 : 40, addressesPerAccount: 4096, pairs: 100_000 };
    const pairsOnly = new AccountWindows(limits, caps);
    const singles = new AccountWindows({ ...limits, singles: true }, caps);
    const random = rng(seed);
    let t = T0;
    for (let i = 0; i < 20_000; i++) {
      t += Math.floor(random() * 3) * SEC;
      const account = `ext${Math.floor(random() * 60)}`;
      const a = Math.floor(random() * 200);
      const got = singles.add(account, addr(a), t, -1, a);
      const want = pairsOnly.add(account, addr(a), t);
      assert.deepEqual({ ban: [...got.ban].sort(), started: got.started }, { ban: [...want.ban].sort(), started: want.started }, `seed ${seed}, failure ${i}`);
    }
    assert.deepEqual(singles.counts(t), pairsOnly.counts(t));
    assert.equal(singles.attacks, pairsOnly.attacks);
  }
});

test('with single failures, the account windows agree with a plain model under random failures and records that go, every cap reached', () => {
  // [seed, caps, accountminfailures, account names]: few names keep accounts long enough to reach
  // the cap of addresses per account
  for (const [seed, caps, minFailures, names] of [
    [11, { accounts: 30, addressesPerAccount: 8, pairs: 60 }, 2, 60],
    [12, { accounts: 12, addressesPerAccount: 3, pairs: 500, newcomers: 2 }, 3, 60],
    [13, { accounts: 50, addressesPerAccount: 1, pairs: 40 }, 2, 60],
    [14, { accounts: 1000, addressesPerAccount: 4096, pairs: 100_000 }, 2, 60],
    [15, { accounts: 8, addressesPerAccount: 3, pairs: 200, newcomers: 1 }, 2, 6],
    [16, { accounts: 50, addressesPerAccount: 2, pairs: 40, newcomers: 5 }, 3, 10],
    [17, { accounts: 8, addressesPerAccount: 1, pairs: 200 }, 2, 6],
  ] as const) {
    const limits = { retry: 6, findtime: 5 * MIN, minFailures };
    const w = new AccountWindows({ ...limits, singles: true }, caps);
    const m = new AccountModel(limits.retry, limits.findtime, limits.minFailures, caps, true);
    const random = rng(seed);
    // each address has a record number while it is tracked; a record that goes is reused
    const records = new Map<string, number>();
    const free: number[] = [];
    let next = 0;
    let t = T0;
    for (let i = 0; i < 30_000; i++) {
      t += Math.floor(random() * 3) * SEC;
      const ip = addr(Math.floor(random() * 120));
      if (random() < 0.05) {
        // the failure windows let an address go (evicted, banned, pruned): its record is reused
        const r = records.get(ip);
        if (r !== undefined) {
          w.addressGone(r);
          m.gone(ip);
          records.delete(ip);
          free.push(r);
        }
        continue;
      }
      let r = records.get(ip);
      if (r === undefined) {
        r = free.pop() ?? next++;
        records.set(ip, r);
      }
      const account = `ext${Math.floor(random() * names)}`;
      const got = w.add(account, ip, t, -1, r);
      assert.deepEqual({ ban: [...got.ban], started: got.started }, m.add(account, ip, t), `seed ${seed}, failure ${i}`);
    }
    assert.deepEqual(
      w.counts(t).map((c) => [c.account, c.failures, c.addresses, c.underAttack]),
      m.counts(t),
    );
  }
});

test('accountminfailures set to 1 at runtime: the single failures kept until then count at the attack’s start, as pairs would', () => {
  const j = new Jail(settings({ maxretry: 10, accountretry: 4, accountminfailures: 2 }));
  let t = T0;
  for (const ip of [addr(1), addr(1), addr(2)]) assert.deepEqual(j.failure(against('X', ip, (t += SEC)), t), []);
  // X tracked, addr(1) its first address, addr(2)'s failure kept with its record
  j.setSettings(settings({ maxretry: 10, accountretry: 4, accountminfailures: 1 }));
  // the 4th failure starts the attack: every address with one failure or more goes
  assert.deepEqual(ips(j.failure(against('X', addr(3), (t += SEC)), t)).sort(), [addr(1), addr(2), addr(3)].sort());
  const n = j.takeNotices()[0]!;
  assert.equal(n.event === 'account-attack' && n.addresses, 3); // addr(2) counted once, as a pair now
});

test('accountfindtime raised above findtime at runtime: a single failure kept until then outlives its address’s record', () => {
  const cfg = { maxretry: 10, findtime: MIN, accountretry: 4, accountminfailures: 2 };
  const j = new Jail(settings({ ...cfg, accountfindtime: MIN }));
  let t = T0;
  for (const ip of [addr(9), addr(9), addr(1)]) assert.deepEqual(j.failure(against('X', ip, (t += SEC)), t), []);
  // X tracked, addr(9) its first address, addr(1)'s failure kept with its record
  j.setSettings(settings({ ...cfg, accountfindtime: 30 * MIN }));
  t += 5 * MIN;
  j.tick(t); // addr(1)'s record is pruned: its failure is findtime old
  // addr(1)'s second failure within accountfindtime: X is under attack (4 failures), addr(1) and addr(9) have two each
  assert.deepEqual(ips(j.failure(against('X', addr(1), (t += SEC)), t)).sort(), [addr(1), addr(9)].sort());
});

test('findtime lowered at runtime below accountfindtime (`set <jail> findtime`): the single failures kept until then become pairs and still count', () => {
  const cfg = { maxretry: 10, accountretry: 4, accountminfailures: 2, accountfindtime: 30 * MIN };
  const j = new Jail(settings({ ...cfg, findtime: 30 * MIN }));
  let t = T0;
  for (const ip of [addr(9), addr(9), addr(1)]) assert.deepEqual(j.failure(against('X', ip, (t += SEC)), t), []);
  j.setSettings(settings({ ...cfg, findtime: MIN }));
  t += 5 * MIN;
  j.tick(t); // the address records are pruned at the new findtime
  assert.deepEqual(ips(j.failure(against('X', addr(1), (t += SEC)), t)).sort(), [addr(1), addr(9)].sort());
});
