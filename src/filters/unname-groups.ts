// Named groups cost on hot regexes: V8 builds a `groups` object on every match of a regex that
// has them. The date templates, run on every candidate line, use plain groups by number instead.

/** Replaces named groups (and \k<name> references) by plain ones; returns each name's number. */
export function unnameGroups(source: string): { source: string; index: ReadonlyMap<string, number> } {
  const index = new Map<string, number>();
  let out = '';
  let n = 0;
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      const ref = inClass ? null : /^\\k<([A-Za-z_][A-Za-z0-9_]*)>/.exec(source.slice(i, i + 64));
      if (ref && index.has(ref[1]!)) {
        out += `(?:\\${index.get(ref[1]!)})`;
        i += ref[0].length - 1;
        continue;
      }
      out += c + (source[i + 1] ?? '');
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') inClass = true;
    if (c === '(') {
      const named = /^\(\?<([A-Za-z_][A-Za-z0-9_]*)>/.exec(source.slice(i, i + 64));
      if (named) {
        index.set(named[1]!, ++n);
        out += '(';
        i += named[0].length - 1;
        continue;
      }
      if (source[i + 1] !== '?') n++;
    }
    out += c;
  }
  return { source: out, index };
}
