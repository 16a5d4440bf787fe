// Typed config fields: each one knows its property name, its default (as the text a user would
// write, parsed by the same code as user values) and how to parse. A schema is a record of fields
// keyed by the ini key; `Values<S>` derives the TypeScript type from it, so the checks and the types
// come from one place.

import { parseDuration, PERMANENT } from '../core/duration.js';
import { VoipguardError, type ErrorCode, type ErrorPlace } from '../core/errors.js';

export interface FieldContext {
  readonly place: ErrorPlace;
  /** A note for the user that is not an error (once per distinct text). */
  warn(message: string): void;
}

export interface Field<P extends string, T> {
  readonly prop: P;
  /** The default as config text, parsed like a user value; null when the key has no default. */
  readonly default: string | null;
  /** The value when the key is absent and there is no default. */
  readonly absent: T;
  /** When absent, read this other key instead (maxmatches follows maxretry). */
  readonly fallback?: string;
  readonly doc: string;
  parse(raw: string, ctx: FieldContext): T;
}

export type Schema = Readonly<Record<string, Field<string, unknown>>>;

type FieldValue<F> = F extends Field<string, infer T> ? T : never;

/** The record type a schema produces: one readonly property per field, named by its `prop`. */
export type Values<S extends Schema> = { readonly [K in keyof S as S[K]['prop']]: FieldValue<S[K]> };

export function fail(code: ErrorCode, message: string, ctx: FieldContext): never {
  throw new VoipguardError(code, message, ctx.place);
}

const TRUE = new Set(['1', 'yes', 'true', 'on']);
const FALSE = new Set(['0', 'no', 'false', 'off']);

/** configparser's getboolean words, case-insensitive. */
export function parseBool(raw: string, ctx: FieldContext): boolean {
  const v = raw.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  return fail('VG_CONFIG_TYPE', `"${raw}" is not a boolean (true/false, yes/no, on/off, 1/0)`, ctx);
}

export function bool<P extends string>(prop: P, def: string, doc: string): Field<P, boolean> {
  return { prop, default: def, absent: false, doc, parse: parseBool };
}

export function int<P extends string>(prop: P, def: string | null, min: number, max: number, doc: string, fallback?: string): Field<P, number> {
  return {
    prop,
    default: def,
    absent: min,
    doc,
    ...(fallback ? { fallback } : {}),
    parse(raw, ctx) {
      const v = raw.trim();
      if (!/^-?\d+$/.test(v)) fail('VG_CONFIG_TYPE', `"${raw}" is not a whole number`, ctx);
      const n = Number(v);
      if (n < min || n > max) fail('VG_CONFIG_TYPE', `${n} is out of range (${min} to ${max})`, ctx);
      return n;
    },
  };
}

export function positiveNumber<P extends string>(prop: P, def: string, doc: string): Field<P, number> {
  return {
    prop,
    default: def,
    absent: 1,
    doc,
    parse(raw, ctx) {
      const v = raw.trim();
      if (!/^\d+(\.\d+)?$/.test(v) || Number(v) <= 0) fail('VG_CONFIG_TYPE', `"${raw}" is not a positive number`, ctx);
      return Number(v);
    },
  };
}

export interface DurationOpts {
  /** -1 (or any negative) means permanent and is allowed. */
  readonly permanent: boolean;
}

/** fail2ban durations in ms; PERMANENT (-1) only where allowed; zero is refused. */
export function parseDurationField(raw: string, opts: DurationOpts, ctx: FieldContext): number {
  const ms = parseDuration(raw);
  if (ms === null) return fail('VG_CONFIG_DURATION', `"${raw}" is not a duration (600, 10m, 1h, 1d, 1w${opts.permanent ? ', -1' : ''})`, ctx);
  if (ms === PERMANENT && !opts.permanent) return fail('VG_CONFIG_DURATION', 'a negative (permanent) value makes no sense here', ctx);
  if (ms === 0) return fail('VG_CONFIG_DURATION', 'must be longer than zero', ctx);
  return ms;
}

export function duration<P extends string>(prop: P, def: string, opts: DurationOpts, doc: string): Field<P, number> {
  return { prop, default: def, absent: 0, doc, parse: (raw, ctx) => parseDurationField(raw, opts, ctx) };
}

/** An optional duration: empty text or absent → null. */
export function optionalDuration<P extends string>(prop: P, doc: string): Field<P, number | null> {
  return {
    prop,
    default: null,
    absent: null,
    doc,
    parse: (raw, ctx) => (raw.trim() === '' ? null : parseDurationField(raw, { permanent: false }, ctx)),
  };
}

export function text<P extends string>(prop: P, def: string | null, re: RegExp, what: string, doc: string): Field<P, string> {
  return {
    prop,
    default: def,
    absent: '',
    doc,
    parse(raw, ctx) {
      const v = raw.trim();
      if (!re.test(v)) fail('VG_CONFIG_TYPE', `"${raw}" is not ${what}`, ctx);
      return v;
    },
  };
}

export function optionalText<P extends string>(prop: P, re: RegExp, what: string, doc: string): Field<P, string | null> {
  return {
    prop,
    default: null,
    absent: null,
    doc,
    parse(raw, ctx) {
      const v = raw.trim();
      if (v === '') return null;
      if (!re.test(v)) fail('VG_CONFIG_TYPE', `"${raw}" is not ${what}`, ctx);
      return v;
    },
  };
}

/** Space, comma or newline separated words. */
export function splitList(raw: string): string[] {
  return raw.split(/[\s,]+/).filter((w) => w !== '');
}

export function custom<P extends string, T>(prop: P, def: string | null, absent: T, doc: string, parse: (raw: string, ctx: FieldContext) => T): Field<P, T> {
  return { prop, default: def, absent, doc, parse };
}

/** Reads every field of a schema through `lookup`; collects errors instead of stopping at the first. */
export function readSchema<S extends Schema>(
  schema: S,
  lookup: (key: string) => { raw: string; place: ErrorPlace } | undefined,
  fallbackPlace: ErrorPlace,
  warn: (message: string) => void,
  errors: VoipguardError[],
): Values<S> {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema)) {
    // a failed field still gets its default, so a caller may show or use the rest of the record
    const byDefault = (): unknown => (field.default !== null ? field.parse(field.default, { place: fallbackPlace, warn: () => {} }) : field.absent);
    try {
      const found = lookup(key) ?? (field.fallback !== undefined ? lookup(field.fallback) : undefined);
      const fallbackField = field.fallback !== undefined ? schema[field.fallback] : undefined;
      const raw = found?.raw ?? field.default ?? fallbackField?.default ?? null;
      const place = found?.place ?? { ...fallbackPlace, key };
      out[field.prop] = raw === null ? field.absent : field.parse(raw, { place, warn: (m) => warn(`${describePlace(place)}: ${m}`) });
    } catch (e) {
      if (!(e instanceof VoipguardError)) throw e;
      errors.push(e);
      out[field.prop] = byDefault();
    }
  }
  return out as Values<S>;
}

/** `file:line [section] key`, the way errors name their place, for warnings. */
export function describePlace(p: ErrorPlace): string {
  const file = p.file !== undefined ? (p.line !== undefined ? `${p.file}:${p.line}` : p.file) : undefined;
  return [file, p.section !== undefined ? `[${p.section}]` : undefined, p.key].filter((x) => x !== undefined).join(' ');
}

/** Freezes a plain record tree (arrays and objects) in place and returns it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}
