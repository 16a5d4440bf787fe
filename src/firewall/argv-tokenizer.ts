// Splits one action command line into argv the way a POSIX shell would split a simple command,
// and refuses everything a simple command cannot express. voipguard never starts a shell, so a
// line that relies on one (pipes, redirection, lists, substitutions, variables, compound commands)
// would silently mean something else: it is an error instead.
//
// Tags (`<ip>`, `<name>`) pass through as text; `<` and `>` that do not form a tag are redirections.

export type ShellNeed = string;

/** A line that needs a shell: the reason names the construct, `column` is 1-based. */
export class ShellSyntaxError extends Error {
  constructor(
    readonly reason: ShellNeed,
    readonly column: number,
  ) {
    super(`${reason} at column ${column}`);
  }
}

const TAG_AT = /^<[A-Za-z_][A-Za-z0-9_.-]*>/;
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
// words that only mean something to a shell when they start a command
const SHELL_WORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'for',
  'while',
  'until',
  'do',
  'done',
  'case',
  'esac',
  'select',
  'function',
  '{',
  '}',
  '!',
  '[[',
  ']]',
  'time',
  'eval',
  'exec',
  'source',
  '.',
  'export',
  'unset',
  'set',
  'local',
  'read',
  'return',
  'trap',
  'cd',
  'alias',
  'let',
  'declare',
  'typeset',
  'ulimit',
  'umask',
]);

/** Splits a line into argv. Throws ShellSyntaxError for anything that needs a shell. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inToken = false;
  let i = 0;
  const fail = (reason: string, at = i): never => {
    throw new ShellSyntaxError(reason, at + 1);
  };
  const endToken = (): void => {
    if (inToken) out.push(cur);
    cur = '';
    inToken = false;
  };
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      endToken();
      i++;
      continue;
    }
    if (c === '\n' || c === '\r') fail('a line break inside one command');
    if (c === "'") {
      const close = line.indexOf("'", i + 1);
      if (close < 0) fail('an unterminated single quote');
      cur += line.slice(i + 1, close);
      inToken = true;
      i = close + 1;
      continue;
    }
    if (c === '"') {
      i = readDoubleQuoted(line, i + 1, (s) => (cur += s), fail);
      inToken = true;
      continue;
    }
    if (c === '\\') {
      if (i + 1 >= line.length) fail('a trailing backslash (line continuation)');
      cur += line[i + 1];
      inToken = true;
      i += 2;
      continue;
    }
    if (c === '<') {
      const tag = TAG_AT.exec(line.slice(i));
      if (tag) {
        cur += tag[0];
        inToken = true;
        i += tag[0].length;
        continue;
      }
      fail('input redirection (<)');
    }
    if (c === '>') fail('output redirection (>)');
    if (c === '|') fail(line[i + 1] === '|' ? 'a list (||)' : 'a pipe (|)');
    if (c === '&') fail(line[i + 1] === '&' ? 'a list (&&)' : 'a background job (&)');
    if (c === ';') fail('a command separator (;)');
    if (c === '`') fail('command substitution (backquotes)');
    if (c === '(' || c === ')') fail('a subshell or grouping ( )');
    if (c === '$') checkDollar(line, i, fail);
    if (!inToken && (c === '#' || c === '~')) fail(c === '#' ? 'a shell comment (#)' : 'tilde expansion (~)');
    cur += c;
    inToken = true;
    i++;
  }
  endToken();
  const first = out[0];
  if (first !== undefined) {
    if (SHELL_WORDS.has(first)) throw new ShellSyntaxError(`the shell keyword or builtin "${first}"`, line.indexOf(first) + 1);
    if (ASSIGNMENT.test(first)) throw new ShellSyntaxError('a variable assignment', line.indexOf(first) + 1);
  }
  return out;
}

function readDoubleQuoted(line: string, start: number, emit: (s: string) => void, fail: (r: string, at?: number) => never): number {
  let i = start;
  while (i < line.length) {
    const c = line[i]!;
    if (c === '"') return i + 1;
    if (c === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) {
      emit(line[i + 1]!);
      i += 2;
      continue;
    }
    if (c === '`') fail('command substitution (backquotes)', i);
    if (c === '$') checkDollar(line, i, fail);
    emit(c);
    i++;
  }
  return fail('an unterminated double quote', start - 1);
}

// `$` alone or before a space is literal to a shell too; before a name, `{`, `(` or a special
// parameter it expands, which only a shell can do.
function checkDollar(line: string, i: number, fail: (r: string, at?: number) => never): void {
  const n = line[i + 1];
  if (n === undefined) return;
  if (n === '(') fail('command substitution $( )', i);
  if (n === '{') fail('parameter expansion ${ }', i);
  if (/[A-Za-z0-9_?!#*@$-]/.test(n)) fail('a shell variable ($)', i);
}

/** Quotes one argv element for display in logs and errors (never for execution: argv needs no quoting). */
export function quoteArg(s: string): string {
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./{}-]+$/.test(s)) return s;
  return `"${s.replace(/(["\\])/g, '\\$1')}"`;
}
