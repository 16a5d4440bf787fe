import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadActionDefinition } from '../../src/firewall/action-definition.js';
import { renderCommand, renderScriptLine } from '../../src/firewall/command-template.js';
import { packageRoot } from '../../src/core/paths.js';
import { VoipguardError } from '../../src/core/errors.js';

const shipped = packageRoot();

function userDir(files: Record<string, string>): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'vg-action-'));
  mkdirSync(join(dir, 'action.d'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, 'action.d', name), text);
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

function loadUser(files: Record<string, string>, action: string, args: Record<string, string> = {}, params: Record<string, string> = {}) {
  const u = userDir(files);
  try {
    return loadActionDefinition(action, args, { jail: 'asterisk', configDir: u.dir, params });
  } finally {
    u.done();
  }
}

function refusedWith(code: string, check: (e: VoipguardError) => void = () => {}) {
  return (e: unknown) => {
    assert.ok(e instanceof VoipguardError, String(e));
    assert.equal(e.code, code, e.message);
    check(e);
    return true;
  };
}

test('an action whose ban pipes into a shell is refused with VG_ACTION_SHELL naming file, section, key and line', () => {
  const text =
    '[Definition]\nactionban = iptables -I f2b-<name> 1 -s <ip> -j DROP\n            echo <ip> >> /etc/voipguard/blacklist\nactionunban = iptables -D f2b-<name> -s <ip> -j DROP\n';
  assert.throws(
    () => loadUser({ 'blacklist.conf': text }, 'blacklist'),
    refusedWith('VG_ACTION_SHELL', (e) => {
      assert.match(e.place.file ?? '', /action\.d\/blacklist\.conf$/);
      assert.equal(e.place.section, 'Definition');
      assert.equal(e.place.key, 'actionban');
      assert.equal(e.place.line, 3);
      assert.match(e.message, /output redirection/);
    }),
  );
});

test("fail2ban's own shell-guarded iptables start line is refused, not half-run", () => {
  const text =
    '[Definition]\nactionstart = { iptables -C f2b-<name> -j RETURN >/dev/null 2>&1; } || iptables -N f2b-<name>\nactionban = x <ip>\nactionunban = x <ip>\n';
  assert.throws(
    () => loadUser({ 'f2b.conf': text }, 'f2b'),
    refusedWith('VG_ACTION_SHELL', (e) => assert.equal(e.place.key, 'actionstart')),
  );
});

test('<ip> glued to other text could be split by the program reading it: refused with VG_ACTION_TAG', () => {
  const text = '[Definition]\nactionban = iptables -I x 1 --source=<ip> -j DROP\nactionunban = iptables -D x -s <ip> -j DROP\n';
  assert.throws(
    () => loadUser({ 'glued.conf': text }, 'glued'),
    refusedWith('VG_ACTION_TAG', (e) => assert.match(e.message, /whole argument/)),
  );
  const script = '[Definition]\nbatchcommand = ipset restore\nbatchban = add s <ip>,udp:5060\nbatchunban = del s <ip>\n';
  assert.throws(() => loadUser({ 'gluedscript.conf': script }, 'gluedscript'), refusedWith('VG_ACTION_TAG'));
});

test('<ip> outside a ban or unban command is refused; so is a tag nobody defines', () => {
  const text = '[Definition]\nactionstart = iptables -N <ip>\nactionban = x <ip>\nactionunban = x <ip>\n';
  assert.throws(
    () => loadUser({ 'startip.conf': text }, 'startip'),
    refusedWith('VG_ACTION_TAG', (e) => assert.equal(e.place.key, 'actionstart')),
  );
  const unknown = '[Definition]\nactionban = iptables -I <nosuchchain> 1 -s <ip> -j DROP\nactionunban = x <ip>\n';
  assert.throws(
    () => loadUser({ 'unknown.conf': unknown }, 'unknown'),
    refusedWith('VG_ACTION_TAG', (e) => assert.match(e.message, /<nosuchchain>/)),
  );
});

test('a static value may fill part of an argument (f2b-<name>) and several arguments (<iptables> = iptables -w)', () => {
  const d = loadActionDefinition('iptables', { name: 'asterisk-udp', protocol: 'udp' }, { jail: 'asterisk', configDir: shipped });
  const p = d.families.inet4;
  assert.deepEqual(p.start.at(-1), ['iptables', '-w', '-I', 'INPUT', '-p', 'udp', '-m', 'multiport', '--dports', '5060,5061', '-j', 'f2b-asterisk-udp']);
  assert.deepEqual(renderCommand(p.ban[0]!, { ip: '203.0.113.5' }), [
    'iptables',
    '-w',
    '-I',
    'f2b-asterisk-udp',
    '1',
    '-s',
    '203.0.113.5',
    '-p',
    'udp',
    '-j',
    'REJECT',
    '--reject-with',
    'icmp-port-unreachable',
  ]);
});

test("the asterisk jail's two iptables actions make chains f2b-asterisk-tcp and f2b-asterisk-udp on 5060,5061", () => {
  for (const proto of ['tcp', 'udp']) {
    const d = loadActionDefinition(
      'iptables',
      { name: `asterisk-${proto}`, protocol: proto },
      { jail: 'asterisk', configDir: shipped, params: { port: '5060,5061' } },
    );
    assert.equal(d.name, `asterisk-${proto}`);
    const b = d.families.inet4.batch!;
    assert.deepEqual(b.command, ['iptables-restore', '-w', '--noflush']);
    assert.equal(
      renderScriptLine(b.ban[0]!, { ip: '192.0.2.7' }),
      `-I f2b-asterisk-${proto} 1 -s 192.0.2.7 -p ${proto} -j REJECT --reject-with icmp-port-unreachable`,
    );
  }
});

