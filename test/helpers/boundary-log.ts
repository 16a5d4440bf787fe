// Logs that put one line at a chosen byte offset, for the tests of a read's edges (the `regex`
// reader and the daemon's tail read 64 KB at a time and screen lines on their bytes): noise lines
// up to the offset, the line, then more noise.

/** A dialplan line no filter matches. */
export const NOISE = '[2026-03-01 10:00:00] VERBOSE[1234] pbx.c: Executing [s@default:1] NoOp("SIP/100", "") in new stack\n';

/** One chan_sip failed registration of `user` from `ip`, ending with `eol`. */
export function failureLine(user: string, ip: string, eol = '\n'): string {
  return `[2026-03-01 10:00:01] NOTICE[2211] chan_sip.c: Registration from '"${user}" <sip:${user}@10.0.0.1>' failed for '${ip}:5060' - Wrong password${eol}`;
}

/** Noise up to byte `at` exactly (one filler line makes up the rest), then `line`, then `after` noise lines. */
export function logWith(line: Buffer, at: number, after: number): Buffer {
  const head: Buffer[] = [];
  let len = 0;
  while (len + NOISE.length <= at - 40) {
    head.push(Buffer.from(NOISE));
    len += NOISE.length;
  }
  head.push(Buffer.from('x'.repeat(at - len - 1) + '\n'));
  return Buffer.concat([...head, line, Buffer.from(NOISE.repeat(after))]);
}
