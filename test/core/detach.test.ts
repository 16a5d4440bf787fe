import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { detach } from '../../src/core/detach.js';
import { normalizeIp, parseIp } from '../../src/core/ip.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Heap bytes kept per string when `keep` holds what `cut` returns from each of n distinct 2 KB lines. */
function keptPerString(cut: (line: string) => string, n = 5000): number {
  const keep: string[] = [];
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) {
    const line = `${'x'.repeat(2000)} failed for '198.51.${100 + ((i >> 7) & 63)}.${100 + (i & 127)}:5060' - Wrong password ${i}`;
    keep.push(cut(line));
  }
  gc();
  const kept = process.memoryUsage().heapUsed - before;
  assert.equal(keep.length, n);
  return kept / n;
}

const addressOf = (line: string): string => line.slice(line.indexOf("for '") + 5, line.indexOf(":5060'"));

test('a cut of a log line, detached, no longer keeps the line alive', () => {
  // the control: a plain cut of 13+ characters keeps its 2 KB line (a V8 sliced string)
  assert.ok(keptPerString(addressOf) > 1500, 'the plain cut keeps its line (if not, V8 changed and detach() is moot)');
  assert.ok(keptPerString((l) => detach(addressOf(l))) < 200);
  // the parsers every address goes through return such copies
  assert.ok(keptPerString((l) => normalizeIp(addressOf(l))!) < 200);
  assert.ok(keptPerString((l) => parseIp(addressOf(l))!.text) < 400);
});

test('detach keeps the characters exactly', () => {
  for (const s of ['', '1.2.3.4', '203.0.113.200', '2001:db8::1', 'é"\'\n\u0000x'.repeat(30), '\ud83d\ude00'.repeat(70), 'a\ud800b'.repeat(9)]) {
    assert.equal(detach(s), s);
    assert.equal(detach(`[${s}]`.slice(1, -1)), s);
  }
});
