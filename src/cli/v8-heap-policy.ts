// The heap policy over V8's own flag. V8 reads --optimize-for-size at each collection (its
// heap-growing and memory-reducing decisions), so turning it on and off while the process runs takes
// effect at the next collection. Set before the modules load, its extra collections were about a
// tenth of the CPU before ready (docs/flood.md): the daemon turns it on once ready.

import { setFlagsFromString } from 'node:v8';
import { HeapPolicyState } from '../core/heap-policy.js';

export class V8HeapPolicy extends HeapPolicyState {
  protected override apply(memory: boolean): void {
    setFlagsFromString(memory ? '--optimize-for-size' : '--no-optimize-for-size');
  }
}
