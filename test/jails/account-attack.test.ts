// Scenarios (manual clock) for per-account counting across addresses: docs/beyond-one-address.md.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Decision, Failure } from '../../src/core/types.js';
import { Jail } from '../../src/jails/jail.js';
import { ACCOUNT_NAME_MAX, AccountWindows } from '../../src/jails/account-windows.js';
import { AccountModel } from './account-model.js';
import { CollidingHasher, MIN, settings, T0 } from './jail-kit.js';

const SEC = 1000;

function against(account: string, ip: string, time: number, kind = 'InvalidPassword'): Failure {
  return { ip, time, kind, origin: 'log', source: '/var/log/asterisk/security', service: 'PJSIP', account };
}

/** 198.18.x.y: one address per attacker i. */
function addr(i: number): string {
  return `198.18.${i >> 8}.${i & 255}`;
}

const on = { accountretry: 20, accountminfailures: 2 };

test('500 addresses × 2 tries against one account: every one banned for account-attack, none reaches maxretry, one account-attack fact', () => {
  const j = new Jail(settings({ maxretry: 5, ...on }));
  const bans: Decision[] = [];
  let t = T0;
  for (let i = 0; i < 500; i++) {
    for (let k = 0; k < 2; k++) {
      t += 100;
      bans.push(...j.failure(against('100', addr(i), t), t));
    }
  }
  assert.equal(bans.length, 500);
  assert.ok(bans.every((d) => d.type === 'ban' && d.reason === 'account-attack'));
  assert.deepEqual(new Set(bans.map((d) => d.ip)).size, 500);
  // the attack starts on the 20th failure: the ten addresses that have two each go at once
  const notices = j.takeNotices();
  assert.equal(notices.length, 1);
  assert.deepEqual(notices[0], { event: 'account-attack', jail: 'asterisk', account: '100', addresses: 10, banned: 10, time: T0 + 2000 });
  assert.equal(j.guardStatus(t).accountsUnderAttack, 1);
  assert.equal(j.guardStatus(t).accounts[0]!.account, '100');
});

test('with accountretry at its default (0) the same attack bans nobody: today’s behaviour', () => {
  const j = new Jail(settings({ maxretry: 5 }));
  let t = T0;
  for (let i = 0; i < 500; i++) for (let k = 0; k < 2; k++) assert.deepEqual(j.failure(against('100', addr(i), (t += 100)), t), []);
  assert.equal(j.takeNotices().length, 0);
  assert.equal(j.guardStatus(t).accountsUnderAttack, 0);
});

test('an address with one failure is left alone when the attack starts, and banned when it reaches accountminfailures while the window holds', () => {
  const j = new Jail(settings({ accountretry: 4, accountminfailures: 2 }));
  assert.deepEqual(j.failure(against('200', addr(1), T0), T0), []);
  assert.deepEqual(j.failure(against('200', addr(2), T0 + SEC), T0 + SEC), []);
  assert.deepEqual(j.failure(against('200', addr(2), T0 + 2 * SEC), T0 + 2 * SEC), []);
  // the 4th failure: under attack; addr(2) has 2, addr(3) has 1, addr(1) has 1
  const d = j.failure(against('200', addr(3), T0 + 3 * SEC), T0 + 3 * SEC);
  assert.deepEqual(
    d.map((x) => x.ip),
    [addr(2)],
  );
  const d2 = j.failure(against('200', addr(1), T0 + 4 * SEC), T0 + 4 * SEC);
  assert.deepEqual(
    d2.map((x) => [x.ip, x.type === 'ban' && x.reason]),
    [[addr(1), 'account-attack']],
  );
});

test('the attack ends accountfindtime after the last failure that held the count: two tries later ban nobody', () => {
  const j = new Jail(settings({ accountretry: 3, accountminfailures: 2, accountfindtime: MIN }));
  for (let i = 0; i < 3; i++) j.failure(against('300', addr(i), T0 + i * SEC), T0 + i * SEC);
  assert.equal(j.guardStatus(T0 + 3 * SEC).accountsUnderAttack, 1);
  const later = T0 + 2 * SEC + MIN + 1;
  j.tick(later);
  assert.equal(j.guardStatus(later).accountsUnderAttack, 0);
  assert.deepEqual(j.failure(against('300', addr(50), later), later), []);
  assert.deepEqual(j.failure(against('300', addr(50), later + SEC), later + SEC), []);
});

