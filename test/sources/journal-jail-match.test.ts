import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { memoryReader } from '../../src/config/config-set.js';
import { VoipguardError } from '../../src/core/errors.js';
import { packageRoot } from '../../src/core/paths.js';
import { jailJournalMatch } from '../../src/sources/journal-jail-match.js';

const ROOT = packageRoot();
const sshd = { name: 'sshd', journalmatch: [] as string[], filter: { name: 'sshd', args: {} } };

test("a backend = systemd [sshd] jail without journalmatch reads sshd's units, from the filter's [Init]", () => {
  assert.deepEqual(jailJournalMatch(sshd, ROOT), [
    '_SYSTEMD_UNIT=ssh.service',
    '+',
    '_SYSTEMD_UNIT=sshd.service',
    '+',
    '_SYSTEMD_SLICE=system-ssh.slice',
    '+',
    '_SYSTEMD_SLICE=system-sshd.slice',
  ]);
});

test("the jail's own journalmatch wins, then a filter argument, then a filter.d/sshd.local in the user's dir", () => {
  assert.deepEqual(jailJournalMatch({ ...sshd, journalmatch: ['_COMM=sshd'] }, ROOT), ['_COMM=sshd']);
  assert.deepEqual(jailJournalMatch({ ...sshd, filter: { name: 'sshd', args: { journalmatch: '_SYSTEMD_UNIT=dropbear.service' } } }, ROOT), [
    '_SYSTEMD_UNIT=dropbear.service',
  ]);
  const etc = '/etc/vg-test';
  const reader = memoryReader({
    [join(etc, 'filter.d/sshd.conf')]: '[Init]\njournalmatch = _SYSTEMD_UNIT=%(unit)s\nunit = openssh.service\n[Definition]\nfailregex = x <HOST>\n',
  });
  assert.deepEqual(jailJournalMatch(sshd, etc, reader), ['_SYSTEMD_UNIT=openssh.service']);
  // a .local in the user's dir layers over the shipped sshd.conf, as the filter itself does
  const local = memoryReader({
    [join(etc, 'filter.d/sshd.local')]: '[Init]\njournalmatch = _SYSTEMD_UNIT=ssh.service\n',
    [join(ROOT, 'filter.d/sshd.conf')]: '[Init]\njournalmatch = _COMM=sshd\n[Definition]\nfailregex = x <HOST>\n',
  });
  assert.deepEqual(jailJournalMatch(sshd, etc, local), ['_SYSTEMD_UNIT=ssh.service']);
});

test('no journalmatch anywhere is an error naming the jail, so a journal jail never reads every program', () => {
  assert.throws(
    () => jailJournalMatch({ name: 'asterisk', journalmatch: [], filter: { name: 'asterisk', args: {} }, file: 'jail.local' }, ROOT),
    (e: unknown) => {
      assert.ok(e instanceof VoipguardError);
      assert.equal(e.code, 'VG_JOURNAL_MATCH');
      assert.deepEqual(e.place, { file: 'jail.local', section: 'asterisk', key: 'journalmatch' });
      return true;
    },
  );
  assert.throws(() => jailJournalMatch({ name: 'x', journalmatch: [], filter: null }, ROOT), /needs a journalmatch/);
});
