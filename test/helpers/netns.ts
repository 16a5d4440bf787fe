// Two network namespaces joined by a veth pair, for tests that need a real kernel: an attacker
// and a defender, each with an IPv4 and an IPv6 address. Names are unique per process and call
// (`vgt<pid>x<n>a`), ICMP error rate limits are lifted in the defender (so every rejected probe
// gets its answer), and destroy() removes everything. Namespaces left by a test process that died
// are swept at the next create().
//
// Probes run as small node programs inside a namespace (`ip netns exec`): a UDP echo and TCP
// listener for the defender, one-shot UDP/TCP clients and a long-lived UDP client (one socket,
// so one conntrack flow) for the attacker.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { execa } from 'execa';
import { settle } from './wait-for.js';

export interface NetnsPair {
  readonly attacker: string;
  readonly defender: string;
  readonly attacker4: string;
  readonly defender4: string;
  readonly attacker6: string;
  readonly defender6: string;
  /** Runs argv inside a namespace; rejects on a non-zero exit. */
  exec(ns: string, argv: readonly string[], input?: string): Promise<{ stdout: string; stderr: string }>;
  /** Starts a UDP echo and a TCP listener on `ports` in the defender (both families). */
  serve(ports: readonly number[]): Promise<void>;
  /**
   * One probe from the attacker: 'reply' | 'open' (passed), 'refused' (ICMP unreachable or RST), 'timeout'…
   * The timeout (default 4 s) counts from the probe's start: a loaded CI machine once starved a probe
   * past 1.5 s before the kernel's refusal was read. An answer ends the probe at once, so only a
   * test that expects silence (DROP) waits the whole time, and it passes a short one.
   */
  probe(proto: 'udp' | 'tcp', host: string, port: number, timeoutMs?: number): Promise<string>;
  /** A UDP client that keeps one socket (one conntrack flow) across sends. */
  udpClient(host: string, port: number): Promise<UdpClient>;
  destroy(): Promise<void>;
}

export interface UdpClient {
  send(timeoutMs?: number): Promise<string>;
  close(): void;
}

const PREFIX = 'vgt';
let counter = 0;

const SERVER = `
const dgram = require('node:dgram'); const net = require('node:net');
const ports = JSON.parse(process.argv[1]); let ready = 0; const want = ports.length * 3;
const up = () => { if (++ready === want) console.log('ready'); };
for (const port of ports) {
  for (const type of ['udp4', 'udp6']) {
    const s = dgram.createSocket({ type, ipv6Only: type === 'udp6' });
    s.on('message', (m, r) => s.send(m, r.port, r.address));
    s.bind(port, type === 'udp4' ? '0.0.0.0' : '::', up);
  }
  const t = net.createServer((c) => { c.on('error', () => {}); c.end('hello\\n'); });
  t.listen({ port, host: '::' }, up);
}`;

const PROBE = `
const dgram = require('node:dgram'); const net = require('node:net');
const [proto, host, port, timeout] = process.argv.slice(1);
const done = (r) => { console.log(r); process.exit(0); };
setTimeout(() => done('timeout'), Number(timeout));
if (proto === 'udp') {
  const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  s.on('error', (e) => done(e.code === 'ECONNREFUSED' ? 'refused' : e.code));
  s.on('message', () => done('reply'));
  s.connect(Number(port), host, () => s.send('ping'));
} else {
  const c = net.connect({ host, port: Number(port) });
  c.on('connect', () => done('open'));
  c.on('error', (e) => done(e.code === 'ECONNREFUSED' || e.code === 'ECONNRESET' ? 'refused' : e.code));
}`;

// one line on stdin = one datagram on the same socket; one line on stdout = its outcome
const UDP_CLIENT = `
const dgram = require('node:dgram'); const rl = require('node:readline');
const [host, port] = process.argv.slice(1);
const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
let timer = null; const answer = (r) => { if (timer) { clearTimeout(timer); timer = null; console.log(r); } };
s.on('error', (e) => answer(e.code === 'ECONNREFUSED' ? 'refused' : e.code));
s.on('message', () => answer('reply'));
s.connect(Number(port), host, () => {
  console.log('ready');
  rl.createInterface({ input: process.stdin }).on('line', (t) => { timer = setTimeout(() => answer('timeout'), Number(t)); s.send('ping'); });
});`;

async function sweepStale(): Promise<void> {
  const r = await execa('ip', ['netns', 'list'], { reject: false });
  for (const line of r.stdout.split('\n')) {
    const m = new RegExp(`^(${PREFIX}(\\d+)x\\d+[ad])\\b`).exec(line);
    if (!m || Number(m[2]) === process.pid) continue;
    try {
      process.kill(Number(m[2]), 0);
    } catch {
      await execa('ip', ['netns', 'del', m[1]!], { reject: false });
    }
  }
}

