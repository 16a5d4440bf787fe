// Shared story for the real-kernel tests: an Asterisk-like defender (UDP echo and TCP listener on
// 5060, 5061 and 5070) guarded by a jail whose two actions are named asterisk-tcp and
// asterisk-udp, an attacker next to it. What counts is what the attacker's sockets receive.

import { firewallMaker } from '../../src/app.js';
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { ExecaRunner } from '../../src/exec/execa-runner.js';
import { loadJailActions, type JailActions } from '../../src/actions/jail-actions.js';
import type { CommandRunner } from '../../src/exec/command-runner.js';
import type { Decision } from '../../src/core/types.js';
import type { ActiveBan } from '../../src/store/store.js';
import { packageRoot } from '../../src/core/paths.js';
import { memoryLogger } from '../fakes/memory-logger.js';
import { TinyStore } from '../helpers/tiny-store.js';
import { createNetnsPair, type NetnsPair } from '../helpers/netns.js';
import { KERNEL_SKIP } from '../helpers/privileges.js';

export const PORTS = [5060, 5061, 5070];
export const T0 = 1_800_000_000_000;

/** One attacker/defender pair for the whole test file, serving PORTS; removed after it. */
export function usePair(): { readonly pair: NetnsPair } {
  const box = {} as { pair: NetnsPair };
  before(async () => {
    if (KERNEL_SKIP) return; // every test of the file is skipped, saying why
    box.pair = await createNetnsPair();
    await box.pair.serve(PORTS);
  });
  after(async () => {
    await box.pair?.destroy();
  });
  return box;
}

export interface Guard {
  readonly actions: JailActions;
  readonly store: TinyStore;
  readonly records: Record<string, unknown>[];
  readonly runner: CommandRunner;
}

export function defenderRunner(pair: NetnsPair): ExecaRunner {
  return new ExecaRunner({ prefix: ['ip', 'netns', 'exec', pair.defender], timeoutMs: 30_000 });
}

/** The stock [asterisk] jail's firewall: `action` twice, named asterisk-tcp and asterisk-udp. */
export async function guard(
  pair: NetnsPair,
  action: string,
  opts: {
    params?: Record<string, string>;
    tcpArgs?: Record<string, string>;
    runner?: CommandRunner;
    dropRepeat?: number;
    /** The start-up restore: these stored bans at `now` (default: none at T0). */
    restore?: { readonly bans: readonly ActiveBan[]; readonly now: number };
  } = {},
): Promise<Guard> {
  const runner = opts.runner ?? defenderRunner(pair);
  const store = new TinyStore();
  const { log, records } = memoryLogger('debug');
  const actions = loadJailActions(
    {
      jail: 'asterisk',
      actions: [
        { name: action, args: { name: 'asterisk-tcp', protocol: 'tcp', ...opts.tcpArgs } },
        { name: action, args: { name: 'asterisk-udp', protocol: 'udp' } },
      ],
      params: { port: '5060,5061', ...opts.params },
      ...(opts.dropRepeat !== undefined ? { dropRepeat: opts.dropRepeat } : {}),
    },
    { configDir: packageRoot(), firewalls: firewallMaker(runner, false), store, log },
  );
  await actions.start();
  await actions.reconcile(opts.restore?.bans ?? [], opts.restore?.now ?? T0);
  return { actions, store, records, runner };
}

/**
 * A restart over bans the kernel kept (a set action): the stored ban whose end the kernel's timer
 * shows (within TIMER_SLACK_MS) is not sent again; the one whose end the store moved is, with the
 * timer `movedLine` shows (one of the script's lines).
 */
export async function restartKeepsTimers(pair: NetnsPair, action: string, movedLine: RegExp): Promise<void> {
  const [kept, moved] = ['198.51.100.51', '198.51.100.52'];
  const first = await guard(pair, action);
  await first.actions.apply([ban(kept, T0 + 600_000), ban(moved, T0 + 600_000)], T0);
  await first.actions.stop({ keepRules: true });
  const real = defenderRunner(pair);
  const sent: string[] = [];
  const runner: CommandRunner = { run: (argv, o) => (o?.input !== undefined && sent.push(...o.input.split('\n')), real.run(argv, o)) };
  const stored = (ip: string, until: number): ActiveBan => ({ jail: 'asterisk', ip, start: T0, until, banCount: 1, reason: 'detected', applied: true });
  // a second later by the store's clock; the kernel's timers ran meanwhile on their own
  const second = await guard(pair, action, { runner, restore: { bans: [stored(kept, T0 + 600_000), stored(moved, T0 + 1_200_000)], now: T0 + 1000 } });
  await second.actions.stop();
  const lines = sent.filter((l) => l.trim() !== '');
  assert.ok(lines.length > 0, 'the moved ban was sent');
  assert.ok(
    lines.every((l) => !l.includes(kept)),
    `the kept timer is not touched: ${lines.join(' | ')}`,
  );
  assert.ok(
    lines.some((l) => movedLine.test(l.trim())),
    `the moved one gets its new timer: ${lines.join(' | ')}`,
  );
}

export function ban(ip: string, until: number | null = T0 + 600_000, banCount = 1): Decision {
  return { type: 'ban', jail: 'asterisk', ip, time: T0, until, banCount, reason: 'detected', failures: 5 };
}

export function unban(ip: string): Decision {
  return { type: 'unban', jail: 'asterisk', ip, time: T0 + 1, reason: 'manual' };
}

/**
 * What the attacker sees on UDP and TCP to one port, for both families. A rejection answers in
 * milliseconds; the timeout only decides 'timeout', and 1.5 s was too short for a probe process
 * to start on a loaded machine (once, at load 20: a banned address read as 'timeout').
 */
export async function seen(pair: NetnsPair, port = 5060, timeoutMs = 4000): Promise<Record<string, string>> {
  const [u4, t4, u6, t6] = await Promise.all([
    pair.probe('udp', pair.defender4, port, timeoutMs),
    pair.probe('tcp', pair.defender4, port, timeoutMs),
    pair.probe('udp', pair.defender6, port, timeoutMs),
    pair.probe('tcp', pair.defender6, port, timeoutMs),
  ]);
  return { udp4: u4, tcp4: t4, udp6: u6, tcp6: t6 };
}

export const PASSES = { udp4: 'reply', tcp4: 'open', udp6: 'reply', tcp6: 'open' };
export const REJECTED = { udp4: 'refused', tcp4: 'refused', udp6: 'refused', tcp6: 'refused' };

/** Ban both attacker addresses, check rejection on 5060 and 5061, unban, check traffic passes. */
export async function banRejectsThenUnbanPasses(pair: NetnsPair, g: Guard): Promise<void> {
  assert.deepEqual(await seen(pair), PASSES, 'before the ban, traffic passes');
  await g.actions.apply([ban(pair.attacker4), ban(pair.attacker6)], T0);
  assert.deepEqual(g.actions.pending(), []);
  assert.deepEqual(await seen(pair, 5060), REJECTED, 'banned on 5060');
  assert.deepEqual(await seen(pair, 5061), REJECTED, 'banned on 5061');
  assert.equal(g.store.lastApplied(pair.attacker4), true);
  assert.equal(g.store.lastApplied(pair.attacker6), true);
  await g.actions.apply([unban(pair.attacker4), unban(pair.attacker6)], T0 + 1000);
  assert.deepEqual(await seen(pair), PASSES, 'after the unban, traffic passes again');
}

export function repairs(g: Guard): number {
  return g.actions.status().reduce((n, s) => n + s.repairs, 0);
}
