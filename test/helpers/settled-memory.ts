// What the tests that bound a table's memory read: the heap and the typed arrays' memory (which sits
// outside the heap: the jails' records and indexes), after a full collection, twice. V8 frees a
// typed array's memory on a background thread after a collection and finishes that before it
// starts the next one: after two, what was freed is counted as freed.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Bytes in use (heap and typed arrays) once collected. */
export function settledMemory(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}
