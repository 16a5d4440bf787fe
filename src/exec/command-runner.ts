// The one door through which voipguard starts programs: an argv array, never a shell line.
// ExecaRunner is the real one; MemoryRunner records calls and answers from a script for tests.

export interface RunOptions {
  /** Written to the program's stdin (batch scripts: iptables-restore, ipset restore, nft -f -). */
  readonly input?: string;
}

export interface RunResult {
  /** The exit code; 127 when the program does not exist, 124 on timeout, 128+n when killed by signal n. */
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandRunner {
  /** Runs argv[0] with argv[1..]. Never rejects for a failing program: the result says how it failed. */
  run(argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
}

export const EXIT_NOT_FOUND = 127;
export const EXIT_TIMEOUT = 124;
