// The registration book and the jail's guard (docs/registrations.md): what registers, for how long,
// what a contact may add, and the bounds an attacker cannot push past.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_ACCOUNT_CHARS, type AuthSuccess, type ContactSignal } from '../../src/core/registration.js';
import { contactHost } from '../../src/filters/ami-registrations.js';
import { CONTACT_MAX_AGE, RegistrationBook, RETAIN_MS } from '../../src/jails/registration-book.js';
import { RegisteredGuard } from '../../src/jails/registered-guard.js';
import { protectsRegistered } from '../../src/jails/protect-registered.js';
import { loadConfig } from '../../src/config/load-config.js';
import { CONFIG_DIR, fixtureReader } from '../config/config-kit.js';
import { MIN, T0 } from './jail-kit.js';

const HOUR = 60 * MIN;
const auth = (ip: string, account: string, time = T0): AuthSuccess => ({ type: 'auth', ip, account, time, origin: 'log', source: 't' });
const contact = (account: string, uri: string, state: ContactSignal['state'], time = T0, expires: number | null = null): ContactSignal => ({
  type: 'contact',
  aor: account,
  uri,
  account,
  host: contactHost(uri),
  state,
  expires,
  time,
});

test('a login registers its address for its account only, for the ttl from its own time', () => {
  const b = new RegistrationBook();
  b.observe(auth('203.0.113.20', '1001', T0 - 10 * MIN), T0);
  const v = b.view(HOUR);
  assert.equal(v.isRegisteredFor('203.0.113.20', '1001', T0), true);
  assert.equal(v.isRegisteredFor('203.0.113.20', '1002', T0), false);
  assert.equal(v.isRegisteredFor('203.0.113.21', '1001', T0), false);
  assert.equal(v.isRegistered('203.0.113.20', T0), true);
  assert.equal(v.isRegisteredFor('203.0.113.20', '1001', T0 + 50 * MIN), true);
  assert.equal(v.isRegisteredFor('203.0.113.20', '1001', T0 + 50 * MIN + 1), false, 'ttl counted from the event, not from when it was read');
  assert.deepEqual(v.addresses(T0), ['203.0.113.20']);
  assert.deepEqual(b.view(5 * MIN).addresses(T0), [], 'another jail with a shorter ttl sees it expired');
});

test('a login dated in the future counts at now; one older than a day registers nothing', () => {
  const b = new RegistrationBook();
  b.observe(auth('203.0.113.20', '1001', T0 + HOUR), T0);
  assert.equal(b.view(HOUR).isRegisteredFor('203.0.113.20', '1001', T0 + HOUR + 1), false);
  b.observe(auth('203.0.113.30', '1001', T0 - RETAIN_MS - 1), T0);
  assert.equal(b.stats().pairs, 1);
});

test('a contact is a claim: alone it registers nothing; at a logged-in address it extends the login while live', () => {
  const b = new RegistrationBook();
  const v = b.view(10 * MIN);
  b.observe(contact('1004', 'sip:1004@198.51.100.53:5060', 'live'), T0);
  assert.equal(v.isRegistered('198.51.100.53', T0), false, 'no login: the URI host is the device’s word');
  b.observe(auth('198.51.100.51', '1002'), T0);
  b.observe(contact('1002', 'sip:1002@198.51.100.51:5060', 'live'), T0);
  b.observe(auth('198.51.100.52', '1003'), T0);
  b.observe(contact('1003', 'sip:1003@192.168.1.10:5060', 'live'), T0);
  b.observe(contact('1099', 'sip:1099@198.51.100.51:5060', 'live'), T0);
  const later = T0 + 30 * MIN;
  assert.equal(v.isRegisteredFor('198.51.100.51', '1002', later), true);
  assert.equal(v.isRegisteredFor('198.51.100.51', '1099', later), false, 'a contact of another account at the same host adds nothing');
  assert.equal(v.isRegisteredFor('198.51.100.52', '1003', later), false, 'a private host does not match the login address');
  b.observe(contact('1002', 'sip:1002@198.51.100.51:5060', 'down', later), later);
  assert.equal(v.isRegisteredFor('198.51.100.51', '1002', later), false);
  b.observe(contact('1002', 'sip:1002@198.51.100.51:5060', 'live', later), later);
  assert.equal(v.isRegisteredFor('198.51.100.51', '1002', later + CONTACT_MAX_AGE), true);
  assert.equal(v.isRegisteredFor('198.51.100.51', '1002', later + CONTACT_MAX_AGE + 1), false, 'a contact nobody mentions for 2h is taken as gone');
  b.observe(contact('1002', 'sip:1002@198.51.100.51:5060', 'removed', later), later);
  assert.equal(v.isRegisteredFor('198.51.100.51', '1002', later), false);
  assert.equal(b.stats().contacts, 3);
});

test('contact hosts: v4, bracketed v6, ports and parameters; names and bare v6 are no address', () => {
  assert.equal(contactHost('sip:1001@203.0.113.7:5060;transport=udp'), '203.0.113.7');
  assert.equal(contactHost('sips:1001@[2001:DB8::7]:5061;ob'), '2001:db8::7');
  assert.equal(contactHost('<sip:203.0.113.8>'), '203.0.113.8');
  assert.equal(contactHost('sip:1001@[::ffff:203.0.113.9]:5060'), '203.0.113.9');
  assert.equal(contactHost('sip:1001@phone.example.net'), null);
  assert.equal(contactHost('sip:1001@2001:db8::7'), null);
  assert.equal(contactHost('http://203.0.113.7/'), null);
  assert.equal(contactHost('sip:a@b@203.0.113.7'), null);
});

