// The one way tests wait for something real (a socket, a process, the kernel, a file) to happen:
// poll a fact until it holds, within a bound, and fail saying what did not happen and the last value
// seen. Never a fixed sleep; never for time a test could drive itself with a manual clock.

export interface WaitOptions {
  /** What is awaited, for the error message. */
  readonly what?: string;
  /** Give up after this long (default 5 s; generous bounds cost nothing when the fact arrives early). */
  readonly timeoutMs?: number;
  /** Pause between two looks (default 10 ms). */
  readonly intervalMs?: number;
}

/** Polls `fn` until it returns a truthy value, and returns that value; throws when `timeoutMs` passes first. */
export async function waitFor<T>(fn: () => T | Promise<T>, opts: WaitOptions = {}): Promise<Truthy<T>> {
  const { what = 'a condition', timeoutMs = 5000, intervalMs = 10 } = opts;
  const end = Date.now() + timeoutMs;
  let last = await fn();
  while (!last) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${describe(last)})`);
    await pause(intervalMs);
    last = await fn();
  }
  return last as Truthy<T>;
}

type Truthy<T> = Exclude<T, null | undefined | false | 0 | ''>;

/**
 * Polls `fn` until it returns `want` or `timeoutMs` passes, and returns the last value either way, for a
 * test that asserts on it (kernel state that settles: the assertion then shows what was seen instead).
 */
export async function settle<T>(fn: () => T | Promise<T>, want: T, opts: WaitOptions = {}): Promise<T> {
  let last: T | undefined;
  try {
    await waitFor(async () => (last = await fn()) === want, opts);
  } catch {
    /* the caller's assertion reports `last` */
  }
  return last as T;
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function describe(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
