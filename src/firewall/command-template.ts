// Command lines and batch-script lines compiled once, at load. A compiled line is a list of
// slots: static text fixed at load, or a dynamic tag (<ip>, <timeout>…) filled per ban. A dynamic
// tag always fills a whole slot (an argv element, or a whitespace-separated word of a script
// line), so no value can ever change how the rest of the line is split.

import { ShellSyntaxError, tokenize } from './argv-tokenizer.js';

/** Tags whose values are known only per ban. Every other tag is static, resolved at load. */
export const DYNAMIC_TAGS = ['ip', 'bantime', 'timeout', 'duration', 'failures', 'bancount', 'time'] as const;
export type DynamicTag = (typeof DYNAMIC_TAGS)[number];
export type TagValues = Readonly<Partial<Record<DynamicTag, string>>>;

export function isDynamicTag(name: string): name is DynamicTag {
  return (DYNAMIC_TAGS as readonly string[]).includes(name);
}

export type Slot = string | { readonly tag: DynamicTag };

/** One command: argv slots. */
export interface CommandTemplate {
  readonly slots: readonly Slot[];
  readonly dynamic: boolean;
}

/** One line of a batch script: text pieces and whole-word tags, joined without separators. */
export interface ScriptTemplate {
  readonly pieces: readonly Slot[];
}

/** Why a line was refused; the loader turns it into a VoipguardError with file/section/key/line. */
export class TemplateError extends Error {
  constructor(
    readonly kind: 'shell' | 'tag',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const TAG_RE = /<([A-Za-z_][A-Za-z0-9_.-]*)>/g;

function slotOf(word: string, allowed: readonly DynamicTag[]): Slot {
  const tags = [...word.matchAll(TAG_RE)].map((m) => m[1]!);
  if (tags.length === 0) return word;
  const whole = tags.length === 1 && word === `<${tags[0]}>`;
  const tag = tags[0]!.toLowerCase();
  if (!whole || !isDynamicTag(tag)) {
    const t = tags.find((x) => isDynamicTag(x.toLowerCase())) ?? tags[0]!;
    if (isDynamicTag(t.toLowerCase())) throw new TemplateError('tag', `<${t}> must fill a whole argument, not part of "${word}"`);
    throw new TemplateError('tag', `unknown tag <${t}>`);
  }
  if (!allowed.includes(tag)) {
    throw new TemplateError('tag', `<${tag}> is not available here (allowed: ${allowed.length ? allowed.map((a) => `<${a}>`).join(' ') : 'none'})`);
  }
  return { tag };
}

/** Compiles a command line whose static tags are already resolved. */
export function compileCommand(line: string, allowed: readonly DynamicTag[]): CommandTemplate {
  let argv: string[];
  try {
    argv = tokenize(line);
  } catch (e) {
    if (e instanceof ShellSyntaxError) throw new TemplateError('shell', `needs a shell: ${e.message}; voipguard runs commands without one`, { cause: e });
    throw e;
  }
  const slots = argv.map((w) => slotOf(w, allowed));
  return { slots, dynamic: slots.some((s) => typeof s !== 'string') };
}

/** Compiles a batch-script line (input of iptables-restore, ipset restore, nft -f -). */
export function compileScriptLine(line: string, allowed: readonly DynamicTag[]): ScriptTemplate {
  const pieces: Slot[] = [];
  let text = '';
  for (const part of line.split(/(\s+)/)) {
    const slot = /^\s*$/.test(part) ? part : slotOf(part, allowed);
    if (typeof slot === 'string') text += slot;
    else {
      if (text) pieces.push(text);
      text = '';
      pieces.push(slot);
    }
  }
  if (text) pieces.push(text);
  return { pieces };
}

export function renderCommand(t: CommandTemplate, values: TagValues = {}): string[] {
  return t.slots.map((s) => (typeof s === 'string' ? s : value(values, s.tag)));
}

export function renderScriptLine(t: ScriptTemplate, values: TagValues = {}): string {
  let out = '';
  for (const p of t.pieces) out += typeof p === 'string' ? p : value(values, p.tag);
  return out;
}

function value(values: TagValues, tag: DynamicTag): string {
  const v = values[tag];
  // a missing value is a bug in the caller, not a reason to run a command with a hole in it
  if (v === undefined || v === '') throw new Error(`no value for <${tag}>`);
  return v;
}
