// fixtures/signals/: ChallengeSent and SuccessfulAuth through the security-log filter and the AMI
// filter the daemon uses. With signals asked for, they come out as signals (never failures); without,
// nothing changes: the same failures and no signal.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthSignal, AuthSignalKind } from '../../src/core/auth-signal.js';
import { packageRoot } from '../../src/core/paths.js';
import type { AmiEvent, Failure } from '../../src/core/types.js';
import { AmiFailureFilter } from '../../src/filters/ami-failures.js';
import { loadFilter } from '../../src/filters/load-filter.js';
import { authSignalsFor } from '../../src/config/account-schema.js';
import { memoryLogger } from '../fakes/memory-logger.js';

const root = packageRoot();
const dir = join(root, 'fixtures', 'signals');
const ALL: ReadonlySet<AuthSignalKind> = new Set(['ChallengeSent', 'SuccessfulAuth']);

interface Expect {
  readonly what: 'signal' | 'failure' | 'none';
  readonly kind?: string;
  readonly ip?: string;
  readonly fields: Record<string, string>;
}

function parseExpect(text: string): Expect {
  const tokens = [...text.matchAll(/(\S+?="(?:[^"\\]|\\.)*"|\S+)/g)].map((m) => m[1]!);
  const what = tokens[0] as Expect['what'];
  if (what === 'none') return { what, fields: {} };
  const fields: Record<string, string> = {};
  for (const t of tokens.slice(3)) {
    const eq = t.indexOf('=');
    const v = t.slice(eq + 1);
    fields[t.slice(0, eq)] = v.startsWith('"') ? (JSON.parse(v) as string) : v;
  }
  return { what, kind: tokens[1]!, ip: tokens[2]!, fields };
}

function check(where: string, e: Expect, failure: Failure | null, signal: AuthSignal | null | undefined): void {
  if (e.what === 'none') {
    assert.equal(failure, null, where);
    assert.equal(signal ?? null, null, where);
    return;
  }
  const got = e.what === 'signal' ? signal : failure;
  assert.ok(got, `${where}: expected a ${e.what}`);
  assert.equal(e.what === 'signal' ? failure : (signal ?? null), null, `${where}: one record only`);
  assert.equal(got.kind, e.kind, where);
  assert.equal(got.ip, e.ip, where);
  if (e.fields.session !== undefined) assert.equal(got.sessionId, e.fields.session, where);
  if (e.fields.account !== undefined) assert.equal(got.account, e.fields.account, where);
}

function logLines(): { expect: Expect; text: string; lineNo: number }[] {
  const out: { expect: Expect; text: string; lineNo: number }[] = [];
  let pending: Expect | null = null;
  readFileSync(join(dir, 'security.log'), 'utf8')
    .split('\n')
    .forEach((text, i) => {
      const m = /^# expect: (.*)$/.exec(text);
      if (m) pending = parseExpect(m[1]!);
      else if (text !== '' && !text.startsWith('#')) {
        out.push({ expect: pending!, text, lineNo: i + 1 });
        pending = null;
      }
    });
  return out;
}

function amiEvents(): { expect: Expect; event: AmiEvent }[] {
  const out: { expect: Expect; event: AmiEvent }[] = [];
  for (const block of readFileSync(join(dir, 'ami.txt'), 'utf8').split(/\n\s*\n/)) {
    let expect: Expect | null = null;
    const fields: [string, string][] = [];
    for (const line of block.split('\n')) {
      const m = /^# expect: (.*)$/.exec(line);
      if (m) expect = parseExpect(m[1]!);
      else if (line !== '' && !line.startsWith('#')) {
        const i = line.indexOf(':');
        fields.push([line.slice(0, i), line.slice(i + 1).trim()]);
      }
    }
    if (expect && fields.length) out.push({ expect, event: { fields, receivedAt: Date.parse('2026-03-01T10:00:10Z') } });
  }
  return out;
}

test('security log: ChallengeSent and SuccessfulAuth are read as signals when asked for, failures stay failures', () => {
  const filter = loadFilter('asterisk', { configDir: root, timezone: 'UTC', signals: ALL });
  const lines = logLines();
  assert.ok(lines.length >= 7);
  for (const l of lines) {
    const m = filter.match({ source: '/var/log/asterisk/security', text: l.text, readAt: Date.parse('2026-03-01T10:00:10Z') });
    check(`security.log:${l.lineNo}`, l.expect, m.failure, m.signal);
  }
});

test('security log without signals (the rules off): the same failures, no ChallengeSent signal; SuccessfulAuth is still read (the registrations need it)', () => {
  const filter = loadFilter('asterisk', { configDir: root, timezone: 'UTC' });
  for (const l of logLines()) {
    const m = filter.match({ source: '/var/log/asterisk/security', text: l.text, readAt: Date.parse('2026-03-01T10:00:10Z') });
    if (l.expect.what === 'signal' && l.expect.kind === 'SuccessfulAuth') check(`security.log:${l.lineNo}`, l.expect, m.failure, m.signal);
    else assert.equal(m.signal, undefined);
    if (l.expect.what === 'failure') check(`security.log:${l.lineNo}`, l.expect, m.failure, null);
    else assert.equal(m.failure, null);
  }
});

test('AMI: the same events through the AMI filter give the same records', () => {
  const ami = new AmiFailureFilter({ log: memoryLogger().log, signals: ALL });
  const events = amiEvents();
  assert.ok(events.length >= 7);
  events.forEach(({ expect, event }, i) => {
    const r = ami.read(event);
    check(`ami.txt block ${i + 1}`, expect, r.failure, r.signal);
  });
  const off = new AmiFailureFilter({ log: memoryLogger().log });
  for (const { expect, event } of events) {
    const r = off.read(event);
    assert.equal(r.signal, null);
    assert.equal(r.failure !== null, expect.what === 'failure');
  }
});

test('which signals a jail asks for: SuccessfulAuth for the compromise alarm (on by default), ChallengeSent only with challengetimeout', () => {
  assert.deepEqual([...authSignalsFor({})], ['SuccessfulAuth']);
  assert.deepEqual([...authSignalsFor({ suspectfailures: 0 })], []);
  assert.deepEqual([...authSignalsFor({ suspectfailures: 0, challengetimeout: 10_000 })].sort(), ['ChallengeSent', 'SuccessfulAuth']);
});