test('IPv6 goes through ip6tables with icmp6-port-unreachable ([Init?family=inet6])', () => {
  const d = loadActionDefinition('iptables', { name: 'asterisk-udp', protocol: 'udp' }, { jail: 'asterisk', configDir: shipped });
  const b = d.families.inet6.batch!;
  assert.deepEqual(b.command, ['ip6tables-restore', '-w', '--noflush']);
  assert.equal(
    renderScriptLine(b.ban[0]!, { ip: '2001:db8::7' }),
    '-I f2b-asterisk-udp 1 -s 2001:db8::7 -p udp -j REJECT --reject-with icmp6-port-unreachable',
  );
  assert.deepEqual(d.families.inet6.list, [['ip6tables', '-w', '-S', 'f2b-asterisk-udp']]);
});

test('a blocktype given by the jail applies to both families; action arguments beat jail values', () => {
  const d = loadActionDefinition(
    'iptables',
    { name: 'asterisk-tcp', chain: 'FORWARD' },
    { jail: 'asterisk', configDir: shipped, params: { blocktype: 'REJECT --reject-with tcp-reset', chain: 'INPUT', protocol: 'tcp' } },
  );
  for (const f of ['inet4', 'inet6'] as const) {
    assert.match(
      renderScriptLine(d.families[f].batch!.ban[0]!, { ip: f === 'inet4' ? '192.0.2.1' : '2001:db8::1' }),
      /-p tcp -j REJECT --reject-with tcp-reset$/,
    );
    assert.equal(d.families[f].start.at(-1)![3], 'FORWARD');
  }
});

test('a jail value cannot replace a command: actionban from the jail is ignored', () => {
  const d = loadActionDefinition('iptables', { actionban: 'rm -rf /' }, { jail: 'asterisk', configDir: shipped, params: { actionban: 'rm -rf /' } });
  assert.equal(d.families.inet4.ban[0]!.slots[0], 'iptables');
});

test("a user's iptables.local is layered over the shipped iptables.conf", () => {
  const d = loadUser({ 'iptables.local': '[Init]\nblocktype = DROP\nchain = FORWARD\n' }, 'iptables', { name: 'x' });
  assert.equal(renderScriptLine(d.families.inet4.batch!.ban[0]!, { ip: '192.0.2.1' }), '-I f2b-x 1 -s 192.0.2.1 -p tcp -j DROP');
  assert.equal(d.families.inet4.start.at(-1)![3], 'FORWARD');
});

test("a user's iptables.local also reaches iptables-allports, whose shipped file includes iptables.conf", () => {
  const d = loadUser({ 'iptables.local': '[Init]\nblocktype = DROP\n' }, 'iptables-allports', { name: 'x' });
  assert.match(renderScriptLine(d.families.inet4.batch!.ban[0]!, { ip: '192.0.2.1' }), /-j DROP$/);
  const plain = loadUser({}, 'iptables-allports', { name: 'x' });
  assert.match(renderScriptLine(plain.families.inet4.batch!.ban[0]!, { ip: '192.0.2.1' }), /-j REJECT/);
});

test('an unknown action, or a name that walks out of action.d, is VG_ACTION_NOT_FOUND', () => {
  assert.throws(() => loadActionDefinition('no-such-action', {}, { jail: 'j', configDir: shipped }), refusedWith('VG_ACTION_NOT_FOUND'));
  assert.throws(() => loadActionDefinition('../jail', {}, { jail: 'j', configDir: shipped }), refusedWith('VG_ACTION_NOT_FOUND'));
});

test('every shipped firewall action compiles for both families', () => {
  for (const a of ['iptables', 'iptables-multiport', 'iptables-allports', 'iptables-ipset', 'nftables', 'route']) {
    const d = loadActionDefinition(a, { name: 'asterisk-udp', protocol: 'udp' }, { jail: 'asterisk', configDir: shipped });
    assert.equal(d.kind, 'command', a);
    for (const f of ['inet4', 'inet6'] as const) {
      assert.ok(d.families[f].batch, `${a} ${f} has a batch form`);
      assert.ok(d.families[f].listBan, `${a} ${f} can list`);
    }
  }
  assert.equal(loadActionDefinition('dummy', {}, { jail: 'j', configDir: shipped }).kind, 'memory');
  assert.equal(loadActionDefinition('webhook', {}, { jail: 'j', configDir: shipped }).kind, 'notify');
});

test('nftables keeps one table for both families and a set per family with kernel timeouts', () => {
  const d = loadActionDefinition('nftables', { name: 'asterisk-udp', protocol: 'udp' }, { jail: 'asterisk', configDir: shipped });
  assert.deepEqual(d.families.inet4.start, d.families.inet6.start);
  const ban = d.families.inet6.batch!.ban.map((t) => renderScriptLine(t, { ip: '2001:db8::9', duration: '600s' }));
  assert.deepEqual(ban, [
    'add element inet f2b-asterisk-udp addr6 { 2001:db8::9 }',
    'delete element inet f2b-asterisk-udp addr6 { 2001:db8::9 }',
    'add element inet f2b-asterisk-udp addr6 { 2001:db8::9 timeout 600s }',
  ]);
});
