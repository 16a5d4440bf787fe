// Reads an annotated sample log (fixtures/samples/README.md): every log line with the settings and
// the expectation written above it.

export interface Expectation {
  readonly kind: 'failure' | 'none' | 'ignored';
  readonly ip?: string;
  readonly time?: number;
  /** key=value checks: kind, service, transport, session, account, note; `null` = absent. */
  readonly fields: Readonly<Record<string, string | null>>;
  readonly hostile: boolean;
}

export interface SampleLine {
  readonly lineNo: number;
  readonly text: string;
  readonly expect: Expectation;
  readonly filter: string;
  readonly timezone: string;
  readonly readAt: number;
  readonly source: string;
}

export function parseSampleFile(content: string, file: string): SampleLine[] {
  const out: SampleLine[] = [];
  let filter = 'asterisk';
  let timezone = 'UTC';
  let readAt = Date.parse('2026-03-02T00:00:00Z');
  let source = '/var/log/asterisk/messages';
  let pending: Expectation | null = null;
  const lines = content.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((text, i) => {
    const lineNo = i + 1;
    const directive = /^# (expect|filter|timezone|readAt|source): (.*)$/.exec(text);
    if (directive) {
      const [, key, value] = directive as unknown as [string, string, string];
      if (key === 'expect') pending = parseExpect(value.trim(), `${file}:${lineNo}`);
      else if (key === 'filter') filter = value.trim();
      else if (key === 'timezone') timezone = value.trim();
      else if (key === 'readAt') readAt = Date.parse(value.trim());
      else source = value.trim();
      return;
    }
    if (text.startsWith('#') || text.trim() === '') return;
    if (pending === null) throw new Error(`${file}:${lineNo}: log line without "# expect:" above it`);
    out.push({ lineNo, text, expect: pending, filter, timezone, readAt, source });
    pending = null;
  });
  return out;
}

function parseExpect(value: string, where: string): Expectation {
  const tokens = tokenize(value);
  const head = tokens[0];
  let rest = tokens.slice(1);
  let ip: string | undefined;
  let time: number | undefined;
  if (head !== 'none' && head !== 'ignored') {
    ip = head;
    time = Date.parse(tokens[1] ?? '');
    rest = tokens.slice(2);
    if (ip === undefined || Number.isNaN(time)) throw new Error(`${where}: expect "<ip> <time>", "none" or "ignored"`);
  }
  const fields: Record<string, string | null> = {};
  let hostile = false;
  for (const t of rest) {
    if (t === 'hostile') {
      hostile = true;
      continue;
    }
    const eq = t.indexOf('=');
    if (eq < 0) throw new Error(`${where}: cannot read "${t}"`);
    const v = t.slice(eq + 1);
    const parsed = v.startsWith('"') ? (JSON.parse(v) as string) : v;
    fields[t.slice(0, eq)] = parsed === 'null' ? null : parsed;
  }
  const kind = head === 'none' || head === 'ignored' ? head : 'failure';
  return { kind, ...(ip !== undefined ? { ip } : {}), ...(time !== undefined ? { time } : {}), fields, hostile };
}

/** Splits on spaces, keeping `key="json string"` together. */
function tokenize(s: string): string[] {
  const out: string[] = [];
  const re = /(\S+?="(?:[^"\\]|\\.)*"|\S+)/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out.push(m[1]!);
  return out;
}
