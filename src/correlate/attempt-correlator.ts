// One attempt counts once. The same login attempt reaches a jail as an AMI event, a security-log
// line and one or more notice lines; counting each signal would ban after a third of `maxretry`.
// Pure: no clock, no timers; `now` (wall time, for memory expiry) is passed in, while the windows
// compare event times (Failure.time), so a log line read seconds late still finds its AMI twin.
//
// The rule (docs/ami.md), in the order tried:
//  1. same Call-ID: a signal with the SIP Call-ID (PJSIP SessionID, `callid:` of a NOTICE line) of
//     an attempt from the same address, within idWindowMs of its first signal, joins it, from any
//     source, as long as that attempt still has room for this source and class (an unknown-user
//     REGISTER gives InvalidAccountID twice and ChallengeResponseFailed once under one Call-ID);
//  2. same pointer SessionID (chan_sip, AMI: `0x7f…`, reused by Asterisk for later sessions): only
//     within pointerWindowMs, which covers chan_sip's doubled FailedACL 1 ms apart and nothing more;
//  3. across different sources only, with no shared id: same address, an equivalent class
//     (attempt-classes.ts), event times within crossWindowMs, ids not contradicting, the attempt
//     already holding a signal of another source, and room left for this source and class; the
//     oldest such attempt is taken, so a burst of ten attempts seen through two sources pairs up;
//  4. manager.c writes `failed to authenticate as` after `nonexistent user` / `failed to pass IP ACL`
//     for one AMI login: those two lines of one source pair up, once each;
//  otherwise the signal is a new attempt. Two signals of one source are thus never merged without
//  an id Asterisk gave them, and a source never adds more than its per-class room to one attempt,
//  which bounds how far an attacker who reuses a Call-ID can lower his count.

import { detach } from '../core/detach.js';
import type { Failure } from '../core/types.js';
import { attemptClass, type AttemptClass } from './attempt-classes.js';
import { countOf, GONE, idsAgree, join, signalAt, someSignal, type Attempt, type Signal } from './attempt.js';

export interface CorrelatorOptions {
  readonly enabled?: boolean; // false: every signal counts (stats still kept)
  readonly idWindowMs?: number; // same Call-ID; default 10 s
  readonly pointerWindowMs?: number; // same pointer SessionID; default 10 ms
  readonly crossWindowMs?: number; // different sources, no id; default 2 s (log times have 1 s resolution)
  readonly retainMs?: number; // wall time an attempt is remembered; default 30 s
  readonly maxAttempts?: number; // default 100,000
  readonly maxPerIp?: number; // default 256
}

export type CorrelationRule = 'new' | 'same-id' | 'same-pointer' | 'cross-source' | 'login-pair' | 'uncorrelated';

export interface CorrelatorStats {
  readonly signals: number;
  readonly attempts: number;
  readonly merged: Readonly<Record<'sameId' | 'samePointer' | 'crossSource' | 'loginPair', number>>;
  readonly tracked: number;
  readonly evicted: number;
}

/** Room per source and class in one attempt, for signals joined by an id (facts §3, §9.4, §9.11). */
const ROOM: Readonly<Record<string, number>> = { 'unknown-account': 2, acl: 3, 'bad-credentials': 1 };
const POINTER = /^0x[0-9a-f]{1,16}$/i;
const LOGIN_PRIMARY = new Set(['AMI:unknown-account', 'AMI:acl']);
const LOGIN_FAILED = 'AMI:login-failed';

export class AttemptCorrelator {
  private readonly o: Required<CorrelatorOptions>;
  /** An address's attempts, oldest first: the attempt itself while it is the only one (no array per address). */
  private readonly byIp = new Map<string, Attempt | Attempt[]>();
  private readonly byId = new Map<string, Attempt>();
  private queue: Attempt[] = []; // creation order = expiry order; evicted ones stay until compacted
  private head = 0;
  // Memory (docs/resources.md): every attempt used to carry its own class object and channel string;
  // a 1,000,000-address spread made hundreds of MB of copies of a dozen values. They are interned.
  private readonly classes = new Map<string, AttemptClass>();
  private readonly channels = new Map<string, string>();
  private lastEvent: { readonly origin: string; readonly source: string; readonly channel: string } | null = null;
  private lastLine: { readonly origin: string; readonly source: string; readonly channel: string } | null = null;
  private live = 0;
  private n = { signals: 0, attempts: 0, sameId: 0, samePointer: 0, crossSource: 0, loginPair: 0, evicted: 0 };

  constructor(opts: CorrelatorOptions = {}) {
    this.o = {
      enabled: opts.enabled ?? true,
      idWindowMs: opts.idWindowMs ?? 10_000,
      pointerWindowMs: opts.pointerWindowMs ?? 10,
      crossWindowMs: opts.crossWindowMs ?? 2000,
      retainMs: opts.retainMs ?? 30_000,
      maxAttempts: Math.max(1, opts.maxAttempts ?? 100_000),
      maxPerIp: Math.max(1, opts.maxPerIp ?? 256),
    };
  }

