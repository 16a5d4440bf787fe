import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../../src/store/sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'vg-kill9-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const child = fileURLToPath(new URL('./kill9-child.ts', import.meta.url));

type Op = 'ban' | 'applied' | 'removed';

/** What the child confirmed committed, per operation, and the one operation it had begun when killed (if any). */
interface Reported {
  banned: Set<string>;
  applied: Set<string>;
  removed: Set<string>;
  inFlight: { op: Op; ip: string } | null;
}

/** Runs the child until it has confirmed `ops` writes, waits `delayMs` more, then SIGKILLs it. */
function runAndKill(path: string, round: number, ops: number, delayMs: number): Promise<Reported> {
  const rep: Reported = { banned: new Set(), applied: new Set(), removed: new Set(), inFlight: null };
  const confirmed: Record<Op, Set<string>> = { ban: rep.banned, applied: rep.applied, removed: rep.removed };
  const p = spawn(process.execPath, ['--import', 'tsx', child, path, String(round)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error('the child did not report in 60 s'));
    }, 60_000); // a bound for a stalled child, not a wait: the kill comes from the count below
    let seen = 0;
    let killing = false;
    createInterface({ input: p.stdout! }).on('line', (line) => {
      const [phase, op, ip] = line.split(' ') as [string, Op, string];
      if (phase === 'begin') rep.inFlight = { op, ip };
      else if (phase === 'done') {
        confirmed[op].add(ip);
        rep.inFlight = null;
      }
      if (phase === 'done' && ++seen >= ops && !killing) {
        killing = true;
        setTimeout(() => p.kill('SIGKILL'), delayMs);
      }
    });
    // 'close', not 'exit': 'exit' can come before the last lines in the pipe are read, and a write the
    // child confirmed but the test had not read yet looked like a lost one
    p.on('close', (code, signal) => {
      clearTimeout(deadline);
      if (signal !== 'SIGKILL') reject(new Error(`child ended by itself: ${code} ${signal}`));
      else resolve(rep);
    });
  });
}

test('kill -9 at random moments while writing bans: the database opens and holds every ban reported committed', async () => {
  const path = join(dir, 'voipguard.sqlite3');
  let seed = Number(process.env['VG_KILL9_SEED'] ?? Date.now() % 100_000);
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const rounds = 5;
  let checked = 0;
  for (let round = 1; round <= rounds; round++) {
    const rep = await runAndKill(path, round, 1 + Math.floor(rnd() * 1500), Math.floor(rnd() * 20));
    assert.ok(rep.banned.size > 0, `round ${round}: the child committed something`);
    const store = SqliteStore.open(path); // would throw VG_STORE_OPEN on a damaged file
    try {
      const active = new Map(store.activeBans('kill9').map((b) => [b.ip, b]));
      // the one operation in flight at the kill may or may not have committed: either state is right
      const inFlight = (op: Op, ip: string) => rep.inFlight?.op === op && rep.inFlight.ip === ip;
      for (const ip of rep.banned) {
        if (rep.removed.has(ip)) assert.equal(active.has(ip), false, `round ${round}: ${ip} was removed`);
        else if (!inFlight('removed', ip))
          assert.ok(active.has(ip), `round ${round}: ${ip} was reported committed (in flight at the kill: ${JSON.stringify(rep.inFlight)})`);
        checked++;
      }
      for (const ip of rep.applied) {
        if (!rep.removed.has(ip) && !inFlight('removed', ip)) assert.equal(active.get(ip)?.applied, true, `round ${round}: ${ip} was marked applied`);
      }
      for (const ip of rep.banned) assert.ok(store.banCount(ip, 'kill9', 0) >= 1, `history of ${ip}`);
    } finally {
      store.close();
    }
  }
  assert.ok(checked >= rounds);
});
