// The actions an AMI session has sent and not yet seen answered (moved out of ami-session.ts as they
// were): each gets a random ActionID (an attacker who plants `ActionID:` in an event cannot guess
// one), a timeout, and its reply matched by that ID, with the items of a list action gathered up to
// `EventList: Complete`. CR/LF in a field is refused: the package writes keys and values as given.

import { randomBytes } from 'node:crypto';
import type { Manager as ManagerInstance, ManagerMessage } from 'asterisk-manager';
import { VoipguardError, type ErrorCode } from '../core/errors.js';
import type { Timers, TimerHandle } from '../core/timers.js';

/** A reply to action(): the reply block, and for a list action (`EventList: start`) its items. */
export interface AmiReply {
  readonly reply: ManagerMessage;
  readonly items: readonly ManagerMessage[];
}

const MAX_PENDING = 8;
const MAX_LIST_ITEMS = 10_000;

interface Pending {
  readonly resolve: (r: AmiReply) => void;
  readonly reject: (e: VoipguardError) => void;
  readonly timer: TimerHandle;
  items: ManagerMessage[] | null; // set while a list action's items arrive
  reply: ManagerMessage | null;
}

export class AmiActions {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly mgr: ManagerInstance,
    private readonly timers: Timers,
    /** Ends the session: an action unanswered in time, too many pending, an endless list. */
    private readonly fail: (code: ErrorCode, message: string) => void,
  ) {}

  /** True when `id` is the ActionID of an action waiting for its reply. */
  awaits(id: unknown): id is string {
    return typeof id === 'string' && this.pending.has(id);
  }

  /** True when `id` is the ActionID of a list action whose items are arriving. */
  listing(id: unknown): id is string {
    return typeof id === 'string' && (this.pending.get(id)?.items ?? null) !== null;
  }

  send(fields: Readonly<Record<string, string>>, timeoutMs: number, what: string, resolve: (r: AmiReply) => void, reject: (e: VoipguardError) => void): void {
    if (this.pending.size >= MAX_PENDING) return this.fail('VG_AMI_TIMEOUT', `${MAX_PENDING} AMI actions without an answer`);
    const action: Record<string, string> = {};
    for (const [k, v] of Object.entries(fields)) {
      // the package writes keys and values as given: a CR/LF would inject headers
      if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(k) || /[\r\n]/.test(v)) {
        return reject(new VoipguardError('VG_AMI_PROTOCOL', `AMI action field "${printable(k).slice(0, 40)}" is not a header line`));
      }
      if (k.toLowerCase() !== 'actionid') action[k] = v;
    }
    const id = `vg-${randomBytes(12).toString('hex')}`;
    action.actionid = id;
    const timer = this.timers.setTimeout(() => {
      this.pending.delete(id);
      this.forget(id);
      this.fail('VG_AMI_TIMEOUT', `no answer to ${what} within ${timeoutMs} ms`);
    }, timeoutMs);
    this.pending.set(id, { resolve, reject, timer, items: null, reply: null });
    this.mgr.action(action); // its own callback is a no-op: the reply comes through onBlock
  }

  /** The reply block to an awaited action (awaits(b.actionid) is true). */
  answer(b: ManagerMessage): void {
    const id = b.actionid as string;
    const p = this.pending.get(id)!;
    if (typeof b.eventlist === 'string' && b.eventlist.toLowerCase() === 'start' && String(b.response).toLowerCase() === 'success') {
      p.items = [];
      p.reply = b;
      return;
    }
    this.done(id, p);
    p.resolve({ reply: b, items: [] });
  }

  /** An item of a list action (listing(b.actionid) is true), or the event that completes it. */
  listItem(b: ManagerMessage): void {
    const id = b.actionid as string;
    const p = this.pending.get(id)!;
    const items = p.items!;
    if (typeof b.eventlist === 'string' && b.eventlist.toLowerCase() === 'complete') {
      this.done(id, p);
      p.resolve({ reply: p.reply ?? b, items });
      return;
    }
    if (items.length >= MAX_LIST_ITEMS) return this.fail('VG_AMI_PROTOCOL', `an AMI list longer than ${MAX_LIST_ITEMS} items`);
    items.push(b);
  }

  /** The session ended: every action still waiting fails with `gone`. */
  rejectAll(gone: VoipguardError): void {
    for (const p of this.pending.values()) {
      this.timers.clearTimeout(p.timer);
      p.reject(gone);
    }
    this.pending.clear();
  }

  private done(id: string, p: Pending): void {
    this.pending.delete(id);
    this.forget(id);
    this.timers.clearTimeout(p.timer);
  }

  /** The package's one-shot reply listener for our ActionID `id` (a no-op callback): gone with the reply. */
  private forget(id: string): void {
    this.mgr.removeAllListeners(id);
  }
}

/** Peer text going into a log line or error: control characters out, length capped. */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, '?').slice(0, 200);
}