test('failures spread wider than accountfindtime never make an attack', () => {
  const j = new Jail(settings({ accountretry: 5, accountminfailures: 1, accountfindtime: MIN }));
  for (let i = 0; i < 50; i++) assert.deepEqual(j.failure(against('400', addr(i), T0 + i * 20 * SEC), T0 + i * 20 * SEC), []);
});

test('accountfindtime defaults to the jail’s findtime', () => {
  const j = new Jail(settings({ accountretry: 3, accountminfailures: 1, findtime: 10 * MIN }));
  j.failure(against('500', addr(1), T0), T0);
  j.failure(against('500', addr(2), T0 + 9 * MIN), T0 + 9 * MIN);
  assert.equal(j.failure(against('500', addr(3), T0 + 10 * MIN), T0 + 10 * MIN).length, 3);
});

test('an address failing against the attacked account that already reached maxretry is banned once, as detected', () => {
  const j = new Jail(settings({ maxretry: 3, accountretry: 3, accountminfailures: 1 }));
  j.failure(against('600', addr(1), T0), T0);
  j.failure(against('600', addr(1), T0 + 1), T0 + 1);
  const d = j.failure(against('600', addr(1), T0 + 2), T0 + 2);
  assert.deepEqual(
    d.map((x) => x.type === 'ban' && x.reason),
    ['detected'],
  );
});

test('ignoreip wins over per-account counting', () => {
  const j = new Jail(settings({ accountretry: 2, accountminfailures: 1, ignoreip: ['198.18.0.0/24'] }));
  for (let i = 0; i < 10; i++) assert.deepEqual(j.failure(against('700', addr(i), T0 + i), T0 + i), []);
});

test('`<unknown>` and empty AccountIDs name no account and are never counted together', () => {
  const j = new Jail(settings({ accountretry: 2, accountminfailures: 1 }));
  for (let i = 0; i < 10; i++) {
    assert.deepEqual(j.failure(against('<unknown>', addr(i), T0 + i), T0 + i), []);
    assert.deepEqual(j.failure(against('', addr(i + 100), T0 + i), T0 + i), []);
  }
});

test('hostile account names: quotes and newlines are one account like any other; a 10 KB name is cut to the cap', () => {
  const j = new Jail(settings({ accountretry: 3, accountminfailures: 1 }));
  const quoted = '100",RemoteAddress="IPV4/UDP/6.6.6.6/5060\n{"event":"ban"}';
  j.failure(against(quoted, addr(1), T0), T0);
  j.failure(against(quoted, addr(2), T0 + 1), T0 + 1);
  const d = j.failure(against(quoted, addr(3), T0 + 2), T0 + 2);
  assert.equal(d.length, 3);
  assert.equal(j.takeNotices()[0]!.account, quoted);
  // two 10 KB names that differ after the cap count as one account, stored cut
  const long = 'x'.repeat(10 * 1024);
  j.failure(against(long + 'a', addr(10), T0 + 3), T0 + 3);
  j.failure(against(long + 'b', addr(11), T0 + 4), T0 + 4);
  assert.equal(j.failure(against(long + 'c', addr(12), T0 + 5), T0 + 5).length, 3);
  const n = j.takeNotices()[0]!;
  assert.equal(n.event === 'account-attack' && n.account.length, ACCOUNT_NAME_MAX);
  for (const a of j.guardStatus(T0 + 5).accounts) assert.ok(a.account.length <= ACCOUNT_NAME_MAX);
});

