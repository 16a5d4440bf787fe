// Text templates for the Asterisk snippets (asterisk/*.tmpl). Asterisk's `=>` lines are not ini, so
// the snippets are text with `{{name}}` values and `{{#if flag}} … {{else}} … {{/if}}` blocks (which
// nest). A line holding only a block tag disappears with its newline. Values are one line each: a value
// with a line break or a `;` would change the meaning of the config it lands in, so it is refused.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VoipguardError } from '../core/errors.js';
import { packageRoot } from '../core/paths.js';

export type TemplateValues = Readonly<Record<string, string | boolean>>;

const TAG_RE = /\{\{(#if|else|\/if)?\s*([A-Za-z0-9_]*)\s*\}\}/g;

export function renderTemplate(template: string, values: TemplateValues, name = 'template'): string {
  // block tags standing alone on a line take the line with them
  const text = template.replace(/^[ \t]*(\{\{(?:#if\s+[A-Za-z0-9_]+|else|\/if)\}\})[ \t]*\r?\n/gm, '$1');
  const out: string[] = [];
  const stack: { on: boolean; seenElse: boolean }[] = [];
  const active = (): boolean => stack.every((s) => s.on);
  let pos = 0;
  for (const m of text.matchAll(TAG_RE)) {
    if (active()) out.push(text.slice(pos, m.index));
    pos = m.index! + m[0].length;
    const [, kind, key] = m;
    if (kind === '#if') {
      stack.push({ on: Boolean(lookup(values, key!, name)), seenElse: false });
    } else if (kind === 'else' || kind === '/if') {
      const top = stack[stack.length - 1];
      if (!top || (kind === 'else' && top.seenElse)) throw bad(name, `unbalanced {{${kind}}}`);
      if (kind === 'else') {
        top.on = !top.on;
        top.seenElse = true;
      } else stack.pop();
    } else if (active()) {
      const v = lookup(values, key!, name);
      if (typeof v !== 'string') throw bad(name, `{{${key}}} is a flag, not a value`);
      if (/[\r\n;]/.test(v)) throw bad(name, `the value of {{${key}}} contains a line break or ";"`);
      out.push(v);
    }
  }
  if (stack.length) throw bad(name, 'an {{#if}} is not closed');
  out.push(text.slice(pos));
  return out.join('');
}

function lookup(values: TemplateValues, key: string, name: string): string | boolean {
  if (!Object.prototype.hasOwnProperty.call(values, key)) throw bad(name, `no value for {{${key}}}`);
  return values[key]!;
}

function bad(name: string, msg: string): VoipguardError {
  return new VoipguardError('VG_INTERNAL', `${name}: ${msg}`, { file: name });
}

/** A template shipped in asterisk/ (the package's own, never the user's config dir). */
export function loadTemplate(fileName: string): string {
  return readFileSync(join(packageRoot(), 'asterisk', fileName), 'utf8');
}
