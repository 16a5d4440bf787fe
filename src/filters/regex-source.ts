// Reading a regex's source without running it: which parentheses and bars are structure, that is
// outside escapes and character classes. Used where a rule is cut or anchored at compile time
// (compile-rule.ts, leading-literal.ts): a cut is only sound outside every group and alternation.

/** Calls visit(c, i, depth) for each structural `(`, `)` and `|`; stops when it returns true. */
function walk(source: string, visit: (c: string, i: number, depth: number) => boolean): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(' || c === ')' || c === '|') {
      if (visit(c, i, depth)) return true;
      if (c === '(') depth++;
      else if (c === ')') depth--;
    }
  }
  return false;
}

/** A `|` outside every group and class: `^a|b` is anchored on one side only. */
export function hasTopLevelBar(source: string): boolean {
  return walk(source, (c, _i, depth) => c === '|' && depth === 0);
}

/** True when the structural `(` at `index` opens inside another group (false when none is there). */
export function opensNested(source: string, index: number): boolean {
  return walk(source, (c, i, depth) => c === '(' && i === index && depth !== 0);
}
