// The one side effect of the journal source: running journalctl. The source sees a process as
// lines on stdout and an exit; the execa runner is the real one, the replay runner
// (journal-replay.ts) its twin for tests and dry runs.

import { execa } from 'execa';

export interface JournalExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** The end of stderr (journalctl says why it stopped there), or why it could not start. */
  readonly stderr: string;
}

export interface JournalProcess {
  /** stdout, one line at a time, without the newline. Ends when the process closes it. */
  readonly lines: AsyncIterable<string>;
  /** Settles (never rejects) once the process is gone. */
  readonly exited: Promise<JournalExit>;
  kill(): void;
}

export type JournalRunner = (file: string, args: readonly string[]) => JournalProcess;

const STDERR_KEEP = 4096;

/** Runs journalctl as an argv array: no shell, nothing interpolated. */
export const execaJournalRunner: JournalRunner = (file, args) => {
  const sub = execa(file, args, {
    stdin: 'ignore',
    buffer: { stdout: false, stderr: true },
    maxBuffer: { stderr: 1024 * 1024 },
    reject: false,
    stripFinalNewline: true,
    env: { SYSTEMD_COLORS: '0', SYSTEMD_PAGER: '', LC_ALL: 'C.UTF-8' },
    extendEnv: true,
  });
  const exited: Promise<JournalExit> = sub.then(
    (r) => ({
      code: r.exitCode ?? null,
      signal: r.signal ?? null,
      stderr: tail(r.failed && r.exitCode === undefined && r.signal === undefined ? String(r.shortMessage) : String(r.stderr ?? '')),
    }),
    (e: unknown) => ({ code: null, signal: null, stderr: tail(String((e as Error)?.message ?? e)) }),
  );
  return {
    lines: safeLines(sub.iterable({ from: 'stdout' })),
    exited,
    kill: () => {
      sub.kill('SIGTERM');
    },
  };
};

/** A spawn error would make the iterable throw; the exit promise already reports it. */
async function* safeLines(it: AsyncIterable<string>): AsyncGenerator<string> {
  try {
    for await (const line of it) yield line;
  } catch {
    /* reported through `exited` */
  }
}

function tail(s: string): string {
  const t = s.trim();
  return t.length > STDERR_KEEP ? t.slice(-STDERR_KEEP) : t;
}
