// Where the control socket lives and how its file is made root-only. Node cannot read the peer's
// credentials (no SO_PEERCRED), so the file system is the permission check: the socket is 0600 and
// owned by root (connect(2) needs write permission on it), inside a directory we create 0700.
// A socket file left by a crashed daemon is removed; one a live daemon answers on is not.
//
// The directory is the real boundary: whoever may write in it may rename our socket and bind their
// own in its place (a root `voipguard unban --all` would then talk to an impostor). So, like
// OpenSSH's StrictModes, an existing directory is trusted only when it, and every directory above
// it, is owned by root (or the daemon's own user) and writable by no one else; a directory above
// it that others may write to is accepted only with the sticky bit (/tmp). Otherwise the daemon
// refuses to start and says what to fix (docs/resources.md).

import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, realpathSync, statSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, sep } from 'node:path';
import { VoipguardError } from '../core/errors.js';

export const DEFAULT_SOCKET = '/run/voipguard/voipguard.sock';

/** True when something accepts a connection on the socket path. */
export function socketAnswers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    s.setTimeout(timeoutMs, () => done(false));
  });
}

/**
 * Why `dir` cannot be trusted to hold the control socket, or null when it can: each problem, for
 * the directory itself (owner, group/other write) and for each directory above it (owner, write
 * without the sticky bit). `euid`: the daemon's own user, trusted like root.
 */
export function socketDirProblems(dir: string, euid: number = process.geteuid?.() ?? 0): string[] {
  const problems: string[] = [];
  let real: string;
  try {
    real = realpathSync(dir);
  } catch (e) {
    return [`cannot be resolved: ${(e as Error).message}`];
  }
  const trusted = (uid: number) => uid === 0 || uid === euid;
  for (let d = real, own = true; ; own = false) {
    const st = statSync(d);
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    const who = own ? real : `${d} (above it)`;
    if (!st.isDirectory()) problems.push(`${who} is not a directory`);
    if (!trusted(st.uid)) problems.push(`${who} is owned by uid ${st.uid}, not root`);
    if (own && (st.mode & 0o022) !== 0) problems.push(`${who} is writable by ${st.mode & 0o002 ? 'others' : 'its group'} (mode ${mode})`);
    else if (!own && (st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0)
      problems.push(`${who} is writable by ${st.mode & 0o002 ? 'others' : 'its group'} without the sticky bit (mode ${mode})`);
    const up = dirname(d);
    if (up === d || d === sep) break;
    d = up;
  }
  return problems;
}

/**
 * Makes the directory when absent (0700, the daemon's own) and refuses one that others could write
 * to (VG_PERMISSION, naming the path and each problem); then clears a stale socket file.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  const dir = dirname(path);
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700); // whatever the umask
  }
  const problems = socketDirProblems(dir);
  if (problems.length > 0) {
    throw new VoipguardError(
      'VG_PERMISSION',
      `the control socket's directory ${dir} is not safe: ${problems.join('; ')}. ` +
        `Whoever may write there can replace the socket. Fix: chown root:root and chmod 0700 (or 0750) it, or remove it and voipguard creates it`,
    );
  }
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) {
    throw new VoipguardError('VG_ALREADY_RUNNING', `${path} exists and is not a socket: remove it or choose another socket path`);
  }
  if (await socketAnswers(path)) {
    throw new VoipguardError('VG_ALREADY_RUNNING', `a voipguard daemon already answers on ${path}`);
  }
  unlinkSync(path);
}

/** Called right after bind: root-only whatever the umask was. */
export function restrictSocket(path: string): void {
  chmodSync(path, 0o600);
  if (process.getuid?.() === 0) chownSync(path, 0, 0);
}
