// The manager protocol on the wire: a banner line, then blocks of `Key: value` lines ended by an
// empty line (CRLF; a bare LF is accepted). Both protocol layers read the stream through this parser
// (README § AMI): fields stay ordered pairs with duplicates kept, every line and block has a size
// cap, so a peer that sends an endless line is dropped instead of buffered forever, and lines that
// are not `Key: value` are counted per block (the session decides what a block with them means).

import { VoipguardError } from '../core/errors.js';

export type AmiPair = readonly [key: string, value: string];

export interface AmiWireLimits {
  /** Longest line accepted, in characters (a line over it is fatal: the peer is not Asterisk). */
  readonly maxLineLength: number;
  /** Most `Key: value` lines in one block (fatal too). */
  readonly maxFields: number;
}

export const DEFAULT_WIRE_LIMITS: AmiWireLimits = Object.freeze({ maxLineLength: 8192, maxFields: 256 });

export interface AmiFrameSink {
  banner(text: string): void;
  /** A complete block. The array is the sink's to keep. */
  frame(fields: AmiPair[]): void;
  /** A block that held lines without `Key:` (garbage), with its good fields; the session decides. */
  malformed(fields: AmiPair[], badLines: number): void;
}

const BANNER = 'Asterisk Call Manager';

/** Incremental parser for one connection. Throws VG_AMI_PROTOCOL on anything that is fatal. */
export class AmiFrameParser {
  private partial = '';
  private fields: AmiPair[] = [];
  private badLines = 0;
  private sawBanner = false;

  constructor(
    private readonly sink: AmiFrameSink,
    private readonly limits: AmiWireLimits = DEFAULT_WIRE_LIMITS,
  ) {}

  /** Feeds decoded text (the socket's StringDecoder keeps split UTF-8 sequences whole). */
  push(chunk: string): void {
    const data = this.partial.length > 0 ? this.partial + chunk : chunk;
    const max = this.limits.maxLineLength;
    let start = 0;
    for (let nl = data.indexOf('\n'); nl >= 0; nl = data.indexOf('\n', start)) {
      const end = nl > start && data.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      if (end - start > max) throw tooLong(max);
      this.line(data, start, end);
      start = nl + 1;
    }
    this.partial = start === 0 ? data : data.slice(start);
    if (this.partial.length > max + 1) throw tooLong(max);
  }

  /** Characters held back waiting for the end of a line (for tests of the cap). */
  get buffered(): number {
    return this.partial.length;
  }

  private line(data: string, s: number, e: number): void {
    if (!this.sawBanner) {
      const text = data.slice(s, e);
      if (!text.startsWith(BANNER)) {
        throw new VoipguardError('VG_AMI_PROTOCOL', 'the peer did not greet with "Asterisk Call Manager/<version>"');
      }
      this.sawBanner = true;
      this.sink.banner(text);
      return;
    }
    if (e === s) {
      if (this.fields.length > 0 || this.badLines > 0) this.flush();
      return;
    }
    const colon = data.indexOf(':', s);
    if (colon <= s || colon >= e) {
      this.badLines++;
      return;
    }
    let key = data.slice(s, colon);
    if (key.charCodeAt(0) === 32 || key.charCodeAt(key.length - 1) === 32) key = key.trim();
    // Asterisk skips the blanks after the colon (astman_get_header); trailing ones are kept.
    let v = colon + 1;
    while (v < e && (data.charCodeAt(v) === 32 || data.charCodeAt(v) === 9)) v++;
    if (key.length === 0) {
      this.badLines++;
      return;
    }
    this.fields.push([key, data.slice(v, e)]);
    if (this.fields.length + this.badLines > this.limits.maxFields) {
      throw new VoipguardError('VG_AMI_PROTOCOL', `an AMI block longer than ${this.limits.maxFields} lines`);
    }
  }

  private flush(): void {
    const fields = this.fields;
    const bad = this.badLines;
    this.fields = [];
    this.badLines = 0;
    if (bad > 0) this.sink.malformed(fields, bad);
    else this.sink.frame(fields);
  }
}

function tooLong(max: number): VoipguardError {
  return new VoipguardError('VG_AMI_PROTOCOL', `an AMI line longer than ${max} characters`);
}

const KEY = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * One action as wire text, fields in the given order. A key or value that could break the framing
 * (CR, LF, a key with a colon) is refused: asterisk-manager writes values unchecked, so a CRLF in a
 * value injects headers. The message never includes the value (it may be the secret).
 */
export function formatAction(fields: readonly AmiPair[]): string {
  let out = '';
  for (const [k, v] of fields) {
    if (!KEY.test(k)) throw new VoipguardError('VG_AMI_PROTOCOL', `AMI action key "${k.slice(0, 40)}" is not a header name`);
    if (/[\r\n]/.test(v)) throw new VoipguardError('VG_AMI_PROTOCOL', `AMI action field ${k} contains a line break`);
    out += `${k}: ${v}\r\n`;
  }
  return out + '\r\n';
}

export type AmiBlockKind = 'event' | 'reply' | 'garbage' | 'other';

/**
 * What a block is, for both protocol layers. The first header decides: Asterisk writes `Event:`
 * first in an event and `Response:` first in a reply, so a `Response:` further down an event block
 * (PJSIP ChallengeResponseFailed) is a field. An event with lines that are not `Key: value` stays an
 * event (the caller flags it): dropping it would let an attacker hide his attempt behind a CR/LF
 * planted in a field Asterisk does not escape (PJSIP AccountID, facts §1.10). Any other block with
 * such lines is garbage.
 */
export function blockKind(fields: readonly AmiPair[], badLines: number): AmiBlockKind {
  const first = fields[0]?.[0].toLowerCase();
  if (first === 'event') return 'event';
  if (badLines > 0) return 'garbage';
  return first === 'response' ? 'reply' : 'other';
}

/** The value of the first field named `key` (case-insensitive, as Asterisk matches headers). */
export function fieldValue(fields: readonly AmiPair[], key: string): string | undefined {
  const k = key.toLowerCase();
  for (const [name, value] of fields) if (name.length === k.length && name.toLowerCase() === k) return value;
  return undefined;
}
