#!/usr/bin/env node
// `voipguard` entry: the first word picks a subcommand; each lives in its own file and is loaded
// only when used, so `voipguard regex` does not pay for SQLite or AMI.

import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { VoipguardError, VoipguardErrors, EXIT_CODES } from '../core/errors.js';
import { scanArgs, type ArgOptions } from './args.js';
import { realIo, type CliIo } from './io.js';

type Runner = (argv: string[], io: CliIo) => Promise<number>;

const GLOBAL_OPTIONS: ArgOptions = { conf: { type: 'string', short: 'c' }, socket: { type: 'string', short: 's' } };

/** Subcommands of our own; anything else is a fail2ban-client command sent to the daemon. */
const COMMANDS: Record<string, () => Promise<Runner>> = {
  regex: async () => (await import('./regex-command.js')).runRegex,
  daemon: async () => (await import('./daemon-command.js')).runDaemon,
  asterisk: async () => (await import('./asterisk-command.js')).runAsterisk,
  doctor: async () => (await import('./doctor-command.js')).runDoctor,
};

export async function main(argv: string[], io: CliIo = realIo()): Promise<number> {
  try {
    // global options may precede the command, as fail2ban-client allows: -c DIR, -s SOCKET; the
    // command itself checks every option, so here they are only stepped over
    const command = scanArgs(argv, GLOBAL_OPTIONS, {}).find((t) => t.kind === 'positional');
    const first = command?.index ?? -1;
    const word = command?.value;
    if (word !== undefined && COMMANDS[word]) {
      const run = await COMMANDS[word]!();
      return await run([...argv.slice(0, first), ...argv.slice(first + 1)], io);
    }
    const client = await import('./client-command.js');
    return await client.runClient(argv, io);
  } catch (e) {
    if (e instanceof VoipguardError || e instanceof VoipguardErrors) {
      io.err(`ERROR  ${e instanceof VoipguardError ? e.describe() : e.message}\n`);
      return e.exitCode;
    }
    io.err(`ERROR  ${(e as Error).stack ?? String(e)}\n`);
    return EXIT_CODES.internal;
  }
}

const invokedDirectly = process.argv[1] !== undefined && /voipguard(\.[jt]s)?$/.test(process.argv[1]);
// `npm run build` bundles this file and every module it reaches into ../bundle/ (scripts/bundle.mjs):
// the built entry hands over to that copy, which runs main() itself (one file to load instead of
// about 150: docs/flood.md). Only a bundle at least as new as this file is used: a tsc run alone
// leaves an older one behind.
const bundled = invokedDirectly && !(globalThis as { VOIPGUARD_BUNDLED?: boolean }).VOIPGUARD_BUNDLED ? freshBundle() : null;
if (bundled !== null) await import(bundled);
else if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(String(e) + '\n');
      process.exitCode = 70;
    },
  );
}

function freshBundle(): string | null {
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith('.js')) return null; // the sources, under tsx
  const bundle = join(dirname(self), '..', 'bundle', 'voipguard.js');
  const st = statSync(bundle, { throwIfNoEntry: false });
  return st !== undefined && st.mtimeMs >= statSync(self).mtimeMs ? pathToFileURL(bundle).href : null;
}