test('memory is bounded: distinct accounts past the cap evict the least recently failed, addresses per account and pairs too', () => {
  const w = new AccountWindows({ retry: 10, findtime: 10 * MIN, minFailures: 2 }, { accounts: 1000, addressesPerAccount: 50, pairs: 2000 });
  for (let i = 0; i < 5000; i++) w.add(`acct${i}`, addr(i % 300), T0 + i);
  assert.equal(w.size, 1000);
  assert.equal(w.evicted, 4000);
  for (let i = 0; i < 200; i++) w.add('wide', addr(i), T0 + 6000 + i);
  assert.ok(w.counts(T0 + 6200).find((c) => c.account === 'wide')!.addresses <= 50 + 10);
  // the account under a heavy attack stays: the spray evicts the quiet ones first
  const h = new AccountWindows({ retry: 5, findtime: 10 * MIN, minFailures: 2 }, { accounts: 100 });
  for (let i = 0; i < 10_000; i++) {
    h.add(`spray${i}`, addr(1), T0 + i);
    if (i % 10 === 0) h.add('target', addr(i % 500), T0 + i);
  }
  assert.ok(h.underAttack('target', T0 + 10_000));
});

test('a runtime change of accountretry takes effect at the next failure; 0 switches the rule off and forgets its state', () => {
  const j = new Jail(settings({ accountretry: 0 }));
  j.setSettings(settings({ accountretry: 2, accountminfailures: 1 }));
  j.failure(against('800', addr(1), T0), T0);
  assert.equal(j.failure(against('800', addr(2), T0 + 1), T0 + 1).length, 2);
  j.setSettings(settings({ accountretry: 0 }));
  assert.equal(j.guardStatus(T0 + 2).accountsUnderAttack, 0);
  assert.deepEqual(j.failure(against('800', addr(3), T0 + 2), T0 + 2), []);
});

test('an evicted account, attacked or not, leaves nothing behind in the entry the next name reuses', () => {
  const w = new AccountWindows({ retry: 3, findtime: 10 * MIN, minFailures: 2 }, { accounts: 2 });
  for (let i = 0; i < 3; i++) w.add('1001', `203.0.113.${i}`, T0 + i);
  assert.ok(w.underAttack('1001', T0 + 3));
  // two failures each make tracked accounts (a name tried once is only seen once, and never pushes one out)
  w.add('1002', '198.51.100.1', T0 + 4);
  w.add('1002', '198.51.100.1', T0 + 5);
  w.add('1003', '198.51.100.2', T0 + 6);
  w.add('1003', '198.51.100.2', T0 + 7); // evicts 1001, the least recently failed
  assert.equal(w.underAttack('1001', T0 + 8), false);
  assert.equal(w.underAttack('1003', T0 + 8), false);
  assert.deepEqual(w.attacked(T0 + 8).list, []);
  const c = w.counts(T0 + 8);
  assert.deepEqual(
    c.map((x) => [x.account, x.failures, x.addresses, x.underAttack]),
    [
      ['1002', 2, 1, false],
      ['1003', 2, 1, false],
    ],
  );
  // the reused entry counts from two: a third failure against 1003 starts its attack and bans the address with two
  assert.deepEqual(w.add('1003', '198.51.100.3', T0 + 9).ban, ['198.51.100.2']);
  // 1001 comes back as a name seen once: one failure, no attack
  assert.deepEqual(w.add('1001', '203.0.113.0', T0 + 10).ban, []);
  assert.equal(w.underAttack('1001', T0 + 10), false);
});

test('a spray of names each tried once never pushes out an account tried twice: the attack on it still counts', () => {
  const w = new AccountWindows({ retry: 3, findtime: 10 * MIN, minFailures: 2 }, { accounts: 2, newcomers: 4 });
  w.add('1001', addr(1), T0);
  w.add('1001', addr(2), T0 + 1);
  for (let i = 0; i < 10_000; i++) w.add(`spray${i}`, addr(10 + (i % 3000)), T0 + 2 + i);
  assert.equal(w.size, 1 + 4);
  assert.equal(w.evicted, 10_000 - 4);
  // the third failure against 1001 starts its attack: addr(1) has two and goes
  const r = w.add('1001', addr(1), T0 + 10_002);
  assert.deepEqual(r.ban, [addr(1)]);
  assert.equal(r.started?.account, '1001');
});

