// The CLI's side of the control socket: one request, one reply. A daemon that is not running, a
// socket the user may not open, and a daemon that does not answer are three different errors, each
// naming the socket path.

import { connect } from 'node:net';
import { VoipguardError } from '../core/errors.js';
import type { Command, ReplyOf, RequestOf, WireReply } from './protocol.js';

export class ControlClient {
  private nextId = 1;

  constructor(
    readonly socketPath: string,
    private readonly timeoutMs = 30_000,
  ) {}

  request<K extends Command>(req: RequestOf<K>): Promise<ReplyOf<K>> {
    const id = this.nextId++;
    const path = this.socketPath;
    return new Promise((resolve, reject) => {
      const s = connect(path);
      let buf = '';
      let settled = false;
      const finish = (err: Error | null, data?: unknown) => {
        if (settled) return;
        settled = true;
        s.destroy();
        if (err) reject(err);
        else resolve(data as ReplyOf<K>);
      };
      s.setEncoding('utf8');
      s.setTimeout(this.timeoutMs, () => finish(new VoipguardError('VG_CONTROL_TIMEOUT', `no answer on ${path} within ${Math.round(this.timeoutMs / 1000)}s`)));
      s.once('connect', () => s.write(JSON.stringify({ id, req }) + '\n'));
      s.on('error', (e: NodeJS.ErrnoException) => finish(connectError(path, e)));
      s.on('data', (chunk: string) => {
        buf += chunk;
        const nl = buf.indexOf('\n');
        if (nl < 0) return;
        let reply: WireReply;
        try {
          reply = JSON.parse(buf.slice(0, nl)) as WireReply;
        } catch (e) {
          return finish(new VoipguardError('VG_INTERNAL', `the daemon on ${path} sent a reply that is not JSON`, {}, { cause: e }));
        }
        if (reply.ok) finish(null, reply.data);
        else finish(new VoipguardError(reply.error.code, reply.error.message, reply.error.place ?? {}));
      });
      s.on('end', () => finish(new VoipguardError('VG_NOT_RUNNING', `the daemon on ${path} closed the connection without answering`)));
    });
  }
}

function connectError(path: string, e: NodeJS.ErrnoException): VoipguardError {
  if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED' || e.code === 'ENOTDIR') {
    return new VoipguardError(
      'VG_NOT_RUNNING',
      `voipguard is not running: nothing answers on ${path} (${e.code}). Start it with \`systemctl start voipguard\` or \`voipguard daemon\``,
      {},
      { cause: e },
    );
  }
  if (e.code === 'EACCES' || e.code === 'EPERM') {
    return new VoipguardError('VG_PERMISSION', `permission denied on ${path}: the control socket is root-only (run as root, e.g. with sudo)`, {}, { cause: e });
  }
  return new VoipguardError('VG_NOT_RUNNING', `cannot reach the daemon on ${path}: ${e.message}`, {}, { cause: e });
}
