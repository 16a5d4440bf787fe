// Where the control socket lives and how its file is made root-only. Node cannot read the peer's
// credentials (no SO_PEERCRED), so the file system is the permission check: the socket is 0600 and
// owned by root (connect(2) needs write permission on it), inside a directory we create 0700.
// A socket file left by a crashed daemon is removed; one a live daemon answers on is not.

import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
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

/** Makes the directory (0700 when we create it) and clears a stale socket file. */
export async function prepareSocketPath(path: string): Promise<void> {
  const dir = dirname(path);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
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
