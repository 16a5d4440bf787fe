// The bits of Asterisk's dialplan semantics the snippets and the doctor rely on: how an `exten =>`
// value splits, how an application's arguments are separated (main/app.c __ast_app_separate_args,
// as AST_STANDARD_APP_ARGS calls it: `"` toggles quoting and is removed, `\x` keeps x literally),
// and how an extension pattern matches (`_X.`, `_[1-5]XX`, `_.`, `_!`).

export interface ExtenLine {
  readonly exten: string; // '' for `same =>` lines
  readonly priority: string;
  readonly app: string; // Name(args) as written
}

/** `exten => NAME,PRIO,App(args)` / `same => PRIO,App(args)` (the args may hold commas). */
export function parseExtenLine(key: 'exten' | 'same', value: string): ExtenLine | null {
  const parts = value.split(',');
  const exten = key === 'exten' ? (parts.shift() ?? '').trim() : '';
  const priority = (parts.shift() ?? '').trim();
  if (priority === '') return null;
  return { exten, priority, app: parts.join(',').trim() };
}

/** `Log(NOTICE,text)` → name and the raw data between the first `(` and the last `)`. */
export function parseAppCall(app: string): { name: string; data: string } {
  const open = app.indexOf('(');
  if (open < 0) return { name: app.trim(), data: '' };
  const close = app.lastIndexOf(')');
  return { name: app.slice(0, open).trim(), data: app.slice(open + 1, close > open ? close : app.length) };
}

/** AST_STANDARD_APP_ARGS: split on commas outside (), [] and quotes; quotes and backslashes removed. */
export function separateAppArgs(data: string): string[] {
  const out: string[] = [];
  let cur = '';
  let paren = 0;
  let bracket = 0;
  let quote = false;
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (c === '(') paren++;
    else if (c === ')') paren = Math.max(0, paren - 1);
    else if (c === '[') bracket++;
    else if (c === ']') bracket = Math.max(0, bracket - 1);
    else if (c === '"') {
      quote = !quote;
      continue;
    } else if (c === '\\') {
      if (i + 1 < data.length) cur += data[++i];
      continue;
    } else if (c === ',' && paren === 0 && bracket === 0 && !quote) {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += c;
  }
  if (cur !== '' || data.endsWith(',')) out.push(cur);
  return out;
}

/** Whether extension `exten` matches `pattern` (a literal, or `_` then X Z N . ! [set] and literals). */
export function extenMatches(pattern: string, exten: string): boolean {
  if (!pattern.startsWith('_')) return pattern.toLowerCase() === exten.toLowerCase();
  let re = '';
  const p = pattern.slice(1);
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === 'X' || c === 'x') re += '[0-9]';
    else if (c === 'Z' || c === 'z') re += '[1-9]';
    else if (c === 'N' || c === 'n') re += '[2-9]';
    else if (c === '.') re += '.+';
    else if (c === '!') re += '.*';
    else if (c === '[') {
      const end = p.indexOf(']', i);
      if (end < 0) return false;
      re += '[' + p.slice(i + 1, end).replace(/[\\^\]]/g, '\\$&') + ']';
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's').test(exten);
}