  /** true: a new attempt, to be counted; false: another signal of an attempt already counted. */
  accept(f: Failure, now: number): boolean {
    const rule = this.correlate(f, now);
    return rule === 'new' || rule === 'uncorrelated';
  }

  /** Like accept, but says which rule decided (for `voipguard regex` and debug logs). */
  correlate(f: Failure, now: number): CorrelationRule {
    this.n.signals++;
    this.prune(now);
    if (!this.o.enabled || f.origin === 'manual') {
      this.n.attempts++;
      return 'uncorrelated';
    }
    const s = this.toSignal(f);
    const rule = this.match(f.ip, s);
    if (rule !== 'new') this.n[RULE_STAT[rule]]++;
    else this.create(f.ip, s, now);
    return rule;
  }

  stats(): CorrelatorStats {
    const { signals, attempts, sameId, samePointer, crossSource, loginPair, evicted } = this.n;
    return { signals, attempts, merged: { sameId, samePointer, crossSource, loginPair }, tracked: this.live, evicted };
  }

  private match(ip: string, s: Signal): Exclude<CorrelationRule, 'uncorrelated'> {
    if (s.id !== null) {
      const a = this.byId.get(idKey(ip, s.id));
      if (a !== undefined && !a.dead && this.roomFor(a, s)) {
        // a pointer is compared with the signals that carried it, not with the attempt's other times
        const near = s.pointer
          ? someSignal(a, (x) => x.id === s.id && Math.abs(x.time - s.time) <= this.o.pointerWindowMs)
          : Math.abs(s.time - a.tMin) <= this.o.idWindowMs;
        if (near) {
          join(a, s);
          return s.pointer ? 'same-pointer' : 'same-id';
        }
      }
    }
    const held = this.byIp.get(ip);
    if (held === undefined) return 'new';
    if (!Array.isArray(held)) return this.joinSameAddress(held, s) ?? 'new';
    for (const a of held) {
      const rule = this.joinSameAddress(a, s);
      if (rule !== null) return rule;
    }
    return 'new';
  }

  /** Rules 3 and 4: `s` joins attempt `a` of the same address, or null. */
  private joinSameAddress(a: Attempt, s: Signal): 'cross-source' | 'login-pair' | null {
    const w = this.o.crossWindowMs;
    if (s.time < a.tMin - w || s.time > a.tMax + w || !idsAgree(a, s)) return null;
    let mine = 0;
    let mineFirst: Signal | null = null;
    const n = countOf(a);
    for (let i = 0; i < n; i++) {
      const x = signalAt(a, i);
      if (x.channel !== s.channel) continue;
      mine++;
      mineFirst ??= x;
    }
    if (mine < n && someSignal(a, (x) => fits(x.cls, s.cls)) && this.roomFor(a, s)) {
      this.addIds(a, s);
      join(a, s);
      return 'cross-source';
    }
    if (mine === 1 && isLoginPair(mineFirst!.cls.key, s.cls.key)) {
      this.addIds(a, s);
      join(a, s);
      return 'login-pair';
    }
    return null;
  }

  private roomFor(a: Attempt, s: Signal): boolean {
    let used = 0;
    const n = countOf(a);
    for (let i = 0; i < n; i++) {
      const x = signalAt(a, i);
      if (x.channel === s.channel && x.cls.key === s.cls.key) used++;
    }
    return used < (ROOM[s.cls.name] ?? 1);
  }

  private create(ip: string, s: Signal, now: number): void {
    this.n.attempts++;
    const old = this.byIp.get(ip);
    if (old !== undefined) {
      const n = Array.isArray(old) ? old.length : 1;
      if (n >= this.o.maxPerIp) this.evict(Array.isArray(old) ? old[0]! : old);
    }
    if (this.live >= this.o.maxAttempts) {
      this.skipDead();
      const oldest = this.queue[this.head];
      if (oldest !== undefined) {
        this.evict(oldest);
        this.release();
      }
    }
    const a: Attempt = { ip, tMin: s.time, tMax: s.time, expiresAt: now + this.o.retainMs, signals: s, ids: null, dead: false };
    this.addIds(a, s);
    const list = this.byIp.get(ip);
    if (list === undefined) this.byIp.set(ip, a);
    else if (Array.isArray(list)) list.push(a);
    else this.byIp.set(ip, [list, a]);
    this.queue.push(a);
    this.live++;
    // evicted attempts are dead but still queued; under a spread faster than retainMs they would
    // pile up there without bound: compact once the queue holds twice the cap (amortised O(1))
    if (this.queue.length - this.head > 2 * this.o.maxAttempts + 1024) {
      this.queue = this.queue.slice(this.head).filter((x) => !x.dead);
      this.head = 0;
    }
  }

