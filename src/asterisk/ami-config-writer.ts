// `voipguard asterisk manager --write`: puts the generated AMI login into voipguard.local's [ami]
// section (replacing an [ami] section already there, keeping every other line), and optionally the
// secret into a file of its own. Both files hold the secret, so both are written 0600, through a
// temporary file and a rename so a reader never sees half a file.
//
// The section is written by `ini` (ini.encode): every value is from a closed character set (checked
// below), which ini writes bare and voipguard's fail2ban-dialect reader reads back unchanged
// (test/config/ini-dialect.test.ts round-trips it; docs/dependencies.md says why ini writes this
// file but reads none of voipguard's).

import ini from 'ini';
import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VoipguardError } from '../core/errors.js';

export interface SecretFileSystem {
  read(path: string): string | null;
  /** Writes the whole file with this mode (also when it exists already). */
  write(path: string, text: string, mode: number): void;
}

export const diskSecretFs: SecretFileSystem = {
  read(path) {
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new VoipguardError('VG_CONFIG_READ', `cannot read: ${(e as Error).message}`, { file: path }, { cause: e });
    }
  },
  write(path, text, mode) {
    const tmp = `${path}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, text, { mode });
      chmodSync(tmp, mode); // the umask may have narrowed it, and an old tmp file keeps its mode
      renameSync(tmp, path);
    } catch (e) {
      throw new VoipguardError('VG_INPUT', `cannot write: ${(e as Error).message}`, { file: path }, { cause: e });
    }
  },
};

export interface AmiLogin {
  readonly username: string;
  readonly secret: string;
  readonly host?: string;
  readonly port?: number;
  /** When set, the secret goes to this file and voipguard.local names it (secretfile =). */
  readonly secretFile?: string;
}

export const SECRET_MODE = 0o600;

/** Writes the login; returns the files written. */
export function writeAmiLogin(configDir: string, login: AmiLogin, fs: SecretFileSystem = diskSecretFs): string[] {
  const localPath = join(configDir, 'voipguard.local');
  const lines = amiSectionLines(login);
  const written: string[] = [];
  if (login.secretFile !== undefined) {
    fs.write(login.secretFile, login.secret + '\n', SECRET_MODE);
    written.push(login.secretFile);
  }
  fs.write(localPath, replaceSection(fs.read(localPath) ?? '', 'ami', lines), SECRET_MODE);
  written.push(localPath);
  return written;
}

/** Values ini writes bare and both ini and the fail2ban-dialect reader read back as they are. */
const PLAIN_VALUE = /^[A-Za-z0-9_.:@+/-]+$/;

/** The [ami] section of voipguard.local, encoded by ini, with a comment line after its header. */
export function amiSectionLines(login: AmiLogin): string[] {
  const values: Record<string, string> = {
    enabled: 'yes',
    host: login.host ?? '127.0.0.1',
    port: String(login.port ?? 5038),
    username: login.username,
    ...(login.secretFile !== undefined ? { secretfile: login.secretFile } : { secret: login.secret }),
  };
  for (const [key, value] of Object.entries(values)) {
    if (!PLAIN_VALUE.test(value)) {
      throw new VoipguardError('VG_USAGE', `${key} ${JSON.stringify(value)}: voipguard.local takes letters, digits and _ . : @ + / - here`);
    }
  }
  const [header, ...rest] = ini.encode({ ami: values }, { whitespace: true }).trimEnd().split('\n');
  return [header!, "; written by `voipguard asterisk manager --write`; the same user is in Asterisk's manager.conf", ...rest];
}

/** Replaces every `[name]` section of a fail2ban-style file with `lines`, or appends them. */
export function replaceSection(text: string, name: string, lines: readonly string[]): string {
  const src = text === '' ? [] : text.replace(/\r?\n$/, '').split(/\r?\n/);
  const kept: string[] = [];
  let inside = false;
  let insertAt = -1;
  for (const line of src) {
    const header = /^\s*\[([^\]]+)\]/.exec(line);
    if (header) {
      inside = header[1]!.trim().toLowerCase() === name.toLowerCase();
      if (inside && insertAt < 0) insertAt = kept.length;
    }
    if (!inside) kept.push(line);
  }
  if (insertAt < 0) {
    if (kept.length && kept[kept.length - 1]!.trim() !== '') kept.push('');
    insertAt = kept.length;
  }
  const block = [...lines];
  if (insertAt < kept.length) block.push('');
  kept.splice(insertAt, 0, ...block);
  return kept.join('\n') + '\n';
}
