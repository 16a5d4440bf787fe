import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigSet, memoryReader } from '../../src/config/config-set.js';

test("%(default/key)s is interpolated in the requesting section, as fail2ban's stock [asterisk] needs", () => {
  const set = ConfigSet.load(
    '/c/jail',
    memoryReader({
      '/c/jail.conf': [
        '[DEFAULT]',
        'port = 0:65535',
        'action_ = iptables[port="%(port)s"]',
        '[asterisk]',
        'port = 5060,5061',
        'action_ = %(default/action_)s[name=%(__name__)s-tcp]',
        'action = %(action_)s',
      ].join('\n'),
    }),
  );
  assert.equal(set.get('asterisk', 'action'), 'iptables[port="5060,5061"][name=asterisk-tcp]');
  assert.equal(set.get('DEFAULT', 'action_'), 'iptables[port="0:65535"]');
});