  /** Attempts held in memory, evicted ones not yet compacted away included (for tests). */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** Attempt records the correlator still references, dead ones included (for tests: the memory bound). */
  get held(): number {
    let n = 0;
    for (const a of this.queue) if (a !== GONE) n++;
    return n;
  }

  private toSignal(f: Failure): Signal {
    const cls = intern(this.classes, attemptClass(f));
    const id = f.sessionId !== undefined && f.sessionId !== '' ? detach(f.sessionId) : null; // kept: not the line it was cut from
    return { channel: this.channelOf(f, cls.securityEvent), cls, id, pointer: id !== null && POINTER.test(id), time: f.time };
  }

  /** A file carrying both notice and security lines is two sources: the two kinds of signal differ. */
  private channelOf(f: Failure, event: boolean): string {
    // signals come in runs from one source: the last channel of each kind is kept, no key is built
    const last = event ? this.lastEvent : this.lastLine;
    if (last !== null && last.source === f.source && last.origin === f.origin) return last.channel;
    const ch = `${f.origin}|${f.source}|${event ? 'event' : 'line'}`;
    let channel = this.channels.get(ch);
    if (channel === undefined) {
      channel = ch;
      if (this.channels.size < INTERN_MAX) this.channels.set(ch, ch);
    }
    const now = { origin: f.origin, source: f.source, channel };
    if (event) this.lastEvent = now;
    else this.lastLine = now;
    return channel;
  }

  private addIds(a: Attempt, s: Signal): void {
    if (s.id === null) return;
    if (a.ids === null) a.ids = [s.id];
    else if (a.ids.includes(s.id)) return;
    else a.ids.push(s.id);
    this.byId.set(idKey(a.ip, s.id), a);
  }

  private evict(a: Attempt): void {
    this.n.evicted++;
    this.remove(a);
  }

  private remove(a: Attempt): void {
    if (a.dead) return;
    a.dead = true;
    this.live--;
    const list = this.byIp.get(a.ip);
    if (list === a) this.byIp.delete(a.ip);
    else if (Array.isArray(list)) {
      const i = list[0] === a ? 0 : list.indexOf(a);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 1) this.byIp.set(a.ip, list[0]!);
    }
    for (const id of a.ids ?? []) {
      const k = idKey(a.ip, id);
      if (this.byId.get(k) === a) this.byId.delete(k);
    }
  }

  /** Passes the head over attempts already dead (evicted), releasing their slots. */
  private skipDead(): void {
    while (this.head < this.queue.length && this.queue[this.head]!.dead) this.release();
  }

  /** The head attempt leaves the queue: its slot no longer holds it, so an evicted attempt is garbage at once
   *  (a spray past maxAttempts used to keep up to twice the cap of them, and every line their addresses were cut from). */
  private release(): void {
    this.queue[this.head++] = GONE;
  }

  private prune(now: number): void {
    const q = this.queue;
    while (this.head < q.length && (q[this.head]!.dead || q[this.head]!.expiresAt <= now)) {
      this.remove(q[this.head]!);
      this.release();
    }
    // the slots before head still hold their attempts: released soon, or the young ones that die
    // here survive every collection, and V8 then allocates all attempts in the old space
    // (pretenuring), which cost more than the correlation itself in `voipguard regex`'s profile
    if (this.head > 64 && this.head * 2 > q.length) {
      this.queue = q.slice(this.head);
      this.head = 0;
    }
  }
}

const RULE_STAT = { 'same-id': 'sameId', 'same-pointer': 'samePointer', 'cross-source': 'crossSource', 'login-pair': 'loginPair' } as const;

/** Interned values: a few dozen in practice (services × classes, sources × 2); capped all the same. */
const INTERN_MAX = 1024;

function intern(table: Map<string, AttemptClass>, c: AttemptClass): AttemptClass {
  const k = c.securityEvent ? `e|${c.key}` : `l|${c.key}`;
  const known = table.get(k);
  if (known !== undefined && known.service === c.service && known.name === c.name) return known;
  if (known === undefined && table.size < INTERN_MAX) table.set(k, Object.freeze(c));
  return c;
}

function idKey(ip: string, id: string): string {
  return `${ip}\u0000${id}`;
}

/** Equivalent classes; manager.c's `failed to authenticate as` follows every failed AMI login. */
function fits(x: AttemptClass, y: AttemptClass): boolean {
  return x.key === y.key || (x.key === LOGIN_FAILED && y.service === 'AMI') || (y.key === LOGIN_FAILED && x.service === 'AMI');
}

function isLoginPair(a: string, b: string): boolean {
  return (a === LOGIN_FAILED && LOGIN_PRIMARY.has(b)) || (b === LOGIN_FAILED && LOGIN_PRIMARY.has(a));
}
