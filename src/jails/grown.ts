// A typed array made longer, its numbers kept: how the jails' tables (numbered records in typed
// arrays) make room. The new places hold `fill` (a table's "none": -1, or 0).

export function grownInt32(old: Int32Array, n: number, fill = 0): Int32Array<ArrayBuffer> {
  const a = new Int32Array(n);
  if (fill !== 0) a.fill(fill, old.length);
  a.set(old);
  return a;
}

export function grownFloat64(old: Float64Array, n: number): Float64Array<ArrayBuffer> {
  const a = new Float64Array(n);
  a.set(old);
  return a;
}
