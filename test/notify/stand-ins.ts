// Stand-ins for the programs notifications spawn: a `sendmail` and a `whois` written as small node
// scripts in a temp dir. Each call leaves a JSON file {argv, stdin} behind for the test to read.

import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Call {
  readonly argv: string[];
  readonly stdin: string;
}

export interface StandIns {
  readonly dir: string;
  readonly sendmail: string;
  readonly whois: string;
  sendmailCalls(): Call[];
  whoisCalls(): Call[];
  /** The next `n` sendmail calls exit 75 (EX_TEMPFAIL) with a message on stderr. */
  failSendmail(n: number): void;
  cleanup(): void;
}

function script(dir: string, name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!${process.execPath}\n${body}`);
  chmodSync(p, 0o755);
  return p;
}

export function makeStandIns(whoisOutput: string): StandIns {
  const dir = mkdtempSync(join(tmpdir(), 'vg-notify-'));
  const rec = (kind: string): string => `
const fs = require('node:fs');
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const id = Date.now() + '-' + process.pid + '-' + Math.random().toString(36).slice(2);
  fs.writeFileSync(${JSON.stringify(dir)} + '/${kind}-' + id + '.json', JSON.stringify({ argv: process.argv.slice(2), stdin: Buffer.concat(chunks).toString('utf8') }));
  ${
    kind === 'sendmail'
      ? `
  const f = ${JSON.stringify(join(dir, 'fail-count'))};
  let n = 0; try { n = Number(fs.readFileSync(f, 'utf8')); } catch {}
  if (n > 0) { fs.writeFileSync(f, String(n - 1)); process.stderr.write('451 4.3.0 mail server temporarily unavailable\\n'); process.exit(75); }`
      : `
  process.stdout.write(fs.readFileSync(${JSON.stringify(join(dir, 'answer.txt'))}, 'utf8'));`
  }
});
`;
  writeFileSync(join(dir, 'answer.txt'), whoisOutput);
  const sendmail = script(dir, 'sendmail', rec('sendmail'));
  const whois = script(dir, 'whois', rec('whois'));
  const calls = (kind: string): Call[] =>
    readdirSync(dir)
      .filter((f) => f.startsWith(`${kind}-`))
      .sort()
      .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Call);
  return {
    dir,
    sendmail,
    whois,
    sendmailCalls: () => calls('sendmail'),
    whoisCalls: () => calls('whois'),
    failSendmail: (n) => writeFileSync(join(dir, 'fail-count'), String(n)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Splits a message at the first blank line into its header lines and body. */
export function splitMail(text: string): { headers: string[]; body: string } {
  const i = text.indexOf('\n\n');
  return { headers: text.slice(0, i).split('\n'), body: text.slice(i + 2) };
}