test('a jail at its default caps: a spray of 60,000 names tried once between the tries of a distributed attack does not hide it', () => {
  const j = new Jail(settings({ maxretry: 5, ...on }));
  let t = T0;
  for (let i = 0; i < 10; i++) assert.deepEqual(j.failure(against('100', addr(i), (t += 100)), t), []);
  // the attacker floods names each tried once from new addresses, past the 50,000 accounts a jail tracks
  for (let i = 0; i < 60_000; i++) assert.deepEqual(j.failure(against(`spray-${i}`, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, (t += 1)), t), []);
  // the same ten addresses try again: the 20th failure against 100 starts the attack, and every
  // address with two goes
  const bans: Decision[] = [];
  for (let i = 0; i < 10; i++) bans.push(...j.failure(against('100', addr(i), (t += 100)), t));
  assert.deepEqual(bans.map((d) => d.ip).sort(), Array.from({ length: 10 }, (_, i) => addr(i)).sort());
  assert.ok(bans.every((d) => d.type === 'ban' && d.reason === 'account-attack'));
  assert.deepEqual(
    j.takeNotices().map((n) => n.event === 'account-attack' && [n.account, n.addresses]),
    [['100', 10]],
  );
});

test('a name pushed out of the names seen once leaves nothing behind: its next failure counts one, its address none', () => {
  const w = new AccountWindows({ retry: 2, findtime: 10 * MIN, minFailures: 1 }, { accounts: 10, newcomers: 2 });
  assert.deepEqual(w.add('A', addr(1), T0).ban, []);
  w.add('B', addr(2), T0 + 1);
  w.add('C', addr(3), T0 + 2); // A, the oldest seen once, goes
  assert.equal(w.evicted, 1);
  assert.deepEqual(w.add('A', addr(4), T0 + 3).ban, []); // one failure: no attack at retry 2 (B goes)
  assert.deepEqual([...w.add('C', addr(5), T0 + 4).ban].sort(), [addr(3), addr(5)]); // C's second: both its addresses
  assert.deepEqual([...w.add('A', addr(6), T0 + 5).ban].sort(), [addr(4), addr(6)]); // never addr(1)
});

test('with every name on one hash, a place among the names seen once reused by another name hands over nothing', () => {
  const w = new AccountWindows({ retry: 2, findtime: 10 * MIN, minFailures: 1 }, { accounts: 4, newcomers: 1 }, new CollidingHasher(1));
  w.add('a', addr(1), T0);
  w.add('b', addr(2), T0 + 1); // a goes; b takes its place (and its number)
  assert.deepEqual(w.add('a', addr(3), T0 + 2).ban, []); // a is new again: one failure; b goes
  assert.deepEqual(w.add('a', addr(3), T0 + 3).ban, [addr(3)]); // a's second: addr(1)'s failure was forgotten
  assert.deepEqual(w.add('b', addr(2), T0 + 4).ban, []); // b is new again
  // two names seen once side by side on one hash: each takes its own first failure along
  const v = new AccountWindows({ retry: 2, findtime: 10 * MIN, minFailures: 1 }, { accounts: 4, newcomers: 4 }, new CollidingHasher(1));
  v.add('x', addr(7), T0);
  v.add('y', addr(8), T0 + 1);
  assert.deepEqual([...v.add('y', addr(9), T0 + 2).ban].sort(), [addr(8), addr(9)]);
  assert.deepEqual([...v.add('x', addr(10), T0 + 3).ban].sort(), [addr(10), addr(7)].sort());
});