export async function createNetnsPair(): Promise<NetnsPair> {
  await sweepStale();
  const id = `${PREFIX}${process.pid}x${counter++}`;
  const attacker = `${id}a`;
  const defender = `${id}d`;
  // interface names: at most 15 characters
  const vethA = `v${process.pid % 100000}x${counter}a`;
  const vethD = `v${process.pid % 100000}x${counter}d`;
  const children = new Set<ChildProcess>();
  const run = (argv: string[]) => execa(argv[0]!, argv.slice(1));
  const pair: NetnsPair = {
    attacker,
    defender,
    attacker4: '10.213.0.1',
    defender4: '10.213.0.2',
    attacker6: 'fd00:213::1',
    defender6: 'fd00:213::2',
    async exec(ns, argv, input) {
      const r = await execa('ip', ['netns', 'exec', ns, ...argv], { input: input ?? '' });
      return { stdout: r.stdout, stderr: r.stderr };
    },
    async serve(ports) {
      const child = spawn('ip', ['netns', 'exec', defender, process.execPath, '-e', SERVER, JSON.stringify(ports)], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.add(child);
      await firstLine(child, 10_000, 'ready');
    },
    async probe(proto, host, port, timeoutMs = 4000) {
      const r = await execa('ip', ['netns', 'exec', attacker, process.execPath, '-e', PROBE, proto, host, String(port), String(timeoutMs)], { reject: false });
      return r.stdout.trim() || `exit ${r.exitCode}: ${r.stderr.trim()}`;
    },
    async udpClient(host, port) {
      const child = spawn('ip', ['netns', 'exec', attacker, process.execPath, '-e', UDP_CLIENT, host, String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
      children.add(child);
      const lines = createInterface({ input: child.stdout! });
      const queue: string[] = [];
      const waiters: ((l: string) => void)[] = [];
      lines.on('line', (l) => (waiters.length ? waiters.shift()!(l) : queue.push(l)));
      const next = () => new Promise<string>((res) => (queue.length ? res(queue.shift()!) : waiters.push(res)));
      if ((await next()) !== 'ready') throw new Error('udp client did not start');
      return {
        async send(timeoutMs = 4000) {
          child.stdin!.write(`${timeoutMs}\n`);
          return next();
        },
        close() {
          child.kill('SIGKILL');
        },
      };
    },
    async destroy() {
      for (const c of children) c.kill('SIGKILL');
      await execa('ip', ['netns', 'del', attacker], { reject: false });
      await execa('ip', ['netns', 'del', defender], { reject: false });
    },
  };
  try {
    await run(['ip', 'netns', 'add', attacker]);
    await run(['ip', 'netns', 'add', defender]);
    await run(['ip', 'link', 'add', vethA, 'netns', attacker, 'type', 'veth', 'peer', 'name', vethD, 'netns', defender]);
    for (const [ns, dev, v4, v6] of [
      [attacker, vethA, pair.attacker4, pair.attacker6],
      [defender, vethD, pair.defender4, pair.defender6],
    ] as const) {
      await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      await run(['ip', '-n', ns, 'addr', 'add', `${v4}/24`, 'dev', dev]);
      await run(['ip', '-n', ns, '-6', 'addr', 'add', `${v6}/64`, 'dev', dev, 'nodad']);
      await run(['ip', '-n', ns, 'link', 'set', dev, 'up']);
    }
    // every rejected probe must get its ICMP answer, however many a test sends
    await pair.exec(defender, ['sysctl', '-q', '-w', 'net.ipv4.icmp_ratelimit=0', 'net.ipv6.icmp.ratelimit=0']);
  } catch (e) {
    await pair.destroy();
    throw e;
  }
  return pair;
}

function firstLine(child: ChildProcess, timeoutMs: number, expect: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${expect}" within ${timeoutMs} ms`)), timeoutMs);
    createInterface({ input: child.stdout! }).once('line', (l) => {
      clearTimeout(timer);
      if (l.trim() === expect) resolve();
      else reject(new Error(`expected "${expect}", got "${l}"`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited ${code} before "${expect}"`));
    });
  });
}

/** Polls `fn` until it returns `want` or the deadline passes (for kernel state that settles). */
export function until<T>(fn: () => Promise<T>, want: T, deadlineMs = 5000): Promise<T> {
  return settle(fn, want, { timeoutMs: deadlineMs, intervalMs: 50 });
}
