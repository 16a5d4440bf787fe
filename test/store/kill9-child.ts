// Child process of kill9.test.ts: writes bans to a real database file as fast as it can and says
// on stdout (a pipe: synchronous on Linux) what it is about to write (`begin <op> <ip>`) and what
// each write committed (`done <op> <ip>`), until it is killed. A kill can land between the two
// lines, so at most one operation is in flight: begun, committed or not.
//   node --import tsx test/store/kill9-child.ts <dbfile> <round>

import { SqliteStore } from '../../src/store/sqlite-store.js';

const [path, roundText] = process.argv.slice(2);
const round = Number(roundText);
const store = SqliteStore.open(path!);
const ipOf = (i: number) => `10.${round}.${(i >> 8) & 255}.${i & 255}`;
function step(op: 'ban' | 'applied' | 'removed', ip: string, write: () => void): void {
  process.stdout.write(`begin ${op} ${ip}\n`);
  write();
  process.stdout.write(`done ${op} ${ip}\n`);
}
process.stdout.write('ready\n');
for (let i = 0; i < 65_536; i++) {
  step('ban', ipOf(i), () => store.addBan({ jail: 'kill9', ip: ipOf(i), start: i, until: i % 2 ? null : 1e15, banCount: 1, reason: 'detected' }, false));
  if (i % 5 === 4) step('applied', ipOf(i), () => store.setApplied('kill9', ipOf(i), true));
  if (i % 7 === 6) step('removed', ipOf(i - 3), () => store.removeBan('kill9', ipOf(i - 3)));
}
setInterval(() => {}, 1000); // wait to be killed