test('the second failure against a name makes it an account with its first failure and address: the third starts the attack', () => {
  const w = new AccountWindows({ retry: 3, findtime: 10 * MIN, minFailures: 2 }, {});
  w.add('A', addr(1), T0); // seen once
  w.add('A', addr(2), T0 + SEC);
  const r = w.add('A', addr(1), T0 + 2 * SEC);
  assert.deepEqual(r.ban, [addr(1)]); // two failures: addr(2) has one
  assert.deepEqual(r.started, { account: 'A', since: T0 + 2 * SEC, addresses: 2, banned: 1 });
  // with accountretry 1, a name is an account from its first failure: the attack starts at once
  const one = new AccountWindows({ retry: 1, findtime: 10 * MIN, minFailures: 1 }, {});
  assert.deepEqual(one.add('B', addr(3), T0).ban, [addr(3)]);
});

test('prune forgets names seen once whose failure left the window, oldest first, and keeps the fresh ones', () => {
  const w = new AccountWindows({ retry: 5, findtime: 10 * MIN, minFailures: 2 }, {});
  w.add('p', addr(9), T0);
  w.add('p', addr(9), T0 + 1);
  for (let i = 0; i < 3; i++) w.add(`n${i}`, addr(i), T0 + i * MIN);
  assert.equal(w.size, 4);
  // before the prune, the failures that left the window count nothing
  assert.deepEqual(
    w.counts(T0 + 11 * MIN + 1).map((c) => [c.account, c.failures]),
    [
      ['p', 0],
      ['n0', 0],
      ['n1', 0],
      ['n2', 1],
    ],
  );
  w.prune(T0 + 11 * MIN + 1); // the window reaches back past n0 and n1 (and p's newest)
  assert.deepEqual(
    w.counts(T0 + 11 * MIN + 1).map((c) => [c.account, c.failures]),
    [['n2', 1]],
  );
  assert.equal(w.size, 1);
  assert.equal(w.evicted, 0); // pruned, not pushed out by a cap
  w.prune(T0 + 13 * MIN);
  assert.equal(w.size, 0);
});

test('accounts are evicted in least-recently-failed order exactly, names seen once oldest first, against a model; counts() lists them in that order', () => {
  const cap = 40;
  const once = 15;
  const w = new AccountWindows({ retry: 1000, findtime: 10 * MIN, minFailures: 2 }, { accounts: cap, newcomers: once });
  const tracked: string[] = []; // least recently failed first
  const seen: string[] = []; // names seen once, oldest first
  const arrived: string[] = []; // the last `once` names that arrived new (some tracked since)
  const last = new Map<string, number>();
  let seed = 11;
  const rnd = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x80000000) * n);
  for (let i = 0; i < 20_000; i++) {
    // most names come back; one in four is new and tried once
    const name = rnd(4) === 0 ? `once${i}` : `acct${rnd(100)}`;
    const at = tracked.indexOf(name);
    const first = seen.indexOf(name);
    if (at >= 0) tracked.splice(at, 1);
    else if (first >= 0) {
      seen.splice(first, 1);
      if (tracked.length >= cap) tracked.shift();
    }
    if (at >= 0 || first >= 0) tracked.push(name);
    else {
      // a name seen once lasts until `once` more names have arrived after it
      if (arrived.length >= once) {
        const gone = seen.indexOf(arrived.shift()!);
        if (gone >= 0) seen.splice(gone, 1);
      }
      arrived.push(name);
      seen.push(name);
    }
    last.set(name, T0 + i);
    w.add(name, addr(rnd(5)), T0 + i);
  }
  assert.equal(w.size, cap + seen.length);
  assert.ok(seen.length > 0 && seen.length < once, String(seen.length)); // holes: names promoted since
  assert.deepEqual(
    w.counts(T0 + 20_000).map((c) => c.account),
    [...tracked, ...seen],
  );
  // prune forgets from the least recently failed on, until a fresh one, in both
  const now = T0 + 10 * MIN + 20_000 - 1 - 50;
  w.prune(now);
  const fresh = (n: string) => last.get(n)! >= now - 10 * MIN;
  assert.ok(w.size > 0 && w.size < cap + seen.length, String(w.size));
  assert.deepEqual(
    w.counts(T0 + 20_000).map((c) => c.account),
    [...tracked.filter(fresh), ...seen.filter(fresh)],
  );
});

