// The journal source against a real journald and the real journalctl (a private journald namespace,
// since this machine runs no systemd; see journal-private-journald.ts). Waits poll real processes
// with a bounded deadline.

import { ExecaRunner } from '../../src/exec/execa-runner.js';
import { journalRunner } from '../../src/sources/journal-process.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { SystemClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/log/logger.js';
import { parseJournalMatch } from '../../src/config/journal-match.js';
import { JournalSource, type JournalLine } from '../../src/sources/journal-source.js';
import { PrivateJournald, privateJournaldMissing, waitFor } from './journal-private-journald.js';

const missing = privateJournaldMissing();
let journald: PrivateJournald;

before(async () => {
  if (missing === null) journald = await PrivateJournald.start();
});
// sources still running when a check fails are stopped, or their journalctl keeps the test alive
const live = new Set<JournalSource>();
after(async () => {
  for (const s of live) await s.stop();
  await journald?.stop();
});

function meta() {
  const m = new Map<string, string>();
  return { getMeta: (k: string) => m.get(k), setMeta: (k: string, v: string) => void m.set(k, v), m };
}

function follow(store: ReturnType<typeof meta>, lines: JournalLine[]): JournalSource {
  const s = new JournalSource({
    name: 'sshd',
    matches: parseJournalMatch('SYSLOG_IDENTIFIER=sshd + SYSLOG_IDENTIFIER=sshd-session'),
    store,
    clock: new SystemClock(),
    log: silentLogger(),
    onLine: (l) => lines.push(l),
    directory: journald.directory,
    readBackMs: 60_000,
    runner: journalRunner(new ExecaRunner()),
  });
  void s.start();
  return s;
}

test(
  'real journald, real journalctl (no systemd here: private journald namespace): sshd entries, a binary MESSAGE, a journald restart and a guard restart lose nothing and repeat nothing',
  { skip: missing ?? false },
  async () => {
    const store = meta();
    const lines: JournalLine[] = [];
    const texts = () => lines.map((l) => l.text);
    let source = follow(store, lines);
    live.add(source);
    const t0 = Date.now();
    await journald.write('sshd', ['Invalid user admin from 203.0.113.5 port 40022', 'Failed password for invalid user admin from 203.0.113.5 port 40022 ssh2']);
    await journald.write('cron', ['pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)']);
    await journald.write('sshd-session', [
      Buffer.concat([Buffer.from('Invalid user '), Buffer.from([0xc3, 0x28]), Buffer.from(' from 198.51.100.7 port 5555')]),
    ]);
    await waitFor(() => lines.length >= 3, 10_000, 'three sshd entries');
    assert.deepEqual(texts(), [
      'Invalid user admin from 203.0.113.5 port 40022',
      'Failed password for invalid user admin from 203.0.113.5 port 40022 ssh2',
      'Invalid user \uFFFD( from 198.51.100.7 port 5555',
    ]);
    assert.ok(Math.abs(lines[0]!.time - t0) < 10_000, 'event time from the journal');
    assert.equal(lines[2]!.identifier, 'sshd-session');

    await journald.restart();
    await journald.write('sshd', ['after journald restart']);
    await waitFor(() => lines.length >= 4, 10_000, 'the entry written after the journald restart');

    await source.stop();
    await journald.write('sshd', ['while the guard was down']);
    source = follow(store, lines);
    live.add(source);
    await journald.write('sshd', ['after the guard restart']);
    await waitFor(() => lines.length >= 6, 10_000, 'entries around the guard restart');
    await source.stop();
    assert.deepEqual(texts().slice(3), ['after journald restart', 'while the guard was down', 'after the guard restart']);
    assert.equal(store.m.get('journal:sshd'), lines.at(-1)!.cursor);
  },
);
