// `voipguard regex` shows per-account counts and the addresses per-account counting would ban
// (docs/beyond-one-address.md), in text and --json, with the daemon's own jail replayed.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { regexCommand } from '../../src/cli/regex-command.js';
import { loadRegexExtras } from '../../src/cli/regex-extras.js';
import { memoryIo } from '../../src/cli/io.js';
import { ManualClock } from '../../src/core/clock.js';
import { packageRoot } from '../../src/core/paths.js';

const dir = mkdtempSync(join(tmpdir(), 'vg-regex-acct-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const clock = new ManualClock(Date.UTC(2026, 2, 2));
const extras = await loadRegexExtras();
const conf = packageRoot();

function line(sec: number, ip: string, account: string, session: string): string {
  const t = new Date(Date.UTC(2026, 2, 1, 10, 0, sec))
    .toISOString()
    .replace('Z', '+0000')
    .replace(/\.\d+\+/, '.000+');
  const stamp = `[2026-03-01 10:${String(Math.floor(sec / 60)).padStart(2, '0')}:${String(sec % 60).padStart(2, '0')}]`;
  return (
    `${stamp} SECURITY[1] res_security_log.c: SecurityEvent="ChallengeResponseFailed",EventTV="${t}",Severity="Error",Service="PJSIP",` +
    `EventVersion="1",AccountID=${JSON.stringify(account)},SessionID="${session}",LocalAddress="IPV4/UDP/198.51.100.10/5060",` +
    `RemoteAddress="IPV4/UDP/${ip}/5060",Challenge="n",Response="r",ExpectedResponse=""`
  );
}

// 30 addresses, two tries each against 1001, one try each against "al\"ice"
const lines: string[] = [];
let sec = 0;
for (let i = 1; i <= 30; i++) {
  lines.push(line(sec++, `203.0.113.${i}`, '1001', `c${i}a`));
  lines.push(line(sec++, `203.0.113.${i}`, '1001', `c${i}b`));
  lines.push(line(sec++, `203.0.113.${i}`, 'al"ice', `c${i}c`));
}
const log = join(dir, 'security');
writeFileSync(log, lines.join('\n') + '\n');

test('--accountretry: counts per account, and every address with two tries against the attacked account would be banned', () => {
  const io = memoryIo();
  assert.equal(regexCommand([log, 'asterisk', '-c', conf, '--timezone', 'UTC', '--accountretry', '10', '--json'], io, clock, extras), 0);
  const j = JSON.parse(io.stdout) as {
    accounts: {
      rules: { accountretry: number };
      counts: { account: string; failures: number; addresses: number }[];
      wouldBan: { ip: string; account: string }[];
    };
  };
  assert.equal(j.accounts.rules.accountretry, 10);
  assert.deepEqual(j.accounts.counts, [
    { account: '1001', failures: 60, addresses: 30 },
    // the line carries pjproject's escape (\\"), kept as written
    { account: 'al\\"ice', failures: 30, addresses: 30 },
  ]);
  assert.equal(j.accounts.wouldBan.length, 30);
  assert.ok(j.accounts.wouldBan.every((b) => b.account === '1001'));

  const text = memoryIo();
  regexCommand([log, 'asterisk', '-c', conf, '--timezone', 'UTC', '--accountretry', '10'], text, clock, extras);
  const out = text.stdout;
  assert.match(out, /Accounts: 2 named by counted failures/);
  assert.match(out, /\[60 from 30\] "1001"/);
  assert.ok(out.includes(`[30 from 30] ${JSON.stringify('al\\"ice')}`), out);
  assert.match(out, /Per-account counting would ban: 30 addresses \(accountretry 10 within 600s, accountminfailures 2\)/);
});

test('without --accountretry or a jail that sets it, the counts are shown and the rule is said to be off', () => {
  const io = memoryIo();
  regexCommand([log, 'asterisk', '-c', conf, '--timezone', 'UTC'], io, clock);
  assert.match(io.stdout, /Per-account counting: off \(accountretry = 0/);
  const json = memoryIo();
  regexCommand([log, 'asterisk', '-c', conf, '--timezone', 'UTC', '--json'], json, clock);
  assert.deepEqual((JSON.parse(json.stdout) as { accounts: { wouldBan: unknown[] } }).accounts.wouldBan, []);
});
