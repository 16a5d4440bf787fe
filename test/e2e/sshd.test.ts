// End to end, real kernel: SSH failures ban the attacker in f2b-sshd / f2b-SSH inside a network
// namespace pair this test creates. The pieces are the daemon's own (JailRuntime, filter.d/sshd.conf,
// the shipped jail.conf, action.d/iptables.conf, the journal and file sources); they are put
// together here as app.ts does, with two test-only choices: the journal is a private journald
// (this machine runs no systemd, so no system journal exists) and the actions run inside the
// defender namespace. Waits poll real processes with bounded deadlines.

import { firewallMaker } from '../../src/app.js';
import { journalRunner } from '../../src/sources/journal-process.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExecaRunner } from '../../src/exec/execa-runner.js';
import { loadJailActions } from '../../src/actions/jail-actions.js';
import { loadConfig, type JailConfig } from '../../src/config/load-config.js';
import { SystemClock } from '../../src/core/clock.js';
import { packageRoot } from '../../src/core/paths.js';
import { JailRuntime } from '../../src/daemon/jail-runtime.js';
import type { SourcePort } from '../../src/daemon/ports.js';
import { loadFilter } from '../../src/filters/load-filter.js';
import { Jail } from '../../src/jails/jail.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { NoopMetrics } from '../../src/metrics/noop-metrics.js';
import { FileSource } from '../../src/sources/file-source.js';
import { JournalSource } from '../../src/sources/journal-source.js';
import { MemoryStore } from '../fakes/memory-store.js';
import { createNetnsPair, until, type NetnsPair } from '../helpers/netns.js';
import { PrivateJournald, privateJournaldMissing, waitFor } from '../sources/journal-private-journald.js';

// The two sections fail2ban tutorials for Asterisk boxes use, copied as they are.
const TUTORIAL = `
[sshd]
enabled = true
bantime = 7200
findtime = 900
maxretry = 4

[ssh-iptables]
enabled = true
filter = sshd
action = iptables[name=SSH, port=ssh, protocol=tcp]
         sendmail-whois[name=SSH, dest=root@example.com, sender=fail2ban@example.com, sendername="Fail2Ban"]
logpath = /var/log/secure
bantime = 3600
maxretry = 3
`;

const missing = process.getuid?.() !== 0 ? 'needs root' : privateJournaldMissing();
let pair: NetnsPair;
let journald: PrivateJournald;
let dir: string;

before(async () => {
  if (missing) return;
  pair = await createNetnsPair();
  await pair.serve([22]);
  journald = await PrivateJournald.start();
  dir = mkdtempSync(join(tmpdir(), 'vg-sshd-'));
  writeFileSync(join(dir, 'jail.conf'), readFileSync(join(packageRoot(), 'jail.conf')));
  writeFileSync(join(dir, 'jail.local'), TUTORIAL);
  // what the test changes on top, in the place a user would: journal instead of auth.log (with the
  // private journald's identifiers, it has no systemd units), a temp file instead of /var/log/secure
  mkdirSync(join(dir, 'jail.d'));
  writeFileSync(
    join(dir, 'jail.d', 'test.local'),
    `[sshd]\nbackend = systemd\njournalmatch = SYSLOG_IDENTIFIER=sshd + SYSLOG_IDENTIFIER=sshd-session\n\n[ssh-iptables]\nlogpath = ${join(dir, 'secure')}\n`,
  );
});