test('bounded: pairs and contacts beyond the caps evict the least recently seen; long names register nothing', () => {
  const b = new RegistrationBook({ maxPairs: 100, maxContacts: 50 });
  for (let i = 0; i < 10_000; i++) b.observe(auth(`10.0.${i >> 8}.${i & 255}`, `acct${i}`), T0);
  for (let i = 0; i < 10_000; i++) b.observe(contact(`acct${i}`, `sip:acct${i}@10.1.${i >> 8}.${i & 255}`, 'live'), T0);
  const s = b.stats();
  assert.equal(s.pairs, 100);
  assert.equal(s.contacts, 50);
  assert.equal(s.evictedPairs, 9900);
  const v = b.view(HOUR);
  assert.equal(v.isRegisteredFor('10.0.39.15', 'acct9999', T0), true, 'the newest stays');
  assert.equal(v.isRegisteredFor('10.0.0.0', 'acct0', T0), false, 'the oldest went');
  b.observe(auth('203.0.113.1', 'x'.repeat(MAX_ACCOUNT_CHARS + 1)), T0);
  b.observe(auth('203.0.113.1', ''), T0);
  assert.equal(v.isRegistered('203.0.113.1', T0), false);
  assert.equal(v.isRegisteredFor('203.0.113.1', 'x'.repeat(MAX_ACCOUNT_CHARS + 1), T0), false);
});

test('prune forgets old logins and dead contacts, and runs on its own as signals arrive', () => {
  const b = new RegistrationBook();
  b.observe(auth('203.0.113.1', 'a'), T0);
  b.observe(contact('b', 'sip:b@203.0.113.2', 'live'), T0);
  b.prune(T0 + RETAIN_MS + 1);
  assert.deepEqual(b.stats(), { pairs: 0, contacts: 0, evictedPairs: 0, evictedContacts: 0 });
  b.observe(auth('203.0.113.1', 'a'), T0);
  const late = T0 + RETAIN_MS + 1;
  for (let i = 0; i < 4096; i++) b.observe(auth('203.0.113.9', 'z', late), late);
  assert.equal(b.stats().pairs, 1, 'the stale pair went with the periodic prune');
});

test('the guard: protected failures are tallied per address within findtime, bounded, accounts listed once', () => {
  const b = new RegistrationBook();
  b.observe(auth('203.0.113.20', '1001'), T0);
  const g = new RegisteredGuard({ registrations: b.view(HOUR), findtime: 10 * MIN, maxShown: 2 });
  const f = (ip: string, account?: string, kind = 'ChallengeResponseFailed') => ({
    ip,
    time: T0,
    kind,
    origin: 'log' as const,
    source: 't',
    ...(account ? { account } : {}),
  });
  for (let i = 0; i < 300; i++) assert.equal(g.protects(f('203.0.113.20', '1001'), T0 + i, T0 + i), true);
  assert.equal(g.protects(f('203.0.113.20', '1002'), T0, T0), false);
  assert.equal(g.protects(f('203.0.113.20'), T0, T0), false, 'no account, and no accountless rule: counts');
  assert.equal(g.protectedTotal, 300);
  assert.deepEqual(
    g.shown(T0 + 300).map((e) => [e.ip, e.failures, e.accounts]),
    [['203.0.113.20', 256, ['1001']]],
  );
  assert.deepEqual(g.shown(T0 + 11 * MIN), [], 'older than findtime: no longer shown');
});

test('protectregistered: auto is yes exactly when the jail sees logins; a bad value names the key', () => {
  assert.equal(protectsRegistered('auto', { readsSecurityEvents: true, takesAmi: false }), true);
  assert.equal(protectsRegistered('auto', { readsSecurityEvents: false, takesAmi: true }), true);
  assert.equal(protectsRegistered('auto', { readsSecurityEvents: false, takesAmi: false }), false);
  assert.equal(protectsRegistered('yes', { readsSecurityEvents: false, takesAmi: false }), true);
  assert.equal(protectsRegistered('no', { readsSecurityEvents: true, takesAmi: true }), false);
  const cfg = loadConfig(CONFIG_DIR, {
    reader: fixtureReader(null, { 'jail.local': '[asterisk]\nenabled = true\nprotectregistered = maybe\nregisteredttl = 2d\n' }),
  });
  const messages = cfg.errors.map((e) => e.describe()).join('\n');
  assert.match(messages, /jail\.local.*asterisk.*protectregistered/s);
  assert.match(messages, /registeredttl.*out of range/s);
  const ok = loadConfig(CONFIG_DIR, { reader: fixtureReader(null, { 'jail.local': '[asterisk]\nenabled = true\n' }) });
  const j = ok.jails.find((x) => x.name === 'asterisk')!;
  assert.equal(j.protectregistered, 'auto');
  assert.equal(j.registeredttl, HOUR);
});
