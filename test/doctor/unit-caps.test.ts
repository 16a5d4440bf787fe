import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecaRunner } from '../../src/exec/execa-runner.js';
import { checkLogpathsAsService } from '../../src/doctor/jail-checks.js';
import type { DoctorContext } from '../../src/doctor/doctor-types.js';
import { readsWithCaps, UNIT_CAPABILITIES } from '../../src/doctor/unit-caps.js';
import { diskReader } from '../../src/config/config-set.js';
import { packageRoot } from '../../src/core/paths.js';

test("the doctor probes with exactly the unit's CapabilityBoundingSet", () => {
  const unit = readFileSync(join(packageRoot(), 'systemd', 'voipguard.service'), 'utf8');
  const line = /^CapabilityBoundingSet=(.*)$/m.exec(unit);
  assert.ok(line, 'the unit sets CapabilityBoundingSet');
  assert.deepEqual(line[1]!.trim().split(/\s+/), [...UNIT_CAPABILITIES]);
});

const canDrop = process.getuid?.() === 0 && ['/usr/bin/setpriv', '/bin/setpriv'].some((p) => existsSync(p));

/** Asterisk's layout: /var/log/asterisk 0750 asterisk:asterisk, messages 0640 (nobody stands in for asterisk). */
function asteriskLikeLog(t: { after(fn: () => void): void }): string {
  const base = mkdtempSync(join(tmpdir(), 'vg-caps-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const dir = join(base, 'asterisk');
  mkdirSync(dir);
  const file = join(dir, 'messages');
  writeFileSync(file, "[2026-03-01 10:15:30] NOTICE[1]: chan_sip.c: Registration from '<sip:1@x>' failed for '192.0.2.7:5060' - Wrong password\n");
  chownSync(file, 65534, 65534);
  chmodSync(file, 0o640);
  chownSync(dir, 65534, 65534);
  chmodSync(dir, 0o750);
  return file;
}

test(
  "root with the unit's capabilities reads Asterisk's 0640 log in its 0750 dir; without CAP_DAC_READ_SEARCH it cannot",
  { skip: canDrop ? false : 'needs root and setpriv' },
  async (t) => {
    const file = asteriskLikeLog(t);
    const runner = new ExecaRunner({ timeoutMs: 10_000 });
    assert.equal(await readsWithCaps(runner, file), 'readable');
    assert.equal(await readsWithCaps(runner, file, ['CAP_NET_ADMIN', 'CAP_NET_RAW']), 'unreadable', 'the old bounding set hid it');
  },
);

test(
  'doctor fails a log file that root reads but the service would not, and names the capabilities',
  { skip: canDrop ? false : 'needs root and setpriv' },
  async (t) => {
    const file = asteriskLikeLog(t);
    const runner = new ExecaRunner({ timeoutMs: 10_000 });
    const ctx = (caps: readonly string[]) =>
      ({
        config: { jails: [{ name: 'asterisk', logpaths: [file], ignoreip: [], ignoreself: true, ami: false, firewallTools: [], hooks: [] }] },
        env: { reader: diskReader, fileAccess: () => 'readable', readsAsService: (p: string) => readsWithCaps(runner, p, caps) },
      }) as unknown as DoctorContext;
    const [ok] = await checkLogpathsAsService(ctx(UNIT_CAPABILITIES));
    assert.equal(ok!.status, 'ok', ok!.message);
    const [bad] = await checkLogpathsAsService(ctx(['CAP_NET_ADMIN', 'CAP_NET_RAW']));
    assert.equal(bad!.status, 'fail');
    assert.match(bad!.message, new RegExp(`cannot read ${file}`));
    assert.match(bad!.fix!, /CAP_DAC_READ_SEARCH/);
  },
);
