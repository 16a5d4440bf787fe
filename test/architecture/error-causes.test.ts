// A re-thrown error keeps what it wraps: every `new …Error(` built inside a catch block, or inside a
// callback that receives an error (`(e) => …`, `(err) => …`), passes `{ cause }`. Read with the
// TypeScript parser, so a multi-line call counts as one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';

const SRC = resolve(import.meta.dirname, '../../src');

/** Rewritten by the AMI session work (issue 17 item 2); its wrap is fixed there. */
const PENDING = new Set(['sources/ami-client.ts']);

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

export function wrapsWithoutCause(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const visit = (n: ts.Node, inHandler: boolean): void => {
    if ((ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && n.parameters.length > 0 && /^(e|err|error)$/.test(n.parameters[0]!.name.getText())) {
      ts.forEachChild(n.body, (c) => visit(c, true));
      return;
    }
    if (ts.isCatchClause(n)) {
      ts.forEachChild(n.block, (c) => visit(c, true));
      return;
    }
    if (inHandler && ts.isNewExpression(n) && /Error$/.test(n.expression.getText()) && !/\bcause\b/.test(n.getText())) {
      out.push(`${file}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1} ${n.getText().slice(0, 100)}`);
    }
    ts.forEachChild(n, (c) => visit(c, inHandler));
  };
  visit(sf, false);
  return out;
}

test('every error made while handling another keeps it as cause', () => {
  const bad = walk(SRC, [])
    .filter((f) => !PENDING.has(relative(SRC, f).split('\\').join('/')))
    .flatMap((f) => wrapsWithoutCause(relative(SRC, f), readFileSync(f, 'utf8')));
  assert.deepEqual(bad, []);
});

test('the check sees a wrap without cause in a catch block and in an error callback', () => {
  const text = [
    'try { f(); } catch (e) {',
    "  throw new VoipguardError('VG_X', `failed: ${(e as Error).message}`);",
    '}',
    "s.on('error', (err) => reject(new Error(err.message)));",
    "try { f(); } catch (e) { throw new VoipguardError('VG_X', 'ok', {}, { cause: e }); }",
  ].join('\n');
  assert.equal(wrapsWithoutCause('x.ts', text).length, 2);
});

test("log records carry the error under pino's `err` field, never `error`", () => {
  const bad: string[] = [];
  for (const f of walk(SRC, [])) {
    const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (n: ts.Node): void => {
      if (ts.isCallExpression(n) && ts.isPropertyAccessExpression(n.expression) && /^(trace|debug|info|warn|error|fatal)$/.test(n.expression.name.text)) {
        const arg = n.arguments[0];
        if (arg && ts.isObjectLiteralExpression(arg) && arg.properties.some((p) => p.name?.getText() === 'error')) {
          bad.push(`${relative(SRC, f)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`);
        }
      }
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  assert.deepEqual(bad, []);
});