after(async () => {
  await journald?.stop();
  await pair?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function guard(cfg: JailConfig, source: (sink: (l: import('../../src/core/types.js').LogLine) => void, store: MemoryStore) => SourcePort) {
  const store = new MemoryStore();
  const { log, records } = memoryLogger('debug');
  const actions = loadJailActions(
    { jail: cfg.name, actions: cfg.actions, params: cfg.raw },
    { configDir: dir, firewalls: firewallMaker(new ExecaRunner({ prefix: ['ip', 'netns', 'exec', pair.defender], timeoutMs: 30_000 }), false), store, log },
  );
  const filter = loadFilter(cfg.filter!.name, { configDir: dir, args: cfg.filter!.args });
  const runtime = new JailRuntime(cfg, { store, clock: new SystemClock(), log, metrics: new NoopMetrics() }, (sink) => ({
    engine: new Jail(cfg),
    filter,
    ami: null,
    gate: null,
    actions,
    sources: [source(sink, store)],
  }));
  return { runtime, store, records };
}

// a chain the jail has not made yet (its structure commands run in the background after start) lists nothing
const chain = async (name: string): Promise<string> => (await pair.exec(pair.defender, ['iptables', '-w', '-S', name]).catch(() => ({ stdout: '' }))).stdout;
const banned = (name: string, ip: string) => async () => (await chain(name)).includes(`-s ${ip}/32`);

test('the tutorial sections load unchanged: [sshd] and [ssh-iptables] with its sendmail-whois notification', { skip: missing ?? false }, () => {
  const c = loadConfig(dir);
  assert.deepEqual(
    c.errors.map((e) => e.describe()),
    [],
  );
  const sshd = c.jails.find((j) => j.name === 'sshd')!;
  const ssh = c.jails.find((j) => j.name === 'ssh-iptables')!;
  assert.deepEqual([sshd.enabled, sshd.bantime, sshd.findtime, sshd.maxretry, sshd.port, sshd.protocol], [true, 7_200_000, 900_000, 4, 'ssh', 'tcp']);
  assert.deepEqual(
    sshd.actions.map((a) => [a.name, a.args.name]),
    [['iptables', 'sshd']],
  );
  assert.deepEqual([ssh.enabled, ssh.filter?.name, ssh.bantime, ssh.maxretry], [true, 'sshd', 3_600_000, 3]);
  assert.deepEqual(
    ssh.actions.map((a) => a.name),
    ['iptables', 'sendmail-whois'],
  );
});

test(
  'no systemd here, so a private journald: sshd failures in the journal ban the source in f2b-sshd on its 4th failure, TCP to ssh only',
  { skip: missing ?? false },
  async () => {
    const cfg = loadConfig(dir).jails.find((j) => j.name === 'sshd')!;
    let journal!: JournalSource;
    const { runtime, store, records } = guard(cfg, (sink, store) => {
      journal = new JournalSource({
        name: cfg.name,
        matches: cfg.journalmatch,
        store,
        clock: new SystemClock(),
        log: memoryLogger().log,
        onLine: sink,
        directory: journald.directory,
        readBackMs: cfg.findtime,
        runner: journalRunner(new ExecaRunner()),
      });
      return journal;
    });
    await runtime.start();
    try {
      const attacker = pair.attacker4;
      assert.equal(await pair.probe('tcp', pair.defender4, 22), 'open');
      await journald.write('sshd', [
        // the attacker's user names hold another address; it is never the one banned
        `Invalid user x from 10.213.0.99 port 22 from ${attacker} port 40022`,
        `Failed password for invalid user x from 10.213.0.99 port 22 ssh2 from ${attacker} port 40022 ssh2`,
        // other programs' lines are not read (journalmatch), whatever they say
      ]);
      await journald.write('logger', [`Failed password for root from ${attacker} port 1 ssh2`]);
      await journald.write('sshd-session', [`Connection closed by invalid user x ${attacker} port 40022 [preauth]`]);
      await waitFor(() => runtime.counters.attempts === 3, 10_000, 'three failures counted');
      assert.equal(await banned('f2b-sshd', attacker)(), false, 'no ban before the 4th failure');
      await journald.write('sshd', [`Failed password for root from ${attacker} port 40100 ssh2`]);
      assert.equal(await until(banned('f2b-sshd', attacker), true, 10_000), true, 'banned in f2b-sshd');
      assert.equal(await pair.probe('tcp', pair.defender4, 22), 'refused');
      assert.equal(await pair.probe('udp', pair.defender4, 22), 'reply', 'TCP only');
      assert.equal((await chain('f2b-sshd')).includes('10.213.0.99'), false);
      const ban = records.find((r) => r['event'] === 'ban')!;
      assert.deepEqual([ban['ip'], ban['failures']], [attacker, 4]);
      const active = store.activeBans('sshd');
      assert.equal(active.length, 1);
      assert.equal(active[0]!.until! - active[0]!.start, 7_200_000);
      assert.equal(store.getMeta('journal:sshd'), journal.status().cursor, 'the cursor is kept in the store');
    } finally {
      await runtime.stop(false);
    }
    assert.equal(await pair.probe('tcp', pair.defender4, 22), 'open', 'rules removed on stop');
  },
);

test(
  "the tutorial's [ssh-iptables] bans in f2b-SSH from a secure log on its 3rd failure; sendmail-whois does not stop the jail",
  { skip: missing ?? false },
  async () => {
    const cfg = loadConfig(dir).jails.find((j) => j.name === 'ssh-iptables')!;
    const secure = cfg.logpath[0]!;
    writeFileSync(secure, '');
    const { runtime } = guard(
      cfg,
      (sink, store) => new FileSource({ patterns: cfg.logpath, backend: 'auto' }, { store, clock: new SystemClock(), log: memoryLogger().log, onLine: sink }),
    );
    await runtime.start();
    try {
      const attacker = pair.attacker6;
      // a syslog line as rsyslog writes /var/log/secure: `Nov  2 10:09:43 host sshd[pid]: …` (local time)
      const line = (msg: string) => {
        const d = new Date();
        const month = d.toLocaleString('en-US', { month: 'short' });
        return `${month} ${String(d.getDate()).padStart(2, ' ')} ${d.toTimeString().slice(0, 8)} pbx sshd[812]: ${msg}\n`;
      };
      appendFileSync(secure, line(`Failed password for root from ${attacker} port 50000 ssh2`));
      appendFileSync(secure, line(`Failed password for root from ${attacker} port 50000 ssh2`));
      await waitFor(() => runtime.counters.attempts === 2, 10_000, 'two failures counted');
      appendFileSync(secure, line(`error: maximum authentication attempts exceeded for root from ${attacker} port 50000 ssh2 [preauth]`));
      // the chain itself is made in the background after start (ready first): not there yet is "not banned yet"
      const v6 = async () =>
        (await pair.exec(pair.defender, ['ip6tables', '-w', '-S', 'f2b-SSH']).catch(() => ({ stdout: '' }))).stdout.includes(`-s ${attacker}/128`);
      assert.equal(await until(v6, true, 10_000), true, 'banned in f2b-SSH (IPv6)');
      assert.equal(await pair.probe('tcp', pair.defender6, 22), 'refused');
    } finally {
      await runtime.stop(false);
    }
  },
);
