// The literal text a regex cannot match without: a set of strings of which every match contains
// at least one (RE2's "prefilter" idea, kept small). The filter tests these with indexOf before it
// runs any regex, which is what makes noise lines cheap: most lines contain none of them.
// Works on the JavaScript source produced by python-regex.ts. When nothing useful is required
// (e.g. `^\S+ \d+$`) the answer is null and the regex runs on every line.

const MAX_SET = 16;
const MIN_USEFUL = 3;

interface Info {
  /** Every string the node can match, when that set is small and finite. */
  readonly exact: readonly string[] | null;
  /** Some member of this set occurs in every match; null when nothing is known. */
  readonly req: readonly string[] | null;
}

const ANY: Info = { exact: null, req: null };
const EMPTY: Info = { exact: [''], req: null };

export interface RequiredLiterals {
  readonly literals: readonly string[];
  readonly ignoreCase: boolean;
}

/** Null when the regex requires no literal of at least three characters. */
export function requiredLiterals(source: string, flags: string): RequiredLiterals | null {
  let info: Info;
  try {
    info = new Parser(source).parseAll();
  } catch {
    return null; // a construct this small parser does not know: no pre-check, never a wrong one
  }
  const set = best([info.req, info.exact]);
  if (set === null || Math.min(...set.map((x) => x.length)) < MIN_USEFUL) return null;
  const ignoreCase = flags.includes('i');
  const pieces = set.map(longestJointFree);
  if (pieces.some((p) => p.length < MIN_USEFUL)) return null;
  const literals = [...new Set(pieces.map((s) => (ignoreCase ? s.toLowerCase() : s)))];
  return { literals, ignoreCase };
}

// Literals are tested on the raw line, regexes run on the line with its date cut out, which
// joins the characters around the date: `[2026-03-01 10:15:30] NOTICE` becomes `[] NOTICE`. A
// literal could span such a joint (an opening bracket, quote or space followed by a closing one,
// a quote, a space or a comma) and be absent from the raw line, so only the longest piece
// between joints is required.
const JOINT_BEFORE = new Set(['[', '(', '{', '<', '"', "'", ' ']);
const JOINT_AFTER = new Set([']', ')', '}', '>', '"', "'", ' ', ',']);

function longestJointFree(s: string): string {
  let best = '';
  let start = 0;
  for (let i = 1; i <= s.length; i++) {
    if (i === s.length || (JOINT_BEFORE.has(s[i - 1]!) && JOINT_AFTER.has(s[i]!))) {
      if (i - start > best.length) best = s.slice(start, i);
      start = i;
    }
  }
  return best;
}

// Every literal costs the gate some work on every line, so one good literal beats several
// longer ones; but any set of useful literals beats a single short one.
function score(set: readonly string[] | null): number {
  if (set === null || set.length === 0) return -1000;
  let min = Infinity;
  for (const s of set) min = Math.min(min, s.length);
  if (min < MIN_USEFUL) return min - 100;
  return Math.min(min, 16) - 3 * (set.length - 1);
}

function best(sets: ReadonlyArray<readonly string[] | null>): readonly string[] | null {
  let pick: readonly string[] | null = null;
  for (const s of sets) if (score(s) > score(pick)) pick = s;
  return pick;
}

