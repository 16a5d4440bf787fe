// `npm run bench:ami`: security events per second read from a local AMI server over TCP, parsed and
// turned into Failures by the code the daemon runs (AmiClient on asterisk-manager → AmiFailureFilter). The server runs in
// a worker thread so that writing does not share the measured core. Target: ≥ 100,000 events/s.

import { Worker } from 'node:worker_threads';
import { AmiClient } from '../src/sources/ami-client.js';
import { AmiFailureFilter } from '../src/filters/ami-failures.js';
import { SystemClock } from '../src/core/clock.js';
import { silentLogger } from '../src/log/logger.js';

const N = Number(process.env.AMI_BENCH_EVENTS ?? 1_000_000);
const RUNS = 3;

// Plain JS: a worker cannot load TypeScript without a loader. Answers Login, then, on each
// `Action: UserEvent` from the main thread's trigger, writes N security events with backpressure.
const SERVER = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const N = workerData.n;
const kinds = ['InvalidAccountID', 'ChallengeResponseFailed', 'InvalidPassword', 'FailedACL'];
function block(i) {
  const k = kinds[i & 3];
  const v6 = (i % 10) === 0;
  return 'Event: ' + k + '\\r\\nPrivilege: security,all\\r\\nEventTV: 2026-03-01T10:15:30.' + String(i % 1000).padStart(3, '0') + '+0000\\r\\n'
    + 'Severity: Error\\r\\nService: PJSIP\\r\\nEventVersion: 1\\r\\nAccountID: ' + (1000 + (i % 500)) + '\\r\\n'
    + 'SessionID: ' + i.toString(36) + '-f8ccac10-5677c924@198.51.100.10\\r\\nLocalAddress: IPV4/UDP/198.51.100.10/5060\\r\\n'
    + 'RemoteAddress: ' + (v6 ? 'IPV6/UDP/2001:db8::' + (i % 65536).toString(16) : 'IPV4/UDP/203.0.' + ((i >> 8) & 255) + '.' + (i & 255)) + '/5072\\r\\n'
    + (k === 'ChallengeResponseFailed' ? 'Challenge: 1569024763/510a7e1ed568b93ce283d1b16bc17a15\\r\\nResponse: 8e181448412899ccb20ea585efc8bab0\\r\\nExpectedResponse: \\r\\n' : '')
    + '\\r\\n';
}
// generated on the fly, one 64 KiB chunk at a time: the worker stays small
function* chunks() {
  let c = '';
  for (let i = 0; i < N; i++) { c += block(i); if (c.length > 65536) { yield c; c = ''; } }
  if (c) yield c;
}
let bytes = 0;
for (let i = 0; i < N; i++) bytes += block(i).length;
const server = net.createServer((s) => {
  s.setNoDelay(true);
  s.on('error', () => {});
  s.write('Asterisk Call Manager/9.0.0\\r\\n');
  let buf = '';
  s.setEncoding('utf8');
  s.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\\r\\n\\r\\n')) >= 0) {
      const a = buf.slice(0, i); buf = buf.slice(i + 4);
      const id = (/ActionID: (.*)/.exec(a) || [])[1] || '';
      if (/Action: Login/i.test(a)) s.write('Response: Success\\r\\nActionID: ' + id + '\\r\\nMessage: Authentication accepted\\r\\n\\r\\n');
      else if (/Action: Events/i.test(a)) s.write('Response: Success\\r\\nActionID: ' + id + '\\r\\nEvents: On\\r\\n\\r\\n');
      else if (/Action: Ping/i.test(a)) s.write('Response: Success\\r\\nActionID: ' + id + '\\r\\nPing: Pong\\r\\n\\r\\n');
    }
  });
  parentPort.on('message', async () => {
    for (const x of chunks()) if (!s.write(x)) await new Promise((r) => s.once('drain', r));
  });
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port, bytes }));
`;

async function main(): Promise<void> {
  const worker = new Worker(SERVER, { eval: true, workerData: { n: N } });
  const { port, bytes } = await new Promise<{ port: number; bytes: number }>((r) => worker.once('message', r));
  const log = silentLogger();
  const client = new AmiClient({ host: '127.0.0.1', port, username: 'bench', secret: 'bench' }, { log, clock: new SystemClock() });
  const filter = new AmiFailureFilter({ log });
  let failures = 0;
  let target = 0;
  let finish: () => void = () => {};
  client.onEvent((e) => {
    if (filter.toFailure(e) !== null && ++failures === target) finish();
  });
  await new Promise<void>((resolve) => {
    client.onState((s) => s.status === 'connected' && resolve());
    client.start();
  });
  const rates: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    target += N;
    const done = new Promise<void>((r) => (finish = r));
    const t0 = process.hrtime.bigint();
    worker.postMessage('go');
    await done;
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    rates.push(N / s);
    console.log(
      `run ${run + 1}: ${N.toLocaleString('en')} events in ${s.toFixed(3)} s = ${Math.round(N / s).toLocaleString('en')} events/s (${(bytes / s / 1e6).toFixed(0)} MB/s)`,
    );
  }
  const st = filter.stats();
  if (st.failures !== N * RUNS || client.state().blocksDropped !== 0) throw new Error(`lost events: ${JSON.stringify(st)}`);
  const best = Math.max(...rates);
  console.log(
    `ami (asterisk-manager): best ${Math.round(best).toLocaleString('en')} events/s parsed into failures (target ≥ 100,000); rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`,
  );
  await client.stop();
  await worker.terminate();
}

await main();
