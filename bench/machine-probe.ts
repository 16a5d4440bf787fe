// npm run bench:machine — the machine's speed at the moment, to set beside a bench figure taken at
// the same time: the development machine's speed drifts by up to 40 % within minutes
// (docs/benchmarks.md). Two loops:
//
// - compute: 100,000,000 steps of multiply and xor on two numbers, no memory (milliseconds);
// - memory: 4,000,000 dependent loads from a 64 MB table, each load's place given by the one
//   before (nanoseconds per load: what one miss to main memory costs now).
//
// The twenty-third session ran it before each row of twelve `bench:jail -- accounts` runs: the
// compute loop held still while the rows drifted, and the load's cost did not follow them.
// Prints one line of JSON: {"computeMs":…,"chaseNs":…}.

const STEPS = 100_000_000;
const LOADS = 4_000_000;
const SLOTS = 1 << 24; // 64 MB of Int32

function compute(): number {
  let a = 1;
  let b = 2;
  const start = process.hrtime.bigint();
  for (let i = 0; i < STEPS; i++) {
    a = (Math.imul(a ^ (a >>> 13), 0x85ebca6b) + i) | 0;
    b = (b + a) | 0;
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (b === 0.5) console.log(b); // never: keeps the loop's result in use
  return ms;
}

function chase(): number {
  const table = new Int32Array(SLOTS);
  // each slot points at a scattered other one (a multiplicative step: no two loads on one line in a row)
  for (let i = 0; i < SLOTS; i++) table[i] = (Math.imul(i, 0x9e3779b1) >>> 8) & (SLOTS - 1);
  let p = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < LOADS; i++) p = table[(p + i) & (SLOTS - 1)]!;
  const ns = Number(process.hrtime.bigint() - start) / LOADS;
  if (p === -1) console.log(p); // never
  return ns;
}

const computeMs = compute();
const chaseNs = chase();
console.log(JSON.stringify({ computeMs: Math.round(computeMs), chaseNs: Math.round(chaseNs) }));
