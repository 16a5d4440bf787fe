import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ShellSyntaxError, tokenize } from '../../src/firewall/argv-tokenizer.js';

const refused: [string, RegExp][] = [
  ['iptables -n -L INPUT | grep -q f2b-x', /pipe/],
  ['iptables -N f2b-x > /dev/null', /output redirection/],
  ['iptables -N f2b-x 2>&1', /output redirection/],
  ['ipset restore < /tmp/bans', /input redirection/],
  ['iptables -N f2b-x; iptables -A f2b-x -j RETURN', /separator/],
  ['iptables -C INPUT -j f2b-x || iptables -I INPUT -j f2b-x', /list \(\|\|\)/],
  ['iptables -N f2b-x && true', /list \(&&\)/],
  ['sleep 10 &', /background/],
  ['echo $(cat /etc/shadow)', /command substitution/],
  ['echo "$(id)"', /command substitution/],
  ['echo `id`', /backquotes/],
  ['echo "`id`"', /backquotes/],
  ['echo $HOME', /variable/],
  ['echo "${PATH}"', /parameter expansion/],
  ['if iptables -C INPUT -j x', /keyword/],
  ['{ iptables -N f2b-x; }', /keyword|separator/],
  ['( iptables -N f2b-x )', /subshell/],
  ['PATH=/tmp iptables -L', /assignment/],
  ['eval iptables -L', /builtin/],
  ['echo "unterminated', /unterminated/],
  ["echo 'unterminated", /unterminated/],
  ['iptables -L \\', /backslash/],
  ['cat ~/.ssh/id_rsa', /tilde/],
  ['iptables -L # comment', /comment/],
];

for (const [line, why] of refused) {
  test(`a line that needs a shell is refused: ${line}`, () => {
    assert.throws(
      () => tokenize(line),
      (e: unknown) => e instanceof ShellSyntaxError && why.test(e.reason),
    );
  });
}

test('quotes group words, escapes are honoured, tags pass through as text', () => {
  assert.deepEqual(tokenize(`nft add chain inet t c '{ type filter hook input priority -1; }'`), [
    'nft',
    'add',
    'chain',
    'inet',
    't',
    'c',
    '{ type filter hook input priority -1; }',
  ]);
  assert.deepEqual(tokenize('iptables -w -I f2b-<name> 1 -s <ip> -j REJECT'), ['iptables', '-w', '-I', 'f2b-<name>', '1', '-s', '<ip>', '-j', 'REJECT']);
  assert.deepEqual(tokenize('echo "a \\"b\\" $" a\\ b \'$(x)\''), ['echo', 'a "b" $', 'a b', '$(x)']);
  assert.deepEqual(tokenize('nft add element inet t s { <ip> timeout <duration> }'), [
    'nft',
    'add',
    'element',
    'inet',
    't',
    's',
    '{',
    '<ip>',
    'timeout',
    '<duration>',
    '}',
  ]);
  assert.deepEqual(tokenize('  '), []);
});

test('the refusal says where: column of the offending character', () => {
  try {
    tokenize('iptables -L | grep x');
    assert.fail('not refused');
  } catch (e) {
    assert.ok(e instanceof ShellSyntaxError);
    assert.equal(e.column, 13);
  }
});
