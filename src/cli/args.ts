// Command-line scanning for every `voipguard` command: node:util parseArgs in tokens mode, so each
// command keeps its own grammar (fail2ban-client's options anywhere on the line, a `-h` that wins
// where it stands) while the splitting of `-c DIR`, `--out=X`, `-fh` and `--` is parseArgs'.
// Non-strict on purpose: the checks below turn what strict mode would throw as a TypeError into a
// VG_USAGE error worded by the command.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { VoipguardError } from '../core/errors.js';

export type ArgOptions = Readonly<Record<string, { readonly type: 'string' | 'boolean'; readonly short?: string }>>;

export type ArgToken =
  | { readonly kind: 'option'; readonly name: string; readonly rawName: string; readonly value: string | undefined }
  | { readonly kind: 'positional'; readonly value: string; readonly index: number }
  | { readonly kind: 'unknown'; readonly rawName: string; readonly value: string | undefined };

export interface ArgErrors {
  /** `-c` without its directory; without this, such an option comes back as an unknown one. */
  needsValue?(rawName: string): VoipguardError;
  /** `--json=yes`: a flag given a value. */
  takesNoValue?(rawName: string): VoipguardError;
}

/**
 * The command line as tokens in order: known options by their long name (string options carry their
 * value), positionals (everything after `--` too), and unknown options for the command to refuse or
 * pass on as it sees fit.
 */
export function scanArgs(argv: readonly string[], options: ArgOptions, errors: ArgErrors): ArgToken[] {
  const { tokens } = parseArgs({ args: [...argv], options: options as ParseArgsConfig['options'], strict: false, allowPositionals: true, tokens: true });
  const out: ArgToken[] = [];
  for (const t of tokens) {
    if (t.kind === 'option-terminator') continue;
    if (t.kind === 'positional') {
      out.push({ kind: 'positional', value: t.value, index: t.index });
      continue;
    }
    const spec = Object.hasOwn(options, t.name) ? options[t.name] : undefined;
    if (spec === undefined) out.push({ kind: 'unknown', rawName: t.rawName, value: t.value });
    else if (spec.type === 'string' && t.value === undefined) {
      if (errors.needsValue === undefined) out.push({ kind: 'unknown', rawName: t.rawName, value: undefined });
      else throw errors.needsValue(t.rawName);
    } else if (spec.type === 'boolean' && t.value !== undefined && errors.takesNoValue !== undefined) throw errors.takesNoValue(t.rawName);
    else out.push({ kind: 'option', name: t.name, rawName: t.rawName, value: t.value });
  }
  return out;
}
