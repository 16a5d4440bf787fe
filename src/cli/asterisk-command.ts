// `voipguard asterisk logger|extensions|manager [options]`: prints a snippet to paste into
// Asterisk's config. Rendering lives in src/asterisk/; this file only reads the command line.

import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { VoipguardError } from '../core/errors.js';
import { DEFAULT_CONFIG_DIR } from '../core/paths.js';
import { parseAsteriskVersion } from '../asterisk/asterisk-version.js';
import { generateSecret, renderExtensionsSnippet, renderLoggerSnippet, renderManagerSnippet, type Driver } from '../asterisk/snippets.js';
import { diskSecretFs, writeAmiLogin, type SecretFileSystem } from '../asterisk/ami-config-writer.js';
import type { CliIo } from './io.js';

export const ASTERISK_USAGE = `usage: voipguard asterisk logger     [--custom-level --asterisk VERSION]
       voipguard asterisk extensions [--driver pjsip|sip] [--asterisk VERSION] [--custom-level] [--context NAME]
       voipguard asterisk manager    [--user NAME] [--asterisk VERSION] [--write [-c DIR] [--secret-file FILE]]

Prints a snippet for Asterisk's logger.conf, extensions.conf or manager.conf.
  --asterisk VERSION  the Asterisk version (18, 20, 22, 20.11 …): picks the features it has
  --custom-level      log the dialplan lines at voipguard's own level (16.22+, 18.8+, 19+)
  --driver            pjsip (default) logs CHANNEL(pjsip,remote_addr); sip (Asterisk <= 20) CHANNEL(recvip)
  --write             also write the AMI login into DIR/voipguard.local [ami] (mode 0600)
  --secret-file FILE  with --write: keep the secret in FILE (0600) and name it as secretfile
`;

export interface AsteriskCommandDeps {
  readonly fs?: SecretFileSystem;
  readonly random?: (n: number) => Buffer;
}

export async function runAsterisk(argv: string[], io: CliIo, deps: AsteriskCommandDeps = {}): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        conf: { type: 'string', short: 'c' },
        asterisk: { type: 'string' },
        'custom-level': { type: 'boolean' },
        driver: { type: 'string' },
        context: { type: 'string' },
        user: { type: 'string' },
        write: { type: 'boolean' },
        'secret-file': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new VoipguardError('VG_USAGE', `${(e as Error).message}\n${ASTERISK_USAGE}`, {}, { cause: e });
  }
  const { values: o, positionals } = parsed;
  if (o.help) {
    io.out(ASTERISK_USAGE);
    return 0;
  }
  const [what, ...extra] = positionals;
  if (what === undefined || extra.length > 0) throw new VoipguardError('VG_USAGE', `name one snippet\n${ASTERISK_USAGE}`);
  const asterisk = o.asterisk !== undefined ? parseAsteriskVersion(o.asterisk) : undefined;
  const refuse = (opt: string, ok: boolean): void => {
    if (!ok) throw new VoipguardError('VG_USAGE', `${opt} does not apply to \`voipguard asterisk ${what}\``);
  };
  refuse('--driver', o.driver === undefined || what === 'extensions');
  refuse('--context', o.context === undefined || what === 'extensions');
  refuse('--custom-level', !o['custom-level'] || what !== 'manager');
  refuse('--user', o.user === undefined || what === 'manager');
  refuse('--write', !o.write || what === 'manager');
  refuse('--secret-file', o['secret-file'] === undefined || (what === 'manager' && o.write === true));

  switch (what) {
    case 'logger':
      io.out(renderLoggerSnippet({ customLevel: o['custom-level'] === true, ...(asterisk ? { asterisk } : {}) }));
      return 0;
    case 'extensions': {
      if (o.driver !== undefined && o.driver !== 'pjsip' && o.driver !== 'sip') {
        throw new VoipguardError('VG_USAGE', `--driver ${o.driver}: use pjsip or sip`);
      }
      io.out(
        renderExtensionsSnippet({
          driver: (o.driver ?? 'pjsip') as Driver,
          customLevel: o['custom-level'] === true,
          ...(asterisk ? { asterisk } : {}),
          ...(o.context !== undefined ? { context: o.context } : {}),
        }),
      );
      return 0;
    }
    case 'manager': {
      const secret = generateSecret(deps.random ?? randomBytes);
      const snippet = renderManagerSnippet({ secret, ...(o.user !== undefined ? { user: o.user } : {}), ...(asterisk ? { asterisk } : {}) });
      if (o.write) {
        const files = writeAmiLogin(
          o.conf ?? DEFAULT_CONFIG_DIR,
          {
            username: snippet.user,
            secret: snippet.secret,
            ...(o['secret-file'] !== undefined ? { secretFile: resolve(io.cwd, o['secret-file']) } : {}),
          },
          deps.fs ?? diskSecretFs,
        );
        io.err(`wrote ${files.join(' and ')} (mode 0600)\n`);
      } else {
        io.err('note: this secret is shown once; --write also puts it into voipguard.local [ami]\n');
      }
      io.out(snippet.text);
      return 0;
    }
    default:
      throw new VoipguardError('VG_USAGE', `unknown snippet "${what}": logger, extensions or manager\n${ASTERISK_USAGE}`);
  }
}
