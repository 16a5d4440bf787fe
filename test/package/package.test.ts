// The Debian package as an admin meets it: `npm run package` builds dist/voipguard_<version>_<arch>.deb
// (.ci/run builds it before the suite; this test builds it when it is missing), `dpkg -i` installs
// it, the installed CLI answers `version` and `doctor`, systemd accepts the installed unit and rates
// it at most 4.0 exposed, and `dpkg -P` leaves nothing of it behind.
// Skipped, with the reason, where it cannot run or must not: not root, no dpkg, or a voipguard already
// installed or configured on this machine (the test would replace it, then purge it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';

const ROOT = packageRoot();
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function sh(file: string, args: string[], timeoutMs = 120_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: timeoutMs, cwd: ROOT });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

function which(cmd: string): boolean {
  return ['/usr/bin', '/usr/sbin', '/bin', '/sbin'].some((d) => existsSync(join(d, cmd)));
}

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root (dpkg -i)';
  if (!which('dpkg') || !which('dpkg-deb')) return 'dpkg/dpkg-deb missing: not a Debian machine';
  if (!which('systemd-analyze')) return 'systemd-analyze missing (.ci/run installs the systemd package)';
  if (sh('dpkg-query', ['-W', '-f=${Status}', 'voipguard']).stdout.includes('installed')) return 'a voipguard package is installed here: not replacing it';
  for (const p of ['/etc/voipguard', '/var/lib/voipguard', '/usr/lib/voipguard', '/usr/bin/voipguard']) {
    if (existsSync(p)) return `${p} exists: not overwriting an install`;
  }
  return false;
}

function debFile(): string {
  const arch = sh('dpkg', ['--print-architecture']).stdout.trim();
  const deb = join(ROOT, 'dist', `voipguard_${VERSION}_${arch}.deb`);
  if (!existsSync(deb)) {
    const r = sh('npm', ['run', 'package'], 540_000);
    assert.equal(r.status, 0, `npm run package failed:\n${r.stdout}\n${r.stderr}`);
  }
  return deb;
}

const OWN = ['/usr/lib/voipguard', '/etc/voipguard', '/usr/share/doc/voipguard'];

test('the .deb installs a working voipguard with a verified unit, and dpkg -P leaves nothing', { skip: skipReason(), timeout: 600_000 }, () => {
  const deb = debFile();
  const install = sh('dpkg', ['-i', deb]);
  let listed: string[] = [];
  try {
    assert.equal(install.status, 0, `dpkg -i failed:\n${install.stdout}\n${install.stderr}`);
    listed = sh('dpkg', ['-L', 'voipguard'])
      .stdout.split('\n')
      .filter((l) => l.startsWith('/'));
    for (const f of [
      '/usr/bin/voipguard',
      '/usr/lib/voipguard/dist/src/cli/voipguard.js',
      '/usr/lib/voipguard/dist/src/bundle/voipguard.js',
      '/usr/lib/voipguard/node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      '/lib/systemd/system/voipguard.service',
      '/etc/logrotate.d/voipguard',
      '/etc/voipguard/jail.conf',
      '/etc/voipguard/filter.d/asterisk.conf',
    ]) {
      assert.ok(listed.includes(f), `${f} is in the package`);
    }
    assert.ok(!listed.some((f) => f.includes('/node_modules/typescript/') || f.includes('/node_modules/tsx/')), 'no dev dependency is shipped');
    // a real launcher file, not a link into a clone
    assert.ok(!statSync('/usr/bin/voipguard').isSymbolicLink() && (statSync('/usr/bin/voipguard').mode & 0o111) !== 0);

    const conffiles = sh('dpkg-query', ['-W', '-f=${Conffiles}', 'voipguard']).stdout;
    for (const f of ['/etc/voipguard/voipguard.conf', '/etc/voipguard/jail.conf', '/etc/logrotate.d/voipguard']) {
      assert.match(conffiles, new RegExp(`^ ${f} [0-9a-f]{32}$`, 'm'), `${f} is a conffile`);
    }
    assert.equal((statSync('/var/lib/voipguard').mode & 0o777).toString(8), '700', 'postinst made the state dir 0700');

    const version = sh('/usr/bin/voipguard', ['version']);
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), VERSION);

    // no Asterisk on a CI machine: doctor reports failing checks (exit 1), never crashes (70)
    const doctor = sh('/usr/bin/voipguard', ['doctor']);
    assert.match(doctor.stdout, /voipguard doctor: Asterisk config \/etc\/asterisk, voipguard config \/etc\/voipguard/, doctor.stderr);
    assert.match(doctor.stdout, /no enabled jail in \/etc\/voipguard/);
    assert.ok(doctor.status === 0 || doctor.status === 1, `doctor exit ${doctor.status}: ${doctor.stderr}`);

    const verify = sh('systemd-analyze', ['verify', '/lib/systemd/system/voipguard.service']);
    assert.equal(verify.status, 0, `systemd-analyze verify:\n${verify.stdout}\n${verify.stderr}`);
    const security = sh('systemd-analyze', ['security', '--offline=yes', '/lib/systemd/system/voipguard.service']);
    const exposure = /Overall exposure level for voipguard\.service: (\d+\.\d)/.exec(security.stdout + security.stderr);
    assert.ok(exposure, `no exposure line:\n${security.stdout}\n${security.stderr}`);
    assert.ok(Number(exposure[1]) <= 4.0, `exposure ${exposure[1]} > 4.0`);
  } finally {
    const purge = sh('dpkg', ['-P', 'voipguard']);
    assert.equal(purge.status, 0, `dpkg -P failed:\n${purge.stdout}\n${purge.stderr}`);
  }
  assert.ok(listed.length > 100, 'dpkg -L listed the package');
  const left = listed.filter((p) => existsSync(p) && (!statSync(p).isDirectory() || OWN.some((o) => p === o || p.startsWith(o + '/'))));
  assert.deepEqual(left, [], 'files of the package left after purge');
  for (const p of ['/var/lib/voipguard', '/var/log/voipguard', '/run/voipguard', '/etc/voipguard']) assert.ok(!existsSync(p), `${p} removed by purge`);
  assert.equal(sh('dpkg-query', ['-W', '-f=${Status}', 'voipguard']).stdout.includes('installed'), false);
});