test('a wide extension scan past the pair cap starts each account’s attack once and keeps it: the oldest pairs go, not the accounts', () => {
  // 300 extensions, each failed against by 40 new addresses within the window: 12,000 pairs for a
  // cap of 1,000. Evicting whole accounts at the pair cap restarted the same attacks over and over.
  const w = new AccountWindows({ retry: 20, findtime: 10 * MIN, minFailures: 2 }, { pairs: 1000 });
  let started = 0;
  for (let i = 0; i < 12_000; i++) if (w.add(String(100 + (i % 300)), addr(i), T0 + i).started !== null) started++;
  assert.equal(started, 300);
  assert.equal(w.attacks, 300);
  assert.equal(w.evicted, 0);
  assert.ok(w.evictedPairs > 10_000, String(w.evictedPairs));
  assert.equal(w.attacked(T0 + 12_000).count, 300);
  // an address that comes back within the window to an extension under attack is banned at its second try
  const back = 11_999 - 299; // its pair is among the newest, still held
  const ext = String(100 + (back % 300));
  assert.deepEqual(w.add(ext, addr(back), T0 + 12_001).ban, [addr(back)]);
});

/** Account names of every form the windows keep them in (account-names.ts): short ones as units,
 *  longer ones as UTF-8 in their slot (ASCII and not, the slot full), past the slot a copy. */
function accountName(i: number): string {
  switch (i % 5) {
    case 0:
      return `ext${i}`;
    case 1:
      return `sip-user-${String(i).padStart(24, '0')}`;
    case 2:
      return `${'a'.repeat(ACCOUNT_NAME_MAX - 4)}${String(i).padStart(4, '0')}`;
    case 3:
      return `${'é'.repeat(50)}${i}`;
    default:
      return `${'é'.repeat(100)}${i}`;
  }
}

test('the account windows agree with a plain model of the same rules under random failures, with every cap reached', () => {
  for (const [seed, caps, minFailures, hashing] of [
    [1, { accounts: 30, addressesPerAccount: 8, pairs: 60 }, 2, 'keyed'],
    [2, { accounts: 12, addressesPerAccount: 3, pairs: 500, newcomers: 3 }, 3, 'keyed'],
    [3, { accounts: 50, addressesPerAccount: 1, pairs: 40, newcomers: 1 }, 2, 'keyed'],
    [4, { accounts: 1000, addressesPerAccount: 4096, pairs: 100_000 }, 1, 'keyed'],
    // every name and address on one hash: each lookup compares names and addresses for real
    [5, { accounts: 40, addressesPerAccount: 6, pairs: 80, newcomers: 10 }, 2, 'colliding'],
    // accountretry 1 (below): every name an account from its first failure, none seen once
    [6, { accounts: 20, addressesPerAccount: 4, pairs: 60 }, 1, 'keyed'],
    // many names (below): the names seen once fill places past their first allocation and come round
    [7, { accounts: 50, addressesPerAccount: 8, pairs: 200, newcomers: 150 }, 2, 'keyed'],
  ] as const) {
    const limits = { retry: seed === 6 ? 1 : 6, findtime: 5 * MIN, minFailures };
    const w = new AccountWindows(limits, caps, hashing === 'colliding' ? new CollidingHasher(1) : undefined);
    const m = new AccountModel(limits.retry, limits.findtime, limits.minFailures, caps);
    let s: number = seed;
    const rnd = (n: number) => Math.floor(((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x80000000) * n);
    let t = T0;
    for (let i = 0; i < 30_000; i++) {
      t += rnd(3) * SEC;
      const account = accountName(rnd(seed === 7 ? 400 : 60));
      const ip = addr(rnd(120));
      const got = w.add(account, ip, t);
      assert.deepEqual({ ban: [...got.ban], started: got.started }, m.add(account, ip, t), `seed ${seed}, failure ${i}`);
    }
    assert.deepEqual(
      w.counts(t).map((c) => [c.account, c.failures, c.addresses, c.underAttack]),
      m.counts(t),
    );
  }
});
