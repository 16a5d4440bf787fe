// Child process of kill9.test.ts: writes bans to a real database file as fast as it can and says
// on stdout (a pipe: synchronous on Linux) what each write committed, until it is killed.
//   node --import tsx test/store/kill9-child.ts <dbfile> <round>

import { SqliteStore } from '../../src/store/sqlite-store.js';

const [path, roundText] = process.argv.slice(2);
const round = Number(roundText);
const store = SqliteStore.open(path!);
const ipOf = (i: number) => `10.${round}.${(i >> 8) & 255}.${i & 255}`;
process.stdout.write('ready\n');
for (let i = 0; i < 65_536; i++) {
  store.addBan({ jail: 'kill9', ip: ipOf(i), start: i, until: i % 2 ? null : 1e15, banCount: 1, reason: 'detected' }, false);
  process.stdout.write(`ban ${ipOf(i)}\n`);
  if (i % 5 === 4) {
    store.setApplied('kill9', ipOf(i), true);
    process.stdout.write(`applied ${ipOf(i)}\n`);
  }
  if (i % 7 === 6) {
    store.removeBan('kill9', ipOf(i - 3));
    process.stdout.write(`removed ${ipOf(i - 3)}\n`);
  }
}
setInterval(() => {}, 1000); // wait to be killed