function cross(a: readonly string[], b: readonly string[]): string[] | null {
  if (a.length * b.length > MAX_SET) return null;
  const out: string[] = [];
  for (const x of a) for (const y of b) out.push(x + y);
  return [...new Set(out)];
}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  parseAll(): Info {
    const r = this.alt();
    if (this.i !== this.s.length) throw new Error('unbalanced )');
    return r;
  }

  private alt(): Info {
    const items = [this.seq()];
    while (this.s[this.i] === '|') {
      this.i++;
      items.push(this.seq());
    }
    if (items.length === 1) return items[0]!;
    const allExact = items.every((x) => x.exact !== null);
    const union = allExact ? [...new Set(items.flatMap((x) => x.exact!))] : null;
    const reqs = items.map((x) => best([x.req, x.exact]));
    const req = reqs.every((r) => r !== null && !r.includes('')) ? [...new Set(reqs.flatMap((r) => r!))] : null;
    return { exact: union && union.length <= MAX_SET ? union : null, req: req && req.length <= MAX_SET ? req : null };
  }

  private seq(): Info {
    const candidates: (readonly string[] | null)[] = [];
    let cur: string[] | null = [''];
    let exactSoFar = true;
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      const item = this.quantified();
      if (item.exact !== null && cur !== null) {
        const next = cross(cur, item.exact);
        if (next !== null) {
          cur = next;
          continue;
        }
        candidates.push(cur);
        cur = [...item.exact];
        exactSoFar = false;
        continue;
      }
      exactSoFar = false;
      if (cur !== null) candidates.push(cur);
      candidates.push(item.req);
      cur = item.exact !== null ? [...item.exact] : [''];
    }
    candidates.push(cur);
    return { exact: exactSoFar ? cur : null, req: best(candidates) };
  }

  private quantified(): Info {
    const a = this.atom();
    const c = this.s[this.i];
    let min = 1;
    let max = 1;
    if (c === '*' || c === '+' || c === '?') {
      this.i++;
      min = c === '+' ? 1 : 0;
      max = c === '?' ? 1 : Infinity;
    } else if (c === '{') {
      const m = /^\{(\d+)(,?)(\d*)\}/.exec(this.s.slice(this.i));
      if (!m) return a; // a literal brace was escaped by the translator; this is not reached
      this.i += m[0].length;
      min = Number(m[1]);
      max = m[2] ? (m[3] ? Number(m[3]) : Infinity) : min;
    } else {
      return a;
    }
    if (this.s[this.i] === '?') this.i++;
    if (min === 1 && max === 1) return a;
    if (min === 0) return max === 1 && a.exact ? { exact: [...new Set(['', ...a.exact])], req: null } : ANY;
    return { exact: null, req: best([a.req, a.exact]) };
  }

  private atom(): Info {
    const c = this.s[this.i]!;
    if (c === '(') return this.group();
    if (c === '[') {
      this.skipClass();
      return ANY;
    }
    if (c === '\\') return this.escape();
    this.i++;
    if (c === '^' || c === '$') return EMPTY;
    if (c === '.') return ANY;
    return { exact: [c], req: null };
  }

  private group(): Info {
    const rest = this.s.slice(this.i, this.i + 4);
    let look = false;
    if (rest.startsWith('(?:')) this.i += 3;
    else if (rest.startsWith('(?=') || rest.startsWith('(?!')) {
      this.i += 3;
      look = true;
    } else if (rest.startsWith('(?<=') || rest.startsWith('(?<!')) {
      this.i += 4;
      look = true;
    } else if (rest.startsWith('(?<')) {
      const end = this.s.indexOf('>', this.i);
      if (end < 0) throw new Error('bad group');
      this.i = end + 1;
    } else if (rest.startsWith('(?')) {
      throw new Error('unknown group');
    } else this.i += 1;
    const inner = this.alt();
    if (this.s[this.i] !== ')') throw new Error('unclosed group');
    this.i++;
    return look ? EMPTY : inner;
  }

  private skipClass(): void {
    this.i++;
    if (this.s[this.i] === '^') this.i++;
    while (this.i < this.s.length && this.s[this.i] !== ']') this.i += this.s[this.i] === '\\' ? 2 : 1;
    if (this.i >= this.s.length) throw new Error('unclosed class');
    this.i++;
  }

  private escape(): Info {
    const c = this.s[this.i + 1] ?? '';
    this.i += 2;
    const lit = (ch: string): Info => ({ exact: [ch], req: null });
    switch (c) {
      case 'n':
        return lit('\n');
      case 't':
        return lit('\t');
      case 'r':
        return lit('\r');
      case 'f':
        return lit('\f');
      case 'v':
        return lit('\v');
      case 'b':
      case 'B':
        return EMPTY;
      case 'x':
      case 'u': {
        const len = c === 'x' ? 2 : 4;
        const hex = this.s.slice(this.i, this.i + len);
        this.i += len;
        return lit(String.fromCharCode(parseInt(hex, 16)));
      }
      case 'k': {
        const end = this.s.indexOf('>', this.i);
        this.i = end < 0 ? this.s.length : end + 1;
        return ANY;
      }
    }
    if (/[0-9A-Za-z]/.test(c)) {
      while (/[0-9]/.test(this.s[this.i] ?? '') && /[0-9]/.test(c)) this.i++;
      return ANY; // \d \w \s…, back references
    }
    return lit(c);
  }
}
