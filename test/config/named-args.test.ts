import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNamedArgs, parseNamedArgs, parseNamedArgsList } from '../../src/config/named-args.js';
import { VoipguardError } from '../../src/core/errors.js';

const isArgsError = (e: unknown) => e instanceof VoipguardError && e.code === 'VG_CONFIG_ARGS';

test('a multi-line action list with quoted commas keeps each action and its arguments', () => {
  const list = parseNamedArgsList(
    'iptables[name=SSH, port=ssh, protocol=tcp]\nsendmail-whois[name=SSH, dest=foofoo@gamil.com, sender=fail2ban@bar.com, sendername="Fail2Ban"]',
  );
  assert.deepEqual(list, [
    { name: 'iptables', args: { name: 'SSH', port: 'ssh', protocol: 'tcp' } },
    { name: 'sendmail-whois', args: { name: 'SSH', dest: 'foofoo@gamil.com', sender: 'fail2ban@bar.com', sendername: 'Fail2Ban' } },
  ]);
});

test('quoted values may hold commas, ] and the other quote; bare values are trimmed', () => {
  const [a] = parseNamedArgsList(`nftables[type=multiport, name=SMTP, port="25,465,587", msg='say "hi"]', x = spaced out ]`);
  assert.deepEqual(a!.args, { type: 'multiport', name: 'SMTP', port: '25,465,587', msg: 'say "hi"]', x: 'spaced out' });
});

test("fail2ban's [asterisk] shape: a second bracket group overrides the first", () => {
  const list = parseNamedArgsList(
    'iptables[port="5060,5061", protocol="tcp", chain="INPUT"][name=asterisk-tcp, protocol="tcp"]\n' +
      'iptables[port="5060,5061", protocol="tcp", chain="INPUT"][name=asterisk-udp, protocol="udp"]',
  );
  assert.deepEqual(
    list.map((x) => [x.args['name'], x.args['protocol'], x.args['port']]),
    [
      ['asterisk-tcp', 'tcp', '5060,5061'],
      ['asterisk-udp', 'udp', '5060,5061'],
    ],
  );
});

test('several actions on one line, arguments spread over lines, empty brackets, trailing comma', () => {
  const list = parseNamedArgsList('a[x=1,\n   y=2,] b c []  d [z=3]');
  assert.deepEqual(list, [
    { name: 'a', args: { x: '1', y: '2' } },
    { name: 'b', args: {} },
    { name: 'c', args: {} },
    { name: 'd', args: { z: '3' } },
  ]);
});

test('a filter takes one name; empty text is no filter', () => {
  assert.deepEqual(parseNamedArgs('asterisk[mode=aggressive]'), { name: 'asterisk', args: { mode: 'aggressive' } });
  assert.equal(parseNamedArgs('   '), null);
  assert.throws(() => parseNamedArgs('a b'), isArgsError);
});

test('broken argument lists are VG_CONFIG_ARGS errors naming the place', () => {
  const place = { file: 'jail.local', section: 'asterisk', key: 'action', line: 7 };
  for (const bad of ['iptables[name=x', 'iptables[name="x]', 'iptables[=x]', 'iptables[name]', 'iptables]', 'a[x=1]junk', '[x=1]']) {
    assert.throws(
      () => parseNamedArgsList(bad, place),
      (e: unknown) => isArgsError(e) && (e as VoipguardError).place.line === 7,
      bad,
    );
  }
});

test('names that could leave action.d are refused', () => {
  for (const bad of ['../../etc/passwd', '/usr/bin/x', '.hidden', 'a..b', 'x;rm']) {
    assert.throws(() => parseNamedArgsList(bad), isArgsError, bad);
  }
});

test('formatting gives back text that parses to the same thing', () => {
  const x = { name: 'iptables', args: { name: 'asterisk-tcp', port: '5060,5061', note: 'a b' } };
  assert.deepEqual(parseNamedArgs(formatNamedArgs(x)), x);
});
