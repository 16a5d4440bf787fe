// The one side effect of the journal source: running journalctl. The source sees a process as
// lines on stdout and an exit; it is started through the process runner (src/exec), and the
// in-memory journal (test/fakes/memory-journal.ts) is its twin for tests.

import type { CommandStreamer, LineProcess, StreamExit } from '../exec/command-runner.js';

export type JournalExit = StreamExit;

export type JournalProcess = LineProcess;

export type JournalRunner = (file: string, args: readonly string[]) => JournalProcess;

/** Runs journalctl as an argv array through the process runner: no shell, nothing interpolated. */
export function journalRunner(commands: CommandStreamer): JournalRunner {
  return (file, args) => commands.stream([file, ...args], { env: { SYSTEMD_COLORS: '0', SYSTEMD_PAGER: '', LC_ALL: 'C.UTF-8' } });
}
