// Child process of kill9.test.ts: writes bans to a real database file as fast as it can and says
// on stdout what it is about to write (`begin <op> <ip>`) and what each write committed (`done <op>
// <ip>`), until it is killed. A kill can land between the two lines, so at most one operation is in
// flight: begun, committed or not. Each line is in the pipe before the next write starts: writeSync
// on fd 1, retried while the pipe is full, never process.stdout, which then queues in memory (a
// loaded machine) so that a kill loses lines for writes that did commit.
//   node --import tsx test/store/kill9-child.ts <dbfile> <round>

import { writeSync } from 'node:fs';
import { SqliteStore } from '../../src/store/sqlite-store.js';

const [path, roundText] = process.argv.slice(2);
const round = Number(roundText);
const store = SqliteStore.open(path!);
const ipOf = (i: number) => `10.${round}.${(i >> 8) & 255}.${i & 255}`;
function say(line: string): void {
  const bytes = Buffer.from(line);
  for (let done = 0; done < bytes.length;) {
    try {
      done += writeSync(1, bytes, done);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e; // the pipe is full: the test reads it
    }
  }
}
function step(op: 'ban' | 'applied' | 'removed', ip: string, write: () => void): void {
  say(`begin ${op} ${ip}\n`);
  write();
  say(`done ${op} ${ip}\n`);
}
say('ready\n');
for (let i = 0; i < 65_536; i++) {
  step('ban', ipOf(i), () => store.addBan({ jail: 'kill9', ip: ipOf(i), start: i, until: i % 2 ? null : 1e15, banCount: 1, reason: 'detected' }, false));
  if (i % 5 === 4) step('applied', ipOf(i), () => store.setApplied('kill9', ipOf(i), true));
  if (i % 7 === 6) step('removed', ipOf(i - 3), () => store.removeBan('kill9', ipOf(i - 3)));
}
setInterval(() => {}, 1000); // wait to be killed
