// A real TCP server on 127.0.0.1 that speaks enough of the manager protocol for the AMI tests: the
// banner, Login (success, or `Response: Error` then close, as Asterisk does), Ping, and whatever raw
// bytes a test wants to push. Its own action parser is deliberately separate from the code under test.

import { createServer, type Server, type Socket } from 'node:net';
import { waitFor } from './wait-for.js';

export interface ReceivedAction {
  readonly conn: number; // 1-based connection number
  readonly fields: ReadonlyArray<readonly [string, string]>;
  readonly raw: string;
}

export interface FakeAmiOptions {
  banner?: string | null; // null: greet with nothing (a silent peer)
  users?: Record<string, string>;
  answerPing?: boolean;
  /** List actions (lowercased name) → the items' fields: answered `EventList: start`, the items, then `Complete`. */
  lists?: Record<string, ReadonlyArray<ReadonlyArray<readonly [string, string]>>>;
}

export class FakeAmiServer {
  readonly actions: ReceivedAction[] = [];
  readonly sockets: Socket[] = [];
  closedConnections = 0;
  private server: Server | null = null;
  private seq = 0;
  port = 0;
  banner: string | null;
  users: Record<string, string>;
  answerPing: boolean;
  lists: NonNullable<FakeAmiOptions['lists']>;

  constructor(opts: FakeAmiOptions = {}) {
    this.banner = opts.banner === undefined ? 'Asterisk Call Manager/9.0.0' : opts.banner;
    this.users = opts.users ?? { voipguard: 's3cret-Pa55' };
    this.answerPing = opts.answerPing ?? true;
    this.lists = opts.lists ?? {};
  }

  /** Listens on 127.0.0.1 (port 0 the first time, the same port on a restart). */
  listen(port = this.port): Promise<number> {
    const server = createServer((s) => this.accept(s));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const a = server.address();
        this.port = typeof a === 'object' && a !== null ? a.port : 0;
        resolve(this.port);
      });
    });
  }

  /** Stops listening and drops every connection (an Asterisk restart or crash). */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  /** The latest live connection. */
  get last(): Socket {
    const s = this.sockets.at(-1);
    if (!s) throw new Error('no connection');
    return s;
  }

  get liveConnections(): number {
    return this.sockets.filter((s) => !s.destroyed).length;
  }

  /** Writes to the latest connection and resolves when the data was handed to the kernel. */
  write(data: string | Buffer, socket: Socket = this.last): Promise<void> {
    return new Promise((resolve, reject) => socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  /** Writes a large payload in chunks, honouring backpressure (so the server itself stays small). */
  async pump(chunks: Iterable<string>, socket: Socket = this.last): Promise<void> {
    for (const c of chunks) {
      if (!socket.write(c)) await new Promise<void>((r) => socket.once('drain', () => r()));
    }
  }

  actionsNamed(name: string): ReceivedAction[] {
    return this.actions.filter((a) => a.fields.some(([k, v]) => k.toLowerCase() === 'action' && v.toLowerCase() === name.toLowerCase()));
  }

  private accept(s: Socket): void {
    const conn = ++this.seq;
    this.sockets.push(s);
    s.setNoDelay(true);
    s.on('error', () => {});
    s.on('close', () => {
      this.closedConnections++;
      const i = this.sockets.indexOf(s);
      if (i >= 0) this.sockets.splice(i, 1);
    });
    if (this.banner !== null) s.write(`${this.banner}\r\n`);
    let buf = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\r\n\r\n'); i >= 0; i = buf.indexOf('\r\n\r\n')) {
        const raw = buf.slice(0, i);
        buf = buf.slice(i + 4);
        const fields = raw.split('\r\n').map((l): [string, string] => {
          const c = l.indexOf(':');
          return [l.slice(0, c), l.slice(c + 1).trimStart()];
        });
        this.actions.push({ conn, fields, raw });
        this.answer(s, fields);
      }
    });
  }

  private answer(s: Socket, fields: Array<[string, string]>): void {
    const get = (k: string) => fields.find(([x]) => x.toLowerCase() === k.toLowerCase())?.[1];
    const id = get('ActionID') ?? '';
    const action = (get('Action') ?? '').toLowerCase();
    if (action === 'login') {
      const user = get('Username') ?? '';
      if (this.users[user] !== undefined && this.users[user] === get('Secret')) {
        s.write(`Response: Success\r\nActionID: ${id}\r\nMessage: Authentication accepted\r\n\r\n`);
      } else {
        s.end(`Response: Error\r\nActionID: ${id}\r\nMessage: Authentication failed\r\n\r\n`);
      }
    } else if (action === 'events') {
      // Asterisk answers with the resulting state: Off when the mask is off or none
      const mask = (get('EventMask') ?? '').toLowerCase();
      s.write(`Response: Success\r\nActionID: ${id}\r\nEvents: ${mask === 'off' || mask === 'none' ? 'Off' : 'On'}\r\n\r\n`);
    } else if (action === 'ping') {
      if (this.answerPing) s.write(`Response: Success\r\nActionID: ${id}\r\nPing: Pong\r\nTimestamp: 1772360130.123456\r\n\r\n`);
    } else if (this.lists[action] !== undefined) {
      const items = this.lists[action]!;
      const name = items[0]?.find(([k]) => k === 'Event')?.[1] ?? 'Item';
      s.write(`Response: Success\r\nActionID: ${id}\r\nEventList: start\r\nMessage: list will follow\r\n\r\n`);
      for (const it of items) s.write(amiBlock([...it.slice(0, 1), ['ActionID', id], ...it.slice(1)]));
      s.write(`Event: ${name}Complete\r\nActionID: ${id}\r\nEventList: Complete\r\nListItems: ${items.length}\r\n\r\n`);
    } else {
      s.write(`Response: Error\r\nActionID: ${id}\r\nMessage: Invalid/unknown command\r\n\r\n`);
    }
  }
}

/** An AMI event block as wire text. */
export function amiBlock(fields: ReadonlyArray<readonly [string, string]>): string {
  return fields.map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
}

/**
 * Polls until `check` holds or the deadline passes (for waits on real sockets only; never for time
 * that the test could drive itself).
 */
export async function waitUntil(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  await waitFor(check, { what, timeoutMs, intervalMs: 2 });
}
