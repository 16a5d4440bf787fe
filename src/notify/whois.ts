// whois text for ban mails. fail2ban's mail-whois actions ran `whois <ip>` inside a shell and piped
// the answer to mailutils' `mail`, which executes `~!` escapes found in its input: whoever controls a
// whois record ran commands as root (CVE-2021-32749). Here `whois` is spawned with argv (the
// canonical IP, re-validated, as the only argument), with a timeout and an output cap; the answer is
// reduced to printable text and goes only into a mail body fed to `sendmail -t -oi`, which interprets
// neither `~` escapes nor a lone `.`.

import type { CommandRunner } from '../exec/command-runner.js';
import { parseIp } from '../core/ip.js';

export interface WhoisLookup {
  /** The whois text for a canonical IP, or null when there is none (no binary, timeout, error). */
  lookup(ip: string): Promise<string | null>;
}

export const WHOIS_MAX_CHARS = 16_384;

export interface ExecWhoisOptions {
  readonly path?: string; // default `whois`, found on PATH
  readonly timeoutMs?: number;
}

export class ExecWhois implements WhoisLookup {
  constructor(
    private readonly opts: ExecWhoisOptions,
    private readonly runner: CommandRunner,
  ) {}

  async lookup(ip: string): Promise<string | null> {
    const parsed = parseIp(ip);
    // a canonical address never starts with "-", so it cannot be read as an option
    if (parsed === null || parsed.text !== ip) return null;
    const r = await this.runner.run([this.opts.path ?? 'whois', parsed.text], { timeoutMs: this.opts.timeoutMs ?? 10_000, maxBuffer: 1_000_000 });
    const out = r.stdout.replace(/\r?\n$/, '');
    if (r.exitCode !== 0 && out.trim() === '') return null;
    return cleanText(out, WHOIS_MAX_CHARS);
  }
}

/**
 * Untrusted text (whois answers, log lines) made safe for a mail body: newlines normalised to LF,
 * every other control character (CR, ESC, NUL, DEL, C1) removed, tabs kept, cut to `max` characters.
 */
export function cleanText(text: string, max: number): string {
  const s = text.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, '');
  return s.length > max ? s.slice(0, max) + '\n[… cut]' : s;
}
