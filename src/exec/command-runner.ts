// The one door through which voipguard starts programs: an argv array, never a shell line.
// ExecaRunner is the real one; tests use MemoryRunner (test/fakes/), which records calls and
// answers from a script. Firewall commands, sendmail, whois and journalctl all go through here.

export interface RunOptions {
  /** Written to the program's stdin (batch scripts: iptables-restore, ipset restore, nft -f -). */
  readonly input?: string;
  /** Kill the program after this long (ms); default: the runner's own timeout. */
  readonly timeoutMs?: number;
  /** Most bytes kept of stdout and of stderr; default: the runner's own cap. */
  readonly maxBuffer?: number;
  /** Added to the environment (the runner's LC_ALL=C stays unless named here). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface RunResult {
  /** The exit code; 127 when the program does not exist, 124 on timeout, 128+n when killed by signal n. */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface StreamOptions {
  /** Added to the environment. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface StreamExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** The end of stderr (the program says why it stopped there), or why it could not start. */
  readonly stderr: string;
}

/** A long-running program seen as lines on stdout and an exit (journalctl --follow). */
export interface LineProcess {
  /** stdout, one line at a time, without the newline. Ends when the process closes it. */
  readonly lines: AsyncIterable<string>;
  /** Settles (never rejects) once the process is gone. */
  readonly exited: Promise<StreamExit>;
  kill(): void;
}

export interface CommandRunner {
  /** Runs argv[0] with argv[1..]. Never rejects for a failing program: the result says how it failed. */
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

/** The streaming form of the same door, for a program that runs until stopped (journalctl --follow). */
export interface CommandStreamer {
  /** Starts argv[0] with argv[1..], stdin closed, and hands stdout over line by line. Never throws. */
  stream(argv: readonly string[], opts?: StreamOptions): LineProcess;
}

export const EXIT_NOT_FOUND = 127;
export const EXIT_TIMEOUT = 124;
