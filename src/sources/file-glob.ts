// logpath globs as fail2ban takes them (Python glob): `*`, `?` and `[...]` within one path segment,
// no `**`, hidden files only matched by a pattern segment that starts with a dot. Expanded against
// the file system on each rescan, so files that appear later are picked up.

import { readdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

export function hasMagic(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** One segment pattern to a RegExp; an unclosed `[` is a literal, as in Python's fnmatch. */
export function segmentRegExp(seg: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = seg.slice(i + 1, close);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      re += '[' + body.replace(/\\/g, '\\\\') + ']';
      i = close;
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp('^' + re + '$');
}

/** The longest leading directory of an absolute pattern without wildcards: the directory to watch. */
export function globBase(pattern: string): string {
  const segs = resolve(pattern).split(sep);
  const i = segs.findIndex((s) => hasMagic(s));
  return segs.slice(0, i < 0 ? -1 : i).join(sep) || sep;
}

/** The regular files matching the pattern now (absolute, sorted). A plain path is returned as is. */
export function expandGlob(pattern: string): string[] {
  const abs = resolve(pattern);
  if (!hasMagic(abs)) return [abs];
  let paths: string[] = [sep];
  const segs = abs.split(sep).slice(1);
  for (const seg of segs) {
    const next: string[] = [];
    const re = hasMagic(seg) ? segmentRegExp(seg) : null;
    for (const d of paths) {
      if (!re) {
        next.push(join(d, seg));
        continue;
      }
      let names: string[];
      try {
        names = readdirSync(d);
      } catch {
        continue;
      }
      for (const n of names) if (re.test(n) && (!n.startsWith('.') || seg.startsWith('.'))) next.push(join(d, n));
    }
    paths = next;
  }
  return paths.filter(isFile).sort();
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
