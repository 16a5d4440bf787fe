import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseApibanPage, parseCsvColumn, parsePlain, splitCsv } from '../../src/sources/feed-parse.js';
import { screenEntries } from '../../src/sources/feed-screen.js';

test('plain: hostile lines are counted as garbage, never fatal, never passed on', () => {
  const text = [
    '\ufeff192.0.2.1',
    '; rm -rf / ',
    '$(reboot)',
    '192.0.2.1;DROP',
    '198.51.100.0/24 ; SBL1',
    '198.51.100.7/24',
    'fe80::1%eth0',
    '999.1.1.1',
    '10.0.0.1/33',
    '-j ACCEPT',
    'A'.repeat(5000),
    '2001:db8::/32 # a comment',
    '::ffff:203.0.113.9',
    '',
    '# header',
  ].join('\r\n');
  const r = parsePlain(text);
  assert.deepEqual(r.entries, ['192.0.2.1', '198.51.100.0/24', '2001:db8::/32', '203.0.113.9']);
  // $(reboot), fe80::1%eth0, 999.1.1.1, 10.0.0.1/33, -j ACCEPT, the long line
  assert.equal(r.garbage, 6);
});

test('csv-column: by number and by header name; quotes; a missing column counts as garbage', () => {
  assert.deepEqual(splitCsv('a,"b,""c""",d'), ['a', 'b,"c"', 'd']);
  const text = 'ip,first_seen,reason\n"192.0.2.5",2024,scan\n192.0.2.6,2024\nnot-an-ip,1,2\n# c\n2001:db8::1,x,y\n';
  const byName = parseCsvColumn(text, { header: 'ip' });
  assert.deepEqual(byName.entries, ['192.0.2.5', '192.0.2.6', '2001:db8::1']);
  assert.equal(byName.garbage, 1);
  const byIndex = parseCsvColumn('x,192.0.2.9\ny\n', { index: 2 });
  assert.deepEqual(byIndex.entries, ['192.0.2.9']);
  assert.equal(byIndex.garbage, 1);
  assert.equal(parseCsvColumn('a,b\n1,2\n', { header: 'ip' }).garbage, Number.POSITIVE_INFINITY, 'no such header: nothing usable');
});

test('apiban: entries and cursor; "no new bans" and ID none end the pull; hostile JSON is refused', () => {
  const p = parseApibanPage('{"ipaddress":["192.0.2.1","bogus",7,"2001:db8::2"],"ID":"1234"}');
  assert.deepEqual(p.entries, ['192.0.2.1', '2001:db8::2']);
  assert.equal(p.garbage, 2);
  assert.equal(p.cursor, '1234');
  const end = parseApibanPage('{"ipaddress":["no new bans"],"ID":"none"}');
  assert.deepEqual(end.entries, []);
  assert.equal(end.cursor, null);
  assert.throws(() => parseApibanPage('<html>'), /not JSON/);
  assert.throws(() => parseApibanPage('[1]'), /not a JSON object/);
  assert.throws(() => parseApibanPage('{"ID":"1"}'), /no ipaddress/);
  assert.throws(() => parseApibanPage('{"ipaddress":[],"ID":"../../etc"}'), /not a plain word/);
});

test('screening: ignoreip, allowfile, host and registered addresses are skipped both ways (inside and covering); wide ranges refused; nested folded', () => {
  const r = screenEntries({
    entries: [
      '0.0.0.0/0',
      '10.0.0.0/7',
      '192.0.2.0/24',
      '192.0.2.77',
      '198.51.100.0/24',
      '203.0.113.5',
      '203.0.113.0/28',
      '2001:db8::/32',
      '2001:db8:1::5',
      '::/8',
      '100.64.0.0/16',
      '100.64.1.1',
    ],
    ignore: ['198.51.100.128/25'],
    allow: ['100.64.0.0/10'],
    host: ['2001:db8:1::5'],
    registered: ['192.0.2.200'],
  });
  assert.deepEqual(
    r.kept.map((c) => c.text),
    ['192.0.2.77', '203.0.113.0/28'],
    '192.0.2.77 holds no protected address; its /24 does',
  );
  assert.deepEqual(r.skipped, { ignoreip: 1, allowfile: 2, host: 2, registered: 1, wide: 3 });
  assert.equal(r.folded, 1, '203.0.113.5 is inside 203.0.113.0/28');
});
