// A read can hold thousands of lines, and under a flood each of them may ban an address: the tail
// gives the event loop a turn between lines once a pace says so (core/slices.ts), so the control
// socket and the other tails are served during a large read. What must hold: every line handed out
// once, in order, with turns in the middle of a read; and the filter's byte pre-check still right
// when another file's read used the same screen during a turn.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileTail } from '../../src/sources/file-tail.js';
import { BudgetPace, type TurnPace } from '../../src/core/slices.js';
import { loadFilter } from '../../src/filters/load-filter.js';
import { packageRoot } from '../../src/core/paths.js';
import type { LogLine } from '../../src/core/types.js';
import { asteriskLogLines } from '../../bench/gen-asterisk-log.js';
import { kit, numbered, tempDir } from './file-kit.js';

const OPTS = { maxLineBytes: 64 * 1024, rotateGraceMs: 5_000, initialBackBytes: 1 << 30 };

/** Due every `n`th line: turns at known places, whatever the machine's speed. */
function every(n: number): TurnPace & { turns: number } {
  let i = 0;
  return {
    turns: 0,
    due() {
      return ++i % n === 0;
    },
    turned() {
      this.turns++;
    },
  };
}

/** Lines handed out so far, sampled by every turn of the event loop while `run` is running. */
async function sampled(run: () => Promise<void>, count: () => number): Promise<number[]> {
  const seen: number[] = [];
  let on = true;
  const spin = (): void => {
    seen.push(count());
    if (on) setImmediate(spin);
  };
  setImmediate(spin);
  await run();
  on = false;
  return seen;
}

test('a large read gives the event loop turns between its lines when paced, and none without', async (t) => {
  const path = join(tempDir(t), 'messages');
  writeFileSync(path, numbered('line', 0, 2_000)); // one read: well under 64 KiB
  for (const pace of [null, every(100)]) {
    const k = kit();
    const tail = new FileTail(path, pace ? { ...k.deps, pace } : k.deps, OPTS);
    const seen = await sampled(
      () => tail.check(),
      () => k.lines.length,
    );
    await tail.close();
    assert.deepEqual(
      k.texts(),
      Array.from({ length: 2_000 }, (_, i) => `line ${i}`),
      'every line once, in order',
    );
    const inside = seen.filter((n) => n > 0 && n < 2_000);
    if (pace) {
      assert.ok(inside.length >= 15, `turns inside the read: ${JSON.stringify(inside)}`);
      assert.ok(
        inside.every((n) => n % 100 === 0),
        `turns fall between lines where the pace said: ${JSON.stringify(inside)}`,
      );
    } else assert.deepEqual(inside, [], 'without a pace the read is one piece of work');
  }
});

test('two files screened by one screen, read at once with turns: the same failures as read apart', async (t) => {
  const dir = tempDir(t);
  const paths = [join(dir, 'a.log'), join(dir, 'b.log')];
  paths.forEach((p, f) => {
    const gen = asteriskLogLines(5 + f, 0.3);
    const lines: string[] = [];
    for (let i = 0; i < 6_000; i++) lines.push(gen.next().value.text);
    writeFileSync(p, lines.join('\n') + '\n');
  });
  const filter = loadFilter('asterisk', { configDir: packageRoot(), timezone: 'UTC' });
  const read = async (together: boolean): Promise<string[][]> => {
    const screen = filter.byteScreen!(); // the worst case: one screen object for both files
    const out = paths.map(() => [] as string[]);
    const tails = paths.map((p, f) => {
      const k = kit();
      const onLine = (l: LogLine): void => {
        const m = filter.match(l);
        if (m.failure) out[f]!.push(`${m.failure.ip} ${m.failure.time} ${m.failure.kind}`);
      };
      const deps = { ...k.deps, onLine, screen: () => screen, onSkip: () => undefined, ...(together ? { pace: every(7) } : {}) };
      return new FileTail(p, deps, OPTS);
    });
    if (together) await Promise.all(tails.map((x) => x.check()));
    else for (const x of tails) await x.check();
    for (const x of tails) await x.close();
    return out;
  };
  const apart = await read(false);
  assert.ok(apart[0]!.length > 500 && apart[1]!.length > 500, `both files hold failures (${apart[0]!.length}, ${apart[1]!.length})`);
  assert.deepEqual(await read(true), apart);
});

test('BudgetPace: due once the budget has passed since the last turn, asked every 16th line', () => {
  let now = 0;
  const pace = new BudgetPace(10, () => now);
  const ask = (n: number): boolean[] => Array.from({ length: n }, () => pace.due());
  assert.deepEqual(ask(16).filter(Boolean), [], 'within the budget: never');
  now = 10;
  const answers = ask(16);
  assert.deepEqual(
    answers.map((a, i) => (a ? i : -1)).filter((i) => i >= 0),
    [15],
    'over it: on the 16th question',
  );
  pace.turned();
  assert.deepEqual(ask(32).filter(Boolean), [], 'a turn starts the budget again');
});
