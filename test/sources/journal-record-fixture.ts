// Re-records fixtures/samples/sshd-journal.jsonl: real `journalctl --output=json` output of a real
// journald (a private namespace, see journal-private-journald.ts) fed sshd and other lines.
// Run as root: node --import tsx test/sources/journal-record-fixture.ts

import { execa } from 'execa';
import { writeFileSync } from 'node:fs';
import { PrivateJournald } from './journal-private-journald.js';
import { waitFor } from '../helpers/wait-for.js';

const out = new URL('../../fixtures/samples/sshd-journal.jsonl', import.meta.url);
const WRITTEN = 7; // the lines written below
const j = await PrivateJournald.start();
try {
  await j.write('sshd', [
    'Invalid user admin from 203.0.113.5 port 40022',
    'Failed password for invalid user admin from 203.0.113.5 port 40022 ssh2',
    'Connection closed by invalid user admin 203.0.113.5 port 40022 [preauth]',
  ]);
  await j.write('cron', ['pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)']);
  // a user name that is not UTF-8: journald stores MESSAGE as bytes, journalctl prints an array
  await j.write('sshd', [Buffer.concat([Buffer.from('Invalid user '), Buffer.from([0xff, 0xfe, 0x41]), Buffer.from(' from 198.51.100.7 port 5555')])]);
  await j.write('sshd-session', ['Failed password for root from 2001:db8::66 port 60001 ssh2']);
  await j.write('sshd', ['Accepted publickey for alice from 192.0.2.10 port 50000 ssh2: ED25519 SHA256:AAAAC3NzaC1lZDI1NTE5AAAAIGm1Yc9b']);
  // journald writes the stream asynchronously: read until every line written above is in the journal
  const read = () =>
    execa('journalctl', [
      `--directory=${j.directory}`,
      '--output=json',
      '--all',
      '--no-pager',
      'SYSLOG_IDENTIFIER=sshd',
      '+',
      'SYSLOG_IDENTIFIER=sshd-session',
      '+',
      'SYSLOG_IDENTIFIER=cron',
    ]);
  const r = await waitFor(
    async () => {
      const got = await read();
      return got.stdout.split('\n').filter((l) => l.trim() !== '').length >= WRITTEN ? got : null;
    },
    { what: `${WRITTEN} entries in the journal`, timeoutMs: 10_000, intervalMs: 50 },
  );
  writeFileSync(out, r.stdout + '\n');
  console.log(`${r.stdout.split('\n').length} entries → ${out.pathname}`);
} finally {
  await j.stop();
}
