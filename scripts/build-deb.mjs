#!/usr/bin/env node
// `npm run package`: dist/voipguard_<version>_<arch>.deb, built with dpkg-deb from the compiled tree
// (`npm run build` runs first). Layout (docs/install.md):
//   /usr/lib/voipguard        the program: dist/src, package.json, shipped filter.d/action.d/asterisk,
//                             production node_modules (`npm ci --omit=dev` in the staging dir)
//   /usr/bin/voipguard        a small launcher (packaging/deb/voipguard), not a link into a clone
//   /etc/voipguard            voipguard.conf, jail.conf, jail.d/, filter.d/, action.d/, feed.d/: conffiles
//   /lib/systemd/system       voipguard.service;  /etc/logrotate.d/voipguard
// Network: only the npm registry, through `npm ci`. better-sqlite3's addon is compiled once: the one
// the repository's own `npm ci` built is reused when it is the same version (same Node), otherwise
// `npm rebuild` compiles it in the staging dir. Every program runs with argv (no shell).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const run = (file, args, opts = {}) => execFileSync(file, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...opts });
const say = (s) => process.stdout.write(`package: ${s}\n`);

if (!existsSync(join(root, 'dist', 'src', 'cli', 'voipguard.js'))) {
  console.error('package: dist/src/cli/voipguard.js is missing: run `npm run build` first');
  process.exit(1);
}
const arch = run('dpkg', ['--print-architecture']).trim();
const name = `voipguard_${pkg.version}_${arch}`;
const stage = join(root, 'dist', 'deb', name);
const lib = join(stage, 'usr', 'lib', 'voipguard');
const etc = join(stage, 'etc', 'voipguard');
rmSync(stage, { recursive: true, force: true });
mkdirSync(lib, { recursive: true });

// the program
for (const f of ['package.json', 'package-lock.json', 'jail.conf', 'voipguard.conf']) copyFileSync(join(root, f), join(lib, f));
for (const d of ['filter.d', 'action.d', 'asterisk', 'grafana', 'systemd', 'logrotate']) {
  if (existsSync(join(root, d))) cpSync(join(root, d), join(lib, d), { recursive: true, filter: (src) => !src.endsWith('.local') });
}
// timestamps kept: the built CLI uses the bundle only when it is not older than itself
cpSync(join(root, 'dist', 'src'), join(lib, 'dist', 'src'), { recursive: true, preserveTimestamps: true });

say('npm ci --omit=dev (production dependencies)');
run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: lib, stdio: ['ignore', 'inherit', 'inherit'] });
const addon = join('node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
const version = (dir) => JSON.parse(readFileSync(join(dir, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')).version;
if (existsSync(join(root, addon)) && version(root) === version(lib)) {
  say(`better-sqlite3 ${version(lib)}: reusing the addon compiled by this tree's npm ci`);
  mkdirSync(dirname(join(lib, addon)), { recursive: true });
  copyFileSync(join(root, addon), join(lib, addon));
} else {
  say('better-sqlite3: compiling the addon (npm rebuild)');
  const env = existsSync('/usr/include/node') ? { ...process.env, npm_config_nodedir: '/usr' } : process.env;
  run('npm', ['rebuild', 'better-sqlite3'], { cwd: lib, env, stdio: ['ignore', 'inherit', 'inherit'] });
}
// build inputs the running program never reads: SQLite's sources, object files
const bs = join(lib, 'node_modules', 'better-sqlite3');
for (const d of ['deps', 'src', join('build', 'Release', 'obj'), join('build', 'Release', 'obj.target'), join('build', 'Release', '.deps')]) {
  rmSync(join(bs, d), { recursive: true, force: true });
}
run(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: lib });

// the launcher, config, unit, logrotate, docs
mkdirSync(join(stage, 'usr', 'bin'), { recursive: true });
copyFileSync(join(root, 'packaging', 'deb', 'voipguard'), join(stage, 'usr', 'bin', 'voipguard'));
chmodSync(join(stage, 'usr', 'bin', 'voipguard'), 0o755);
mkdirSync(join(etc, 'jail.d'), { recursive: true });
for (const f of ['voipguard.conf', 'jail.conf']) copyFileSync(join(root, f), join(etc, f));
for (const d of ['filter.d', 'action.d', 'feed.d']) {
  mkdirSync(join(etc, d), { recursive: true });
  for (const f of readdirSync(join(root, d)).filter((n) => n.endsWith('.conf'))) copyFileSync(join(root, d, f), join(etc, d, f));
}
mkdirSync(join(stage, 'lib', 'systemd', 'system'), { recursive: true });
copyFileSync(join(root, 'systemd', 'voipguard.service'), join(stage, 'lib', 'systemd', 'system', 'voipguard.service'));
mkdirSync(join(stage, 'etc', 'logrotate.d'), { recursive: true });
copyFileSync(join(root, 'logrotate', 'voipguard'), join(stage, 'etc', 'logrotate.d', 'voipguard'));
const doc = join(stage, 'usr', 'share', 'doc', 'voipguard');
mkdirSync(doc, { recursive: true });
copyFileSync(join(root, 'packaging', 'deb', 'copyright'), join(doc, 'copyright'));
copyFileSync(join(root, 'README.md'), join(doc, 'README.md'));
if (existsSync(join(root, 'docs'))) cpSync(join(root, 'docs'), doc, { recursive: true });

// modes as dpkg expects them, whatever the umask of the clone was: dirs and executables 0755, else 0644
let kib = 0;
const normalise = (p) => {
  const st = lstatSync(p);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    chmodSync(p, 0o755);
    for (const n of readdirSync(p)) normalise(join(p, n));
    kib += 1;
    return;
  }
  chmodSync(p, st.mode & 0o111 ? 0o755 : 0o644);
  kib += Math.ceil(st.size / 1024);
};
normalise(stage);

// control area
const debian = join(stage, 'DEBIAN');
mkdirSync(debian, { recursive: true });
const control = readFileSync(join(root, 'packaging', 'deb', 'control.in'), 'utf8')
  .replace('@VERSION@', pkg.version)
  .replace('@ARCH@', arch)
  .replace('@SIZE@', String(kib));
writeFileSync(join(debian, 'control'), control);
const conffiles = [];
const listEtc = (p) => {
  for (const n of readdirSync(p).sort()) {
    const q = join(p, n);
    if (lstatSync(q).isDirectory()) listEtc(q);
    else conffiles.push('/' + relative(stage, q));
  }
};
listEtc(join(stage, 'etc'));
writeFileSync(join(debian, 'conffiles'), conffiles.join('\n') + '\n');
for (const s of ['postinst', 'prerm', 'postrm']) {
  copyFileSync(join(root, 'packaging', 'deb', s), join(debian, s));
  chmodSync(join(debian, s), 0o755);
}
chmodSync(debian, 0o755);
for (const f of ['control', 'conffiles']) chmodSync(join(debian, f), 0o644);

const deb = join(root, 'dist', `${name}.deb`);
run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', stage, deb], { stdio: ['ignore', 'inherit', 'inherit'] });
rmSync(join(root, 'dist', 'deb'), { recursive: true, force: true });
say(`${relative(root, deb)} (${kib} KiB installed, ${conffiles.length} conffiles)`);
