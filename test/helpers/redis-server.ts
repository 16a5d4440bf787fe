// A real redis-server (the Debian package) for the cluster tests: started by the test on a unix
// socket (reachable from every network namespace) and optionally a loopback TLS port, with a
// password, its data in a temp dir (append-only file, so a kill -9 keeps what was acknowledged), and
// stopped by the test. Never the packaged service: its port and socket are not used.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait-for.js';

export const HAVE_REDIS = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).status === 0;

export interface RedisOptions {
  /** Also listen with TLS on this port, with this certificate and key (PEM files), on `bind`
   *  (default 127.0.0.1). */
  readonly tls?: { readonly port: number; readonly cert: string; readonly key: string; readonly bind?: string };
  /** Run it inside this network namespace (one the test made): its TLS port is then reached over
   *  that namespace's link, as a Redis at another site would be; the unix socket, a file, is
   *  reached from everywhere still. */
  readonly netns?: string;
}

export class TestRedis {
  readonly dir = mkdtempSync(join(tmpdir(), 'vg-redis-'));
  readonly socket = join(this.dir, 'redis.sock');
  readonly password = `pw-${process.pid}-${Math.random().toString(36).slice(2)}`;
  private proc: ChildProcess | null = null;
  private out = '';

  constructor(private readonly opts: RedisOptions = {}) {}

  /** The running server's process id (a benchmark reads its CPU from /proc). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  async start(): Promise<void> {
    const args = [
      '--port',
      '0',
      '--unixsocket',
      this.socket,
      '--unixsocketperm',
      '700',
      '--requirepass',
      this.password,
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--daemonize',
      'no',
      '--logfile',
      '',
    ];
    const t = this.opts.tls;
    if (t)
      args.push('--tls-port', String(t.port), '--bind', t.bind ?? '127.0.0.1', '--tls-cert-file', t.cert, '--tls-key-file', t.key, '--tls-auth-clients', 'no');
    this.out = '';
    // `ip netns exec` execs redis-server itself: the child is the server (its pid, its signals)
    const argv = this.opts.netns ? (['ip', ['netns', 'exec', this.opts.netns, 'redis-server', ...args]] as const) : (['redis-server', args] as const);
    const p = spawn(argv[0], argv[1], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = p;
    p.stdout!.on('data', (c: Buffer) => (this.out += c.toString()));
    p.stderr!.on('data', (c: Buffer) => (this.out += c.toString()));
    await waitFor(() => /ready to accept connections/i.test(this.out) || p.exitCode !== null, { what: 'redis-server ready', timeoutMs: 10_000 });
    if (p.exitCode !== null) throw new Error(`redis-server exited: ${this.out}`);
  }

  /** Stops it: SIGKILL for an outage, SIGTERM for the end. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await gone;
    this.proc = null;
  }

  /** redis-cli on the socket, with the password (argv, no shell). */
  cli(args: readonly string[]): string {
    const r = spawnSync('redis-cli', ['-s', this.socket, '--no-auth-warning', '-a', this.password, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A self-signed certificate for `ip` (default 127.0.0.1) made with openssl; returns the PEM paths. */
export function selfSignedCert(dir: string, ip = '127.0.0.1'): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${ip}`, '-addext', `subjectAltName=IP:${ip}`],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  return { cert, key };
}
