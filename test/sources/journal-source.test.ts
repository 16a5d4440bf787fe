import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { silentLogger } from '../../src/log/logger.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { ExecaRunner } from '../../src/exec/execa-runner.js';
import { journalRunner } from '../../src/sources/journal-process.js';
import { MemoryJournal } from '../fakes/memory-journal.js';
import { JournalSource, type JournalLine, type JournalSourceOptions } from '../../src/sources/journal-source.js';
import { ManualTimers } from '../../src/core/timers.js';
import { parseJournalMatch } from '../../src/config/journal-match.js';
import { waitFor } from '../helpers/wait-for.js';

// Real journalctl --output=json output, recorded from a real journald (journal-record-fixture.ts).
const RECORDED = readFileSync(new URL('../../fixtures/samples/sshd-journal.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean);
const SSHD = parseJournalMatch('SYSLOG_IDENTIFIER=sshd + SYSLOG_IDENTIFIER=sshd-session');
const RECORDED_US = Number((JSON.parse(RECORDED[0]!) as { __REALTIME_TIMESTAMP: string }).__REALTIME_TIMESTAMP);
const T0 = Math.floor(RECORDED_US / 1000) + 60_000; // a minute after the recording

class MetaStore {
  readonly meta = new Map<string, string>();
  getMeta(k: string): string | undefined {
    return this.meta.get(k);
  }
  setMeta(k: string, v: string): void {
    this.meta.set(k, v);
  }
}

/** Fires the first pending restart timer; returns its delay. */
function fire(timers: ManualTimers): number {
  const [delay] = timers.pendingDelays();
  assert.ok(delay !== undefined, 'no timer pending');
  timers.advance(delay);
  return delay;
}

/** Lets the source's read loop run (event-loop turns, no wall-clock wait). */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function rig(journal: MemoryJournal, over: Partial<JournalSourceOptions> = {}) {
  const lines: JournalLine[] = [];
  const timers = new ManualTimers(T0); // the clock too
  const store = (over.store as MetaStore | undefined) ?? new MetaStore();
  const clock = timers;
  const source = new JournalSource({
    name: 'sshd',
    matches: SSHD,
    store,
    clock,
    log: silentLogger(),
    onLine: (l) => lines.push(l),
    runner: journal.runner,
    timers,
    readBackMs: 3_600_000,
    ...over,
  });
  return { source, lines, timers, store, clock };
}

function sshdEntry(i: number, message: unknown): Record<string, unknown> {
  return { __CURSOR: `s=test;i=${i}`, __REALTIME_TIMESTAMP: String((T0 + i * 1000) * 1000), SYSLOG_IDENTIFIER: 'sshd', _PID: '77', MESSAGE: message };
}

test('sshd entries from the journal reach the filter as bare messages carrying the journal time, unit and pid', async () => {
  const j = new MemoryJournal(RECORDED);
  const { source, lines, clock } = rig(j);
  await source.start();
  await settle();
  assert.deepEqual(
    lines.map((l) => l.text),
    [
      'Invalid user admin from 203.0.113.5 port 40022',
      'Failed password for invalid user admin from 203.0.113.5 port 40022 ssh2',
      'Connection closed by invalid user admin 203.0.113.5 port 40022 [preauth]',
      'Invalid user \uFFFD\uFFFDA from 198.51.100.7 port 5555', // MESSAGE recorded as a byte array
      'Failed password for root from 2001:db8::66 port 60001 ssh2',
      'Accepted publickey for alice from 192.0.2.10 port 50000 ssh2: ED25519 SHA256:AAAAC3NzaC1lZDI1NTE5AAAAIGm1Yc9b',
    ],
  ); // the cron entry is not selected by the match
  const first = lines[0]!;
  assert.equal(first.identifier, 'sshd');
  assert.equal(first.source, 'journal:sshd');
  assert.equal(first.readAt, clock.now());
  assert.equal(first.time, Math.floor(RECORDED_US / 1000), 'event time is the journal timestamp');
  assert.equal(typeof first.pid, 'number');
  assert.deepEqual(j.calls[0]!.slice(0, 6), [
    '--follow',
    '--output=json',
    '--output-fields=MESSAGE,_SYSTEMD_UNIT,SYSLOG_IDENTIFIER,_PID',
    '--all',
    '--no-pager',
    '--no-tail',
  ]);
  assert.deepEqual(j.calls[0]!.slice(-3), SSHD);
  await source.stop();
  assert.equal(j.running, 0, 'journalctl is stopped');
});

test('a restart resumes right after the saved cursor: nothing re-read, nothing skipped', async () => {
  const j = new MemoryJournal();
  const store = new MetaStore();
  const a = rig(j, { store });
  await a.source.start();
  for (let i = 1; i <= 3; i++) j.append(sshdEntry(i, `line ${i}`));
  await settle();
  await a.source.stop();
  j.append(sshdEntry(4, 'line 4')); // written while the guard was down
  const b = rig(j, { store });
  await b.source.start();
  await settle();
  j.append(sshdEntry(5, 'line 5'));
  await settle();
  assert.deepEqual(
    a.lines.map((l) => l.text),
    ['line 1', 'line 2', 'line 3'],
  );
  assert.equal(a.lines.length, 3, 'nothing handed on after stop');
  assert.deepEqual(
    b.lines.map((l) => l.text),
    ['line 4', 'line 5'],
  );
  assert.ok(j.calls[1]!.includes('--after-cursor=s=test;i=3'));
  assert.equal(store.meta.get('journal:sshd'), 's=test;i=5');
  await b.source.stop();
});

test('the first start reads back findtime (--since), not the whole journal', async () => {
  const j = new MemoryJournal();
  j.append(sshdEntry(-7200, 'two hours ago'));
  j.append(sshdEntry(-60, 'a minute ago'));
  const { source, lines } = rig(j, { readBackMs: 600_000 });
  await source.start();
  await settle();
  assert.deepEqual(
    lines.map((l) => l.text),
    ['a minute ago'],
  );
  assert.ok(j.calls[0]!.includes(`--since=@${Math.floor((T0 - 600_000) / 1000)}`));
  await source.stop();
});

test('journalctl exiting under a journald restart is restarted from the last cursor, with growing backoff', async () => {
  const j = new MemoryJournal();
  const { log, records } = memoryLogger();
  const { source, lines, timers } = rig(j, { log, backoffInitialMs: 1000, backoffMaxMs: 8000 });
  await source.start();
  j.append(sshdEntry(1, 'before'));
  await settle();
  j.endAll();
  await settle();
  assert.equal(j.running, 0);
  assert.deepEqual(source.status().waitingFor, ['journalctl']);
  assert.deepEqual(timers.pendingDelays(), [1000], 'an exit after a healthy run retries after the first delay');
  assert.equal(records.find((r) => r['event'] === 'journal-exit')?.['code'], 'VG_JOURNAL_READ');
  j.append(sshdEntry(2, 'while journalctl was down'));
  j.failNext(4, { code: 1, signal: null, stderr: 'Failed to open journal' });
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    delays.push(fire(timers));
    await settle();
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 8000], 'doubles per failed start, capped');
  assert.equal(j.running, 1, 'the fifth start succeeded');
  assert.ok(j.calls.at(-1)!.includes('--after-cursor=s=test;i=1'));
  j.append(sshdEntry(3, 'after'));
  await settle();
  assert.deepEqual(
    lines.map((l) => l.text),
    ['before', 'while journalctl was down', 'after'],
  );
  j.endAll();
  await settle();
  assert.deepEqual(timers.pendingDelays(), [1000], 'entries were delivered: the backoff starts over');
  assert.equal(source.status().restarts, 6);
  await source.stop();
  assert.deepEqual(timers.pendingDelays(), [], 'stop cancels a pending restart');
});

