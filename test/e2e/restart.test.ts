// Restarts on the built CLI and a real kernel: failure counts survive SIGTERM and kill -9 (the next
// failure of an address that had 4 is its 5th). restart-probe.test.ts probes the kernel through
// restarts (docs/restart.md).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createNetnsPair, type NetnsPair } from '../helpers/netns.js';
import { attack, build, cli, Daemon, field, makeConfig, removeConfig, waitFor, type E2eConfig } from './daemon-harness.js';

const JAIL = `
[asterisk]
enabled = true
logpath = $LOG
maxretry = 5
findtime = 10m
bantime = 1h
`;

const root = process.getuid?.() === 0;
const skip = !root && 'needs root for network namespaces';
let pair: NetnsPair;
let cfg: E2eConfig;
let daemon: Daemon | null = null;

before(async () => {
  if (!root) return;
  build();
  pair = await createNetnsPair();
  await pair.serve([5060]);
  cfg = makeConfig(JAIL);
});

after(async () => {
  if (!root) return;
  if (daemon && daemon.proc.exitCode === null) {
    daemon.proc.kill('SIGKILL');
    await daemon.exited;
  }
  await pair?.destroy();
  if (cfg) removeConfig(cfg);
});

async function startDaemon(): Promise<Daemon> {
  const d = new Daemon(pair.defender, cfg);
  await waitFor('the daemon to answer ping', () => cli(cfg, ['ping']).code === 0 || d.proc.exitCode !== null, 30_000);
  assert.equal(d.proc.exitCode, null, `the daemon died: ${d.stderr}`);
  return d;
}

function status(): string {
  const r = cli(cfg, ['status', 'asterisk']);
  assert.equal(r.code, 0, r.err);
  return r.out;
}

const banned = () => (field(status(), 'Banned IP list') ?? '').split(' ').filter(Boolean).sort();

test('4 failures, SIGTERM, start, 1 failure: banned on that 5th failure', { skip }, async () => {
  daemon = await startDaemon();
  const a = pair.attacker4;
  attack(cfg.log, a, 4);
  await waitFor('4 failures', () => field(status(), 'Total failed') === '4');
  daemon.proc.kill('SIGTERM');
  assert.equal(await daemon.exited, 0);
  daemon = await startDaemon();
  assert.equal(field(status(), 'Currently failed'), '1', 'the address is tracked again after the restart');
  assert.deepEqual(banned(), []);
  attack(cfg.log, a, 1);
  await waitFor('the ban of the v4 attacker', () => banned().includes(a));
  assert.equal(field(status(), 'Total failed'), '1', 'one new failure read: the 4 before the restart were not read again');
  assert.equal(await waitFor('UDP rejected', async () => ((await pair.probe('udp', pair.defender4, 5060)) === 'refused' ? 'refused' : '')), 'refused');
});

test('4 failures, kill -9, start, 1 failure: banned on that 5th failure', { skip }, async () => {
  const b = pair.attacker6;
  attack(cfg.log, b, 4);
  await waitFor('4 failures of the v6 attacker', () => field(status(), 'Total failed') === '5');
  daemon!.proc.kill('SIGKILL');
  assert.equal(await daemon!.exited, -9);
  daemon = await startDaemon();
  assert.equal(field(status(), 'Currently failed'), '1');
  attack(cfg.log, b, 1);
  await waitFor('the ban of the v6 attacker', () => banned().includes(b));
  assert.equal(await waitFor('v6 UDP rejected', async () => ((await pair.probe('udp', pair.defender6, 5060)) === 'refused' ? 'refused' : '')), 'refused');
});