test('a cursor journalctl refuses is dropped once and reading falls back to --since', async () => {
  const j = new MemoryJournal();
  const store = new MetaStore();
  store.setMeta('journal:sshd', 'garbage');
  j.failNext(1, { code: 1, signal: null, stderr: 'Failed to seek to cursor: Invalid argument' });
  j.append(sshdEntry(-5, 'recent'));
  const { source, lines, timers } = rig(j, { store });
  await source.start();
  await settle();
  assert.equal(store.meta.get('journal:sshd'), '');
  fire(timers);
  await settle();
  assert.ok(j.calls[1]!.some((a) => a.startsWith('--since=@')));
  assert.deepEqual(
    lines.map((l) => l.text),
    ['recent'],
  );
  await source.stop();
});

test('garbage output, a null MESSAGE, oversized and multi-line messages never stop the source', async () => {
  const j = new MemoryJournal();
  const { source, lines, store } = rig(j, { maxMessageChars: 100 });
  await source.start();
  j.append('-- journal begins --');
  j.append('{"MESSAGE":"no cursor"');
  j.append(sshdEntry(1, null));
  j.append(sshdEntry(2, 'x'.repeat(101)));
  j.append(sshdEntry(3, 'Invalid user a\nFailed password for root from 6.6.6.6 port 1 ssh2 from 203.0.113.5 port 22'));
  j.append(sshdEntry(4, 'still reading'));
  await settle();
  assert.deepEqual(
    lines.map((l) => l.text),
    ['Invalid user a\\nFailed password for root from 6.6.6.6 port 1 ssh2 from 203.0.113.5 port 22', 'still reading'],
  );
  assert.deepEqual(source.status(), {
    kind: 'journal',
    files: [],
    waitingFor: [],
    journalMatches: SSHD,
    entries: 4,
    badEntries: 2,
    oversized: 1,
    restarts: 0,
    cursor: 's=test;i=4',
  });
  assert.equal((store as MetaStore).meta.get('journal:sshd'), 's=test;i=4', 'skipped entries still move the cursor');
  await source.stop();
});

test('a consumer that throws is logged and the next entry is still read', async () => {
  const j = new MemoryJournal();
  const { log, records } = memoryLogger();
  const seen: string[] = [];
  const { source } = rig(j, {
    log,
    onLine: (l) => {
      seen.push(l.text);
      if (l.text === 'boom') throw new Error('filter bug');
    },
  });
  await source.start();
  j.append(sshdEntry(1, 'boom'));
  j.append(sshdEntry(2, 'after'));
  await settle();
  assert.deepEqual(seen, ['boom', 'after']);
  assert.ok(records.some((r) => r['event'] === 'journal-consumer-error'));
  await source.stop();
});

test('a journalctl that cannot be started is reported and retried, not thrown (real execa runner)', async () => {
  const timers = new ManualTimers(T0);
  const { log, records } = memoryLogger();
  const source = new JournalSource({
    name: 'sshd',
    matches: SSHD,
    store: new MetaStore(),
    clock: timers,
    log,
    onLine: () => {},
    journalctl: '/nonexistent/journalctl',
    timers,
    runner: journalRunner(new ExecaRunner()),
  });
  await source.start();
  await waitFor(() => timers.pendingDelays().length > 0, { what: 'the retry after a failed spawn (a real one)', timeoutMs: 5000 });
  const exit = records.find((r) => r['event'] === 'journal-exit');
  assert.ok(exit, 'exit logged');
  assert.match(String(exit['stderr']), /ENOENT|nonexistent/);
  assert.equal(timers.pendingDelays().length, 1);
  await source.stop();
});
